"""Voting rules as plain functions (DESIGN §4, Votes): receipts and trackers, who was authorised
when, vote admissibility at close, a ballot's public status, and what totals alone can reveal
under a secret ballot."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from participa.admissibility.rules import Verdict
from participa.consultations.rules import voting_window
from participa.core import logic
from participa.core.canonical import canonical_json

CHOICES = ("approve", "reject", "abstain")


# --- receipts and trackers --------------------------------------------------------------------


def receipt_code(salt: bytes, record: Mapping[str, object]) -> str:
    """A receipt code: a keyed hash (HMAC-SHA-256) of the canonical ballot record, so that
    nobody without the salt can derive or forge one, shown as 4 groups of 4 characters."""
    return printed_code(hmac.new(salt, canonical_json(dict(record)), hashlib.sha256).digest())


def printed_code(digest: bytes) -> str:
    """How a receipt code is printed, on every channel: the first 80 bits of its keyed hash in
    base 32, as 4 groups of 4 characters (ABCD-EFGH-IJKL-MNOP)."""
    text = base64.b32encode(digest[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def normalise_receipt(text: str) -> str:
    """A code as people type it (spaces, lower case, no dashes) in its printed form, or ""."""
    compact = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return "-".join(compact[i : i + 4] for i in range(0, 16, 4)) if len(compact) == 16 else ""


def tracker_of(code: str) -> str:
    """A ballot's public tracker: the SHA-256 (hex) of its receipt code as printed
    (``ABCD-EFGH-IJKL-MNOP``, UTF-8). The code stays secret; whoever holds it finds the ballot's
    line on the public list by hashing it, and nobody can go from a tracker back to a code."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


# --- authorisation and admissibility at close -------------------------------------------------


class Period(NamedTuple):
    """One period in which a person represented an organisation."""

    approved_at: Any  # datetime, None if never approved (a column in SQL)
    revoked_at: Any  # datetime, None while it lasts


class Window(NamedTuple):
    opens: Any
    closes: Any


def covers(period: Period, moment: Any, ops: logic.Ops = logic.PYTHON) -> Any:
    """Whether a representation period covers ``moment``: approved at or before it and not
    revoked by then. Written once (:mod:`participa.core.logic`): Python here, SQL at close."""
    return ops.all_of(
        ops.present(period.approved_at),
        ops.at_most(period.approved_at, moment),
        ops.any_of(ops.missing(period.revoked_at), ops.less(moment, period.revoked_at)),
    )


def authorised_at(periods: Iterable[tuple[datetime | None, datetime | None]], moment: datetime) -> bool:
    """Whether one of a person's representation periods (approved at, revoked at or None)
    covers ``moment``: a vote counts when it was cast while its representative was authorised,
    whatever happened to the authorisation later (DESIGN §4)."""
    return any(covers(Period(*period), moment) for period in periods)


@dataclass(frozen=True)
class VoteFacts:
    """What the vote admissibility rules look at. At close the same names are columns of the
    query that classifies every vote (``participa.voting.operations.judge_votes``)."""

    vote_id: int
    organisation_id: int
    question_id: int
    channel: str
    cast_at: datetime
    on_roll: bool
    authorised: bool  # the caster represented the organisation when casting (see covers)
    effective: bool  # not superseded by a later ballot of the same organisation
    # Another effective vote of the same organisation and question came in person.
    in_person_conflict: bool = False


@dataclass(frozen=True)
class VoteRule:
    """One vote admissibility rule: its name, the reason recorded when it does not hold, and the
    condition, a function of the facts, the voting window and the :class:`logic.Ops`."""

    name: str
    reason: str
    condition: Callable[[Any, Window, logic.Ops], Any]

    def holds(self, facts: Any, window: Window, ops: logic.Ops = logic.PYTHON) -> Any:
        return ops.holds(self.condition(facts, window, ops))


# In the order they are applied: the first that fails gives the vote's public status. An online
# vote that an in-person ballot of the same organisation replaced (DESIGN §4: in person wins,
# whichever came first) is reported as such, so the conflict shows in the admissibility report
# and on the certifier's flags; any other replaced vote is reported as superseded whatever else
# it fails (the organisation itself set it aside).
VOTE_RULES: tuple[VoteRule, ...] = (
    # An effective in-person vote of the same organisation and question wins over an online one.
    VoteRule(
        "in_person_precedence",
        "overridden_in_person",
        lambda f, w, ops: ops.negate(ops.all_of(f.in_person_conflict, ops.equal(f.channel, "online"))),
    ),
    VoteRule("effective", "superseded", lambda f, w, ops: f.effective),
    VoteRule(
        "within_window",
        "outside_window",
        lambda f, w, ops: ops.all_of(ops.at_most(w.opens, f.cast_at), ops.less(f.cast_at, w.closes)),
    ),
    VoteRule("on_roll", "not_on_roll", lambda f, w, ops: f.on_roll),
    VoteRule("authorised", "not_authorised", lambda f, w, ops: f.authorised),
)


