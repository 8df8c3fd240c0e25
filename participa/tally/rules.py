"""The weighted count and the binding verdict (DESIGN §4: Weights, Votes, Tally and binding verdict).

A pure, deterministic function of the frozen roll, the admissible ballots and the consultation's
rules. Weights arrive precomputed on the roll (the weight scheme is applied when the roll is
frozen, not here). Arithmetic is exact: weights are summed as integer millionths and compared with
``Fraction`` thresholds, so no float and no decimal context ever rounds a result. Results publish
head counts and weight sums side by side and never divide one by the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from typing import Any

from participa.core.canonical import canonical_json, sha256_hex

WEIGHT_PLACES = 6
_MICRO = 10**WEIGHT_PLACES
WEIGHT_QUANTUM = Decimal(1).scaleb(-WEIGHT_PLACES)  # Decimal("0.000001")


class TallyInputError(ValueError):
    """The roll, the ballots or the rules cannot be tallied as given."""


class Choice(StrEnum):
    """The answers a ballot can give to a question."""

    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"


class RevotePolicy(StrEnum):
    """Which of an organisation's ballots on a question counts."""

    LAST = "last"  # the default (DESIGN §4, Votes): the last ballot counts, earlier ones are superseded
    FIRST = "first"  # the first ballot counts, later ones are ignored


class Verdict(StrEnum):
    """A question's outcome: ``no_quorum`` whenever the quorum fails, whatever the votes."""

    APPROVED = "approved"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


def _to_micro(weight: Decimal) -> int:
    """A weight as an exact integer number of millionths; refuses anything finer than 6 places."""
    scaled = Fraction(weight) * _MICRO
    if scaled.denominator != 1:
        raise TallyInputError(f"weight {weight} has more than {WEIGHT_PLACES} decimal places")
    return scaled.numerator


def _from_micro(micro: int) -> Decimal:
    # Built from a string, so exact whatever the decimal context's precision.
    units, rest = divmod(micro, _MICRO)
    return Decimal(f"{units}.{rest:0{WEIGHT_PLACES}d}")


def _to_fraction(value: Fraction | Decimal | str | int, name: str) -> Fraction:
    if isinstance(value, float | bool) or not isinstance(value, Fraction | Decimal | str | int):
        raise TallyInputError(f"{name} must be a Fraction, Decimal, int or string such as '2/3', not {value!r}")
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError, ArithmeticError) as exc:
        raise TallyInputError(f"{name} is not an exact fraction: {value!r}") from exc


def fraction_text(value: Fraction) -> str:
    """A fraction as ``"n/d"`` in lowest terms (``"1/2"``, ``"3/1"``), its published form."""
    return f"{value.numerator}/{value.denominator}"


def weight_text(value: Decimal) -> str:
    """A weight with exactly six decimal places (``"10.000000"``), its published form."""
    return format(value.quantize(WEIGHT_QUANTUM), "f")


@dataclass(frozen=True)
class RollEntry:
    """One organisation on the frozen roll with its weight (> 0, at most 6 decimal places)."""

    organisation_id: int
    weight: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.weight, Decimal) or not self.weight.is_finite():
            raise TallyInputError(f"organisation {self.organisation_id}: weight must be a finite Decimal")
        if self.weight <= 0:
            raise TallyInputError(f"organisation {self.organisation_id}: weight must be positive, not {self.weight}")
        _to_micro(self.weight)


@dataclass(frozen=True)
class Ballot:
    """One admissible ballot. ``sequence`` is its unique, increasing order of recording (the database id)."""

    organisation_id: int
    question_id: int
    choice: Choice
    cast_at: datetime
    sequence: int

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "choice", Choice(self.choice))
        except ValueError as exc:
            raise TallyInputError(f"ballot {self.sequence}: unknown choice {self.choice!r}") from exc
        if not isinstance(self.cast_at, datetime) or self.cast_at.tzinfo is None:
            raise TallyInputError(f"ballot {self.sequence}: cast_at must be an aware datetime")


