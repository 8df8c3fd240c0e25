"""Certification's rules as plain functions: who may certify, what a decision leads to, the
certificate code, what a certified result means for each project, and the checks of the public
verification (DESIGN §4, Certification and record)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Crockford's base 32: digits and capitals without I, L, O and U, so that nothing read aloud or
# typed from paper is ambiguous (an O is read as 0, an I or L as 1).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
CODE_GROUP = 5
CODE_LENGTH = 2 * CODE_GROUP  # 50 bits: guessing one of a few hundred certificates is hopeless
APPROVALS_NEEDED = 2
REASON_MIN = 10


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


class Conflict(StrEnum):
    """Why a certifier may not certify a consultation (segregation of duties)."""

    MANAGED = "managed"  # created it, changed its configuration or moved its phases
    FACILITATED = "facilitated"  # recorded in-person votes in one of its sessions
    VOTED = "voted"  # cast a ballot in it for an organisation


class Refusal(StrEnum):
    """Why a certification step is refused."""

    NOT_IN_CERTIFICATION = "not_in_certification"
    NO_RESULT = "no_result"
    STALE_RESULT = "stale_result"  # the page showed another result than the one stored now
    ALREADY_DECIDED = "already_decided"  # this certifier already approved or refused this round
    CONFLICT = "conflict"
    REASON_TOO_SHORT = "reason_too_short"
    AUDIT_NOT_SEALED = "audit_not_sealed"
    CERTIFIED = "certified"  # nothing that fed a certified result may change


class CertificationError(Exception):
    def __init__(self, code: Refusal, detail: str = "") -> None:
        super().__init__(code.value)
        self.code = code
        self.detail = detail


def conflicts_of(
    certifier_id: int,
    *,
    created_by_id: int | None,
    managers: Iterable[int],
    facilitators: Iterable[int],
    voters: Iterable[int],
) -> list[Conflict]:
    """Every reason the person may not certify this consultation; empty when they may."""
    found = []
    if certifier_id == created_by_id or certifier_id in set(managers):
        found.append(Conflict.MANAGED)
    if certifier_id in set(facilitators):
        found.append(Conflict.FACILITATED)
    if certifier_id in set(voters):
        found.append(Conflict.VOTED)
    return found


@dataclass(frozen=True)
class PriorDecision:
    certifier_id: int
    decision: Decision
    result_sha256: str


def check_decision(
    certifier_id: int,
    decision: Decision,
    reason: str | None,
    *,
    seen_sha256: str,
    current_sha256: str | None,
    prior: Iterable[PriorDecision],
    conflicts: Iterable[Conflict],
) -> None:
    """Raise :class:`CertificationError` unless this certifier may take this decision on the
    current round: a result exists and is the one they reviewed, they have not decided this
    round already, nothing bars them, and a refusal says why."""
    if current_sha256 is None:
        raise CertificationError(Refusal.NO_RESULT)
    if seen_sha256 != current_sha256:
        raise CertificationError(Refusal.STALE_RESULT)
    if any(p.certifier_id == certifier_id for p in prior):
        raise CertificationError(Refusal.ALREADY_DECIDED)
    found = list(conflicts)
    if found:
        raise CertificationError(Refusal.CONFLICT, ",".join(c.value for c in found))
    if decision == Decision.REFUSE and len((reason or "").strip()) < REASON_MIN:
        raise CertificationError(Refusal.REASON_TOO_SHORT)


class Outcome(StrEnum):
    """What a round's decisions amount to."""

    PENDING = "pending"  # waiting for a (second) certifier
    CERTIFIED = "certified"  # two different certifiers approved the same result
    RECOUNT = "recount"  # a certifier refused: back to counting after a correction


def outcome(decisions: Iterable[PriorDecision], current_sha256: str) -> Outcome:
    """Two approvals of the current result by two different people certify it; one refusal
    sends it back. Approvals of another result (there can be none within a round, but the
    rule does not rely on it) do not count."""
    decided = list(decisions)
    if any(d.decision == Decision.REFUSE for d in decided):
        return Outcome.RECOUNT
    approvers = {
        d.certifier_id for d in decided if d.decision == Decision.APPROVE and d.result_sha256 == current_sha256
    }
    return Outcome.CERTIFIED if len(approvers) >= APPROVALS_NEEDED else Outcome.PENDING


def new_code() -> str:
    """A fresh certificate code, as printed: two groups of five, "7K3QD-M9XWA"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:CODE_GROUP]}-{raw[CODE_GROUP:]}"


def normalise_code(text: str | None) -> str | None:
    """A code as typed (lower case, spaces, no dash, O for 0, I or L for 1) in its printed
    form, or ``None`` when it cannot be one."""
    if not text:
        return None
    raw = "".join(_READ_AS.get(c, c) for c in text.upper() if not c.isspace() and c != "-")
    if len(raw) != CODE_LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return f"{raw[:CODE_GROUP]}-{raw[CODE_GROUP:]}"


class ProjectOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    CONSULTED = "consulted"  # the result was not binding (consultative level or no quorum)


def project_outcome(question: Mapping[str, Any]) -> ProjectOutcome:
    """A certified question's consequence for its project, from the result's own fields: a
    binding verdict approves or rejects it; anything else leaves it consulted."""
    if not question.get("binding"):
        return ProjectOutcome.CONSULTED
    return ProjectOutcome.APPROVED if question.get("verdict") == "approved" else ProjectOutcome.REJECTED


class Check(StrEnum):
    """What the public verification recomputes."""

    RESULT = "result"  # SHA-256 of the stored canonical bytes
    RESULT_NAMES = "result_names"  # the roll and trackers hashes written inside the result
    ROLL = "roll"  # the roll hash, from the roll entries
    TRACKERS = "trackers"  # the trackers hash, from the trackers list as published
    AUDIT_BLOCK = "audit_block"  # the block's hash from its events, and its place in the chain


@dataclass(frozen=True)
class CheckResult:
    check: Check
    ok: bool
    expected: str
    found: str


def compare(check: Check, expected: str, found: str | None) -> CheckResult:
    return CheckResult(check, found is not None and found == expected, expected, found or "")


def all_match(results: Iterable[CheckResult]) -> bool:
    listed = list(results)
    return bool(listed) and all(r.ok for r in listed)
