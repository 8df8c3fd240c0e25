"""Voting rules as plain functions: receipts, which ballot counts, vote admissibility at close
(DESIGN §4, Votes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from participa.admissibility.rules import Verdict
from participa.core.canonical import canonical_json

CHOICES = ("approve", "reject", "abstain")


def receipt_code(salt: bytes, record: Mapping[str, object]) -> str:
    """A receipt code: a keyed hash (HMAC-SHA-256) of the canonical ballot record, so that
    nobody without the salt can derive or forge one, shown as 4 groups of 4 characters."""
    digest = hmac.new(salt, canonical_json(dict(record)), hashlib.sha256).digest()
    text = base64.b32encode(digest[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def normalise_receipt(text: str) -> str:
    compact = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return "-".join(compact[i : i + 4] for i in range(0, 16, 4)) if len(compact) == 16 else ""


@dataclass(frozen=True)
class VoteFacts:
    vote_id: int
    organisation_id: int
    question_id: int
    channel: str
    cast_at: datetime
    on_roll: bool
    authorised: bool  # the caster represented the organisation (approved) when casting
    effective: bool
    # Another effective vote of the same organisation and question came in person.
    in_person_conflict: bool = False


def vote_verdicts(facts: VoteFacts, *, voting_at: datetime, voting_ends_at: datetime) -> list[Verdict]:
    """Every vote admissibility rule, each with its verdict and reason, applied at close."""
    in_window = voting_at <= facts.cast_at < voting_ends_at
    verdicts = [
        Verdict("within_window", in_window, None if in_window else "outside_window", facts.cast_at.isoformat()),
        Verdict("on_roll", facts.on_roll, None if facts.on_roll else "not_on_roll"),
        Verdict("authorised", facts.authorised, None if facts.authorised else "not_authorised"),
        Verdict("effective", facts.effective, None if facts.effective else "superseded"),
    ]
    # The place for in-person precedence (DESIGN §4): an in-person vote of the same
    # organisation and question wins over an online one, and the conflict is reported.
    overridden = facts.in_person_conflict and facts.channel == "online"
    verdicts.append(Verdict("in_person_precedence", not overridden, "overridden_in_person" if overridden else None))
    return verdicts


def k_anonymous_counts(rows: Iterable[tuple[str, str, int]], k: int) -> list[tuple[str, str, int]]:
    """Counts by (weight, choice) to publish under a secret ballot: only for weights that at
    least ``k`` organisations share, so that a recount is possible without singling anyone
    out (DESIGN §4). ``rows`` are (weight as text, choice, count)."""
    rows = list(rows)
    holders: dict[str, int] = {}
    for weight, _choice, count in rows:
        holders[weight] = holders.get(weight, 0) + count
    return sorted((w, c, n) for w, c, n in rows if holders[w] >= k)