@dataclass(frozen=True)
class TallyRules:
    """A consultation's counting rules (DESIGN §4, Tally and binding verdict).

    ``quorum`` is the fraction of the roll's total weight that must take part; ``majority`` the
    share of approve weight needed, compared by ``>`` when ``majority_strict`` (more than half:
    ``1/2`` strict) and by ``>=`` otherwise (two-thirds: ``2/3`` not strict). Both accept a
    Fraction, a Decimal, an int or a string (``"0.3"``, ``"2/3"``) and are stored as Fractions.
    Floats are refused.
    """

    quorum: Fraction
    majority: Fraction
    majority_strict: bool
    abstentions_in_majority: bool = False
    binding_level: bool = True
    revote: RevotePolicy = RevotePolicy.LAST

    def __post_init__(self) -> None:
        quorum = _to_fraction(self.quorum, "quorum")
        majority = _to_fraction(self.majority, "majority")
        if not 0 <= quorum <= 1:
            raise TallyInputError(f"quorum must lie between 0 and 1, not {fraction_text(quorum)}")
        if not 0 < majority <= 1:
            raise TallyInputError(f"majority must lie above 0 and at most 1, not {fraction_text(majority)}")
        try:
            revote = RevotePolicy(self.revote)
        except ValueError as exc:
            raise TallyInputError(f"revote must be 'last' or 'first', not {self.revote!r}") from exc
        object.__setattr__(self, "quorum", quorum)
        object.__setattr__(self, "majority", majority)
        object.__setattr__(self, "revote", revote)

    def to_dict(self) -> dict[str, Any]:
        """The rules as published with the result: fractions as ``"n/d"``."""
        return {
            "quorum": fraction_text(self.quorum),
            "majority": fraction_text(self.majority),
            "majority_strict": bool(self.majority_strict),
            "abstentions_in_majority": bool(self.abstentions_in_majority),
            "binding_level": bool(self.binding_level),
            "revote": self.revote.value,
        }


@dataclass(frozen=True)
class ChoiceCount:
    """Head count and weight sum of one choice (or of all participants), published side by side."""

    heads: int
    weight: Decimal

    def to_dict(self) -> dict[str, Any]:
        """Heads and weight side by side, the weight with six decimals."""
        return {"heads": self.heads, "weight": weight_text(self.weight)}


@dataclass(frozen=True)
class QuestionResult:
    """One question's count, quorum, majority and verdict (DESIGN §4, Tally and binding verdict)."""

    question_id: int
    approve: ChoiceCount
    reject: ChoiceCount
    abstain: ChoiceCount
    participating: ChoiceCount  # organisations with an effective ballot, abstentions included
    quorum_required_weight: Fraction  # rules.quorum * roll total weight, exact
    quorum_met: bool
    majority_denominator_weight: Decimal  # approve + reject (+ abstain when configured)
    majority_holds: bool
    approved: bool
    binding: bool
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """The question's result in its published form."""
        return {
            "question_id": self.question_id,
            "approve": self.approve.to_dict(),
            "reject": self.reject.to_dict(),
            "abstain": self.abstain.to_dict(),
            "participating": self.participating.to_dict(),
            "quorum_required_weight": fraction_text(self.quorum_required_weight),
            "quorum_met": self.quorum_met,
            "majority_denominator_weight": weight_text(self.majority_denominator_weight),
            "majority_holds": self.majority_holds,
            "approved": self.approved,
            "binding": self.binding,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True)