# --- refusing a ballot at once ---------------------------------------------------------------


@dataclass(frozen=True)
class CastRule:
    """One rule that refuses a ballot when it is cast (DESIGN §4), on every channel: the code of
    the refusal and the condition that must hold, a function of the facts and of the
    :class:`logic.Ops`. The facts, by name:

    ``phase``, ``roll_frozen_at``, ``opens``, ``closes``: the consultation's; ``at``: the moment
    the ballot counts as cast (the server's clock online; in person, the moment the session's
    window gives it); ``channel``: "online" or "in_person"; ``policy``: the re-vote policy;
    ``on_roll``: the organisation is on the roll (and, in person, served by the session);
    ``authorised``: one of the person's representation periods covers ``at`` (:func:`covers`);
    ``complete``: one answer per question of the consultation, no other; ``choices_known``:
    every answer is one of :data:`CHOICES`; ``voted``: an effective vote of the organisation
    exists for these questions; ``voted_in_person``: one of them came in person."""

    code: str
    condition: Callable[[Any, logic.Ops], Any]

    def holds(self, facts: Any, ops: logic.Ops = logic.PYTHON) -> Any:
        return ops.holds(self.condition(facts, ops))


# In the order they are checked: the first that fails is the refusal the person reads.
CAST_RULES: tuple[CastRule, ...] = (
    CastRule("closed", lambda f, ops: voting_window(f.phase, f.roll_frozen_at, f.opens, f.closes, f.at, ops)),
    CastRule("not_on_roll", lambda f, ops: f.on_roll),
    CastRule("not_authorised", lambda f, ops: f.authorised),
    CastRule("incomplete", lambda f, ops: f.complete),
    CastRule("bad_choice", lambda f, ops: f.choices_known),
    # An in-person vote wins over an online one, whichever came first: an online ballot after it
    # is refused, never stored over it (an in-person ballot supersedes an earlier online one).
    CastRule(
        "in_person_recorded", lambda f, ops: ops.negate(ops.all_of(ops.equal(f.channel, "online"), f.voted_in_person))
    ),
    # Under the "first" policy a second ballot is refused, unless it comes in person over an
    # online one (the precedence above).
    CastRule(
        "already_voted",
        lambda f, ops: ops.negate(
            ops.all_of(
                ops.equal(f.policy, "first"),
                ops.any_of(f.voted_in_person, ops.all_of(ops.equal(f.channel, "online"), f.voted)),
            )
        ),
    ),
)


def cast_refusal(facts: Any) -> str | None:
    """The code of the first cast rule (:data:`CAST_RULES`) the facts fail, or None."""
    for rule in CAST_RULES:
        if not rule.holds(facts):
            return rule.code
    return None


def vote_verdicts(facts: VoteFacts, *, voting_at: datetime, voting_ends_at: datetime) -> list[Verdict]:
    """Every vote admissibility rule (:data:`VOTE_RULES`), each with its verdict and reason."""
    window = Window(voting_at, voting_ends_at)
    verdicts = []
    for rule in VOTE_RULES:
        ok = rule.holds(facts, window)
        verdicts.append(Verdict(rule.name, ok, None if ok else rule.reason))
    return verdicts


def verdicts_from_failed(failed: str | None) -> list[Verdict]:
    """Every rule's verdict from a recorded decision's failed reasons (``VoteDecision.failed``)."""
    reasons = set(failed.split(",")) if failed else set()
    return [
        Verdict(rule.name, rule.reason not in reasons, rule.reason if rule.reason in reasons else None)
        for rule in VOTE_RULES
    ]


# --- a ballot's public status -------------------------------------------------------------------

COUNTED = "counted"
SUPERSEDED = "superseded"
NOT_ADMITTED = "not_admitted"
RECEIVED = "received"  # during voting: kept, judged at close
STATUSES = (COUNTED, SUPERSEDED, NOT_ADMITTED, RECEIVED)