class Result:
    """The whole tally: every question's result and what was counted, superseded or set aside."""

    roll_size: int
    roll_total_weight: Decimal
    rules: TallyRules
    questions: tuple[QuestionResult, ...]  # ordered by question id
    counted: int  # effective ballots, one per (organisation, question) at most
    superseded: int  # ballots of a counted (organisation, question) that the revote policy set aside
    ignored_not_on_roll: int
    ignored_unknown_question: int
    # Votes refused at close for another reason than supersession, by reason (vote admissibility).
    not_admitted: Mapping[str, int] = field(default_factory=dict)

    def question(self, question_id: int) -> QuestionResult:
        """The result of one question; KeyError when it was not counted."""
        for result in self.questions:
            if result.question_id == question_id:
                return result
        raise KeyError(question_id)

    def to_dict(self) -> dict[str, Any]:
        """A plain form: weights as strings with six decimals, fractions as ``"n/d"``."""
        return {
            "roll_size": self.roll_size,
            "roll_total_weight": weight_text(self.roll_total_weight),
            "rules": self.rules.to_dict(),
            "questions": [question.to_dict() for question in self.questions],
            "counted": self.counted,
            "superseded": self.superseded,
            "ignored_not_on_roll": self.ignored_not_on_roll,
            "ignored_unknown_question": self.ignored_unknown_question,
            "not_admitted": {reason: self.not_admitted[reason] for reason in sorted(self.not_admitted)},
        }

    def to_canonical(self) -> bytes:
        """Canonical JSON of :meth:`to_dict`: the bytes the result's hash is computed over."""
        return canonical_json(self.to_dict())

    def sha256(self) -> str:
        """The result's published hash: SHA-256 of its canonical JSON (DESIGN §4, Certification and record)."""
        return sha256_hex(self.to_canonical())


def _majority_holds(approve: int, denominator: int, rules: TallyRules) -> bool:
    if denominator == 0:
        return False  # nobody approved or rejected: nothing to hold a majority of
    share = Fraction(approve, denominator)
    return share > rules.majority if rules.majority_strict else share >= rules.majority


def _verdict(quorum_met: bool, approved: bool) -> Verdict:
    if not quorum_met:
        return Verdict.NO_QUORUM  # whatever the votes
    return Verdict.APPROVED if approved else Verdict.REJECTED


def tally(
    roll: Sequence[RollEntry],
    ballots: Iterable[Ballot],
    question_ids: Sequence[int],
    rules: TallyRules,
) -> Result:
    """Count ``ballots`` against the frozen ``roll`` for each of ``question_ids`` under ``rules``.

    - One effective ballot per (organisation, question): with revote ``last`` the highest
      ``sequence`` counts, with ``first`` the lowest; the others are counted as ``superseded``.
    - Ballots of organisations not on the roll are never counted (``ignored_not_on_roll``, checked
      first), nor ballots for a question not in ``question_ids`` (``ignored_unknown_question``).
    - Quorum: participating weight (abstentions included) ``>=`` quorum x roll total weight.
    - Majority: approve / (approve + reject [+ abstain]) compared with ``rules.majority`` by ``>``
      when strict, ``>=`` otherwise; a zero denominator never approves.
    - Approved when quorum and majority hold; binding when the participation level is binding and
      the quorum holds; verdict ``no_quorum`` whenever the quorum fails.

    The result depends only on the inputs' content, not their order. Raises ``TallyInputError``
    (a ``ValueError``) for an empty roll, a duplicate organisation on the roll, a duplicate
    question id or two ballots with the same sequence.
    """
    weights = _roll_weights(roll)
    questions = _question_list(question_ids)
    effective, not_on_roll, unknown_question, superseded = _effective_choices(
        ballots, weights, set(questions), rules.revote
    )
    heads, sums = _empty_counts(questions)
    for (organisation_id, question_id), choice in effective.items():
        heads[(question_id, choice)] += 1
        sums[(question_id, choice)] += weights[organisation_id]
    return _result(
        roll_size=len(weights),
        total=sum(weights.values()),
        questions=questions,
        heads=heads,
        sums=sums,
        rules=rules,
        counted=len(effective),
        superseded=superseded,
        not_on_roll=not_on_roll,
        unknown_question=unknown_question,
    )


def _roll_weights(roll: Sequence[RollEntry]) -> dict[int, int]:
    """Each organisation's weight in millionths; the roll may be neither empty nor name an
    organisation twice."""
    if not roll:
        raise TallyInputError("the roll is empty")
    weights: dict[int, int] = {}
    for entry in roll:
        if entry.organisation_id in weights:
            raise TallyInputError(f"organisation {entry.organisation_id} appears twice on the roll")
        weights[entry.organisation_id] = _to_micro(entry.weight)
    return weights


def _question_list(question_ids: Sequence[int]) -> list[int]:
    questions = sorted(question_ids)
    if len(set(questions)) != len(questions):
        raise TallyInputError("duplicate question id")
    return questions


def _empty_counts(questions: list[int]) -> tuple[dict[tuple[int, Choice], int], dict[tuple[int, Choice], int]]:
    """Head counts and weight sums at zero for every (question, choice)."""
    heads = {(question, choice): 0 for question in questions for choice in Choice}
    return heads, dict.fromkeys(heads, 0)


def _effective_choices(
    ballots: Iterable[Ballot], weights: Mapping[int, int], known_questions: set[int], revote: RevotePolicy
) -> tuple[dict[tuple[int, int], Choice], int, int, int]:
    """The effective choice per (organisation, question) under the revote policy, and how many
    ballots were ignored as not on the roll, ignored for an unknown question, or superseded."""
    ordered = sorted(ballots, key=lambda ballot: ballot.sequence)
    for earlier, later in pairwise(ordered):
        if earlier.sequence == later.sequence:
            raise TallyInputError(f"two ballots share sequence {later.sequence}")
    if revote is RevotePolicy.LAST:
        ordered.reverse()  # walk newest first, so the first ballot seen per pair is the one that counts

    effective: dict[tuple[int, int], Choice] = {}
    not_on_roll = unknown_question = superseded = 0
    for ballot in ordered:
        if ballot.organisation_id not in weights:
            not_on_roll += 1
        elif ballot.question_id not in known_questions:
            unknown_question += 1
        elif (ballot.organisation_id, ballot.question_id) in effective:
            superseded += 1
        else:
            effective[(ballot.organisation_id, ballot.question_id)] = ballot.choice
    return effective, not_on_roll, unknown_question, superseded


def _check_group(group: ChoiceGroup | ChoiceTotal, weight: Decimal) -> None:
    """A known choice (normalised to :class:`Choice`), at least one vote, a weight in millionths."""
    try:
        object.__setattr__(group, "choice", Choice(group.choice))
    except ValueError as exc:
        raise TallyInputError(f"unknown choice {group.choice!r}") from exc
    if group.heads <= 0:
        raise TallyInputError("a group must hold at least one vote")
    _to_micro(weight)


@dataclass(frozen=True)
class ChoiceGroup:
    """Effective votes already grouped: ``heads`` organisations of weight ``weight`` answered
    ``choice`` to ``question_id``."""

    question_id: int
    choice: Choice
    weight: Decimal
    heads: int

    def __post_init__(self) -> None:
        _check_group(self, self.weight)

    def micro_sum(self) -> int:
        return self.heads * _to_micro(self.weight)


@dataclass(frozen=True)
class ChoiceTotal:
    """Effective votes already summed: ``heads`` organisations whose weights add up to
    ``weight_total`` (exact, in millionths like every weight) answered ``choice`` to
    ``question_id``. The database can sum the weights exactly as integers of millionths, so a
    million votes become one row per question and choice."""

    question_id: int
    choice: Choice
    heads: int
    weight_total: Decimal

    def __post_init__(self) -> None:
        _check_group(self, self.weight_total)

    def micro_sum(self) -> int:
        return _to_micro(self.weight_total)