def ballot_status(effective: bool, admitted: bool | None, refusal: str | None) -> tuple[str, str | None]:
    """The public status of a ballot (or of one vote) and its reason. ``effective``: none of its
    votes was superseded; ``admitted``: None while any vote awaits its verdict (voting not yet
    closed), else whether all were admitted; ``refusal``: the reason recorded at close. Before
    close a ballot is "received", or "superseded" once a later ballot replaced it; after close
    it is "counted", "superseded" or "not_admitted" with the reason."""
    if admitted is None:
        return (RECEIVED, None) if effective else (SUPERSEDED, "superseded")
    if admitted:
        return COUNTED, None
    reason = refusal or "not_admitted"
    return (SUPERSEDED, reason) if reason == "superseded" else (NOT_ADMITTED, reason)


# --- what totals alone can reveal under a secret ballot -----------------------------------------

_MICRO = 10**6
PAIR_LIMIT = 2_000  # distinct weights beyond which pairs are not estimated (m² / 2 sums)


def _micro(weight: Decimal) -> int:
    return int(weight * _MICRO)


@dataclass(frozen=True)
class DisclosureEstimate:
    """How much a secret ballot's totals could give away, for a roll's weights: organisations
    whose weight no other holds (one such organisation alone on an option is identified by the
    option's total weight) and pairs of organisations whose combined weight no other pair has."""

    organisations: int
    unique_weight: int
    pairs: int | None  # pairs of organisations, None when not estimated
    unique_pairs: int | None

    @property
    def at_risk(self) -> bool:
        return self.unique_weight > 0 or bool(self.unique_pairs)

    @property
    def unique_pairs_percent(self) -> int | None:
        if not self.pairs:
            return None
        return round(100 * self.unique_pairs / self.pairs) if self.unique_pairs is not None else None


def disclosure_estimate(weights: Iterable[Decimal]) -> DisclosureEstimate:
    """A plain estimate, for a manager choosing a weight scheme before voting opens (DESIGN §4):
    with equal weights nothing is identified by a total unless one organisation is alone on the
    roll; with distinct weights a total of one or two organisations often names them."""
    counts = Counter(_micro(w) for w in weights)
    n = sum(counts.values())
    if n < 2:
        return DisclosureEstimate(n, n, 0, 0)
    unique_weight = sum(1 for c in counts.values() if c == 1)
    values = sorted(counts)
    if len(values) > PAIR_LIMIT:
        return DisclosureEstimate(n, unique_weight, None, None)
    pairs_by_sum: Counter[int] = Counter()
    for i, a in enumerate(values):
        if counts[a] > 1:
            pairs_by_sum[2 * a] += counts[a] * (counts[a] - 1) // 2
        for b in values[i + 1 :]:
            pairs_by_sum[a + b] += counts[a] * counts[b]
    unique_pairs = sum(1 for c in pairs_by_sum.values() if c == 1)
    return DisclosureEstimate(n, unique_weight, n * (n - 1) // 2, unique_pairs)


def _combinations_summing(counts: Counter[int], size: int, target: int) -> int | None:
    """How many sets of ``size`` organisations (weights in millionths, by multiplicity) weigh
    ``target`` in all: exact for sets of 1 or 2, None beyond."""
    if size == 0:
        return 1 if target == 0 else 0
    if size == 1:
        return counts.get(target, 0)
    if size == 2:
        found = 0
        for a, count in counts.items():
            b = target - a
            if a < b:
                found += count * counts.get(b, 0)
            elif a == b:
                found += count * (count - 1) // 2
        return found
    return None


def revealed_choices(
    participants: Sequence[Decimal], totals: Mapping[str, tuple[int, Decimal]]
) -> dict[str, bool | None]:
    """For one question of a secret ballot: which options' totals (heads, weight) leave only one
    possible set of organisations among the counted ballots' weights, so that anyone can tell
    who chose them. True: revealed; False: several sets are possible; None: not estimated (too
    many organisations on both sides). An option chosen by all participants is revealed; when
    all options but one are revealed, so is the last."""
    counts = Counter(_micro(w) for w in participants)
    n = len(participants)
    total = sum(_micro(w) for w in participants)
    answer: dict[str, bool | None] = {}
    for choice, (heads, weight) in totals.items():
        if heads == 0:
            answer[choice] = False
            continue
        target = _micro(weight)
        size, goal = (heads, target) if heads <= n - heads else (n - heads, total - target)
        ways = _combinations_summing(counts, size, goal)
        answer[choice] = None if ways is None else ways == 1
    chosen = [c for c, (heads, _w) in totals.items() if heads]
    unknown = [c for c in chosen if not answer[c]]
    if len(unknown) == 1 and len(chosen) > 1:
        answer[unknown[0]] = True
    return answer