def tally_groups(
    roll_size: int,
    roll_total_weight: Decimal,
    groups: Iterable[ChoiceGroup | ChoiceTotal],
    question_ids: Sequence[int],
    rules: TallyRules,
    *,
    superseded: int = 0,
    not_admitted: Mapping[str, int] | None = None,
) -> Result:
    """The same count as :func:`tally`, over votes already reduced to one effective vote per
    organisation and question and grouped by (question, choice, weight), or summed per
    (question, choice).

    The database does that reduction for large consultations (a million votes are a few
    thousand groups); vote admissibility has already removed what :func:`tally` would ignore or
    supersede, and says how many votes it set aside: ``superseded`` and ``not_admitted`` (by
    reason) are published as given. Both functions share the arithmetic below, so the same
    votes give byte-identical canonical JSON either way (a property test holds them to it).
    """
    if superseded < 0 or any(n < 0 for n in (not_admitted or {}).values()):
        raise TallyInputError("a count of votes set aside cannot be negative")
    if roll_size <= 0:
        raise TallyInputError("the roll is empty")
    total = _to_micro(roll_total_weight)
    questions = _question_list(question_ids)
    known = set(questions)
    heads, sums = _empty_counts(questions)
    counted = unknown_question = 0
    for group in groups:
        if group.question_id not in known:
            unknown_question += group.heads
            continue
        heads[(group.question_id, group.choice)] += group.heads
        sums[(group.question_id, group.choice)] += group.micro_sum()
        counted += group.heads
    for question in questions:
        participating = sum(sums[(question, choice)] for choice in Choice)
        voters = sum(heads[(question, choice)] for choice in Choice)
        if participating > total or voters > roll_size:
            raise TallyInputError(f"question {question}: more votes than the roll holds")
    return _result(
        roll_size=roll_size,
        total=total,
        questions=questions,
        heads=heads,
        sums=sums,
        rules=rules,
        counted=counted,
        superseded=superseded,
        not_on_roll=0,
        unknown_question=unknown_question,
        not_admitted={reason: n for reason, n in (not_admitted or {}).items() if n},
    )


def _result(
    *,
    roll_size: int,
    total: int,
    questions: list[int],
    heads: dict[tuple[int, Choice], int],
    sums: dict[tuple[int, Choice], int],
    rules: TallyRules,
    counted: int,
    superseded: int,
    not_on_roll: int,
    unknown_question: int,
    not_admitted: Mapping[str, int] | None = None,
) -> Result:
    """Quorum, majority and verdict per question, from head counts and weight sums in
    millionths (DESIGN §4)."""
    results = []
    quorum_required = rules.quorum * Fraction(total, _MICRO)
    for question in questions:
        approve = sums[(question, Choice.APPROVE)]
        reject = sums[(question, Choice.REJECT)]
        abstain = sums[(question, Choice.ABSTAIN)]
        participating = approve + reject + abstain
        quorum_met = Fraction(participating, _MICRO) >= quorum_required
        denominator = approve + reject + (abstain if rules.abstentions_in_majority else 0)
        majority_holds = _majority_holds(approve, denominator, rules)
        approved = quorum_met and majority_holds
        results.append(
            QuestionResult(
                question_id=question,
                approve=ChoiceCount(heads[(question, Choice.APPROVE)], _from_micro(approve)),
                reject=ChoiceCount(heads[(question, Choice.REJECT)], _from_micro(reject)),
                abstain=ChoiceCount(heads[(question, Choice.ABSTAIN)], _from_micro(abstain)),
                participating=ChoiceCount(
                    sum(heads[(question, choice)] for choice in Choice), _from_micro(participating)
                ),
                quorum_required_weight=quorum_required,
                quorum_met=quorum_met,
                majority_denominator_weight=_from_micro(denominator),
                majority_holds=majority_holds,
                approved=approved,
                binding=bool(rules.binding_level) and quorum_met,
                verdict=_verdict(quorum_met, approved),
            )
        )
    return Result(
        roll_size=roll_size,
        roll_total_weight=_from_micro(total),
        rules=rules,
        questions=tuple(results),
        counted=counted,
        superseded=superseded,
        ignored_not_on_roll=not_on_roll,
        ignored_unknown_question=unknown_question,
        not_admitted=dict(not_admitted or {}),
    )


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` over ``whole`` as a percentage with one decimal, rounded half up; None for 0."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def reading(question: dict[str, Any], roll_total_weight: str) -> dict[str, Decimal | None]:
    """What a reader needs first from a published question: the weight in favour over the
    majority's denominator (approve / (approve + reject), abstentions too when they count), and
    the participation over the roll's weight, as percentages with one decimal."""
    return {
        "favour": _share(Decimal(question["approve"]["weight"]), Decimal(question["majority_denominator_weight"])),
        "participation": _share(Decimal(question["participating"]["weight"]), Decimal(roll_total_weight)),
    }
