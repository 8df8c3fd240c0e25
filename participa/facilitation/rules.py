"""In-person session rules as plain functions (DESIGN §4, "In-person sessions (tablets)"): the
session's window, the tokens and hashes a tablet holds, the receipt a tablet shows offline, the
moment a synced vote counts as cast, and the acta's counts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from participa.core.canonical import canonical_json
from participa.voting.rules import printed_code

# How long after a session's end a tablet may still sync what it recorded during the session
# (a facilitator back from a place without network). Such votes are accepted and flagged.
SYNC_GRACE = timedelta(hours=24)
# A session may be opened on its tablet this long before it starts (to prepare it online).
OPEN_AHEAD = timedelta(hours=12)
MAX_BATCH = 500  # items per sync request
KINDS = ("checkin", "vote")


# --- planning ------------------------------------------------------------------------------------


def plan_problems(starts_at: datetime, ends_at: datetime, voting_at: datetime, voting_ends_at: datetime) -> list[str]:
    """Why a session's window cannot be planned: it must end after it starts and lie inside the
    consultation's voting window (a vote in person counts at a moment of the session)."""
    problems = []
    if not starts_at < ends_at:
        problems.append("window_order")
    if starts_at < voting_at or ends_at > voting_ends_at:
        problems.append("outside_voting")
    return problems


# --- the session's state -------------------------------------------------------------------------

PLANNED, OPEN, REVOKED, CLOSED = "planned", "open", "revoked", "closed"


def session_state(opened_at: datetime | None, token_revoked_at: datetime | None, closed_at: datetime | None) -> str:
    """Planned (not opened on a tablet), open, revoked (its tablet's token withdrawn by the
    manager: it may be opened again on another tablet) or closed (acta signed)."""
    if closed_at is not None:
        return CLOSED
    if opened_at is None:
        return PLANNED
    return REVOKED if token_revoked_at is not None else OPEN


def may_open(state: str, now: datetime, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a session cannot be opened on a tablet now, or None."""
    if state == CLOSED:
        return "closed"
    if state == OPEN:
        return "already_open"
    if now < starts_at - OPEN_AHEAD:
        return "too_early"
    if now >= ends_at:
        return "over"
    return None


def sync_refusal(state: str, received_at: datetime, ends_at: datetime, grace: timedelta = SYNC_GRACE) -> str | None:
    """Why nothing of a sync is accepted, or None: the session must be open on this tablet
    (a revoked token or a closed session syncs nothing) and the grace after its end not over."""
    if state == REVOKED:
        return "revoked"
    if state != OPEN:
        return "not_open"
    if received_at >= ends_at + grace:
        return "too_late"
    return None


def moment_of(received_at: datetime, starts_at: datetime, ends_at: datetime) -> datetime:
    """The moment a vote synced at ``received_at`` counts as cast: the server's clock, inside the
    session's window (never the device's clock). A vote synced after the end counts at the
    session's last instant, one synced before its start (a tablet opened early) at its start."""
    last = ends_at - timedelta(microseconds=1)
    return min(max(received_at, starts_at), last)


def is_late(received_at: datetime, ends_at: datetime) -> bool:
    """Synced after the session's end (within the grace): accepted, flagged for the certifier."""
    return received_at >= ends_at


def count_waits(ends_at: datetime, now: datetime, grace: timedelta = SYNC_GRACE) -> bool:
    """Whether the count must wait for a session open on a tablet: it may still sync."""
    return now < ends_at + grace


# --- what the tablet holds ----------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def rut_hash(salt: str, rut: str) -> str:
    """A representative's RUT as the tablet holds it: SHA-256 (hex) of ``salt:RUT``, the RUT
    normalised (``12345678-K``). The salt is the session's, so hashes mean nothing elsewhere."""
    return hashlib.sha256(f"{salt}:{rut}".encode()).hexdigest()


def receipt_key(secret_key: str, session_id: int, salt: str) -> str:
    """The key a tablet signs its receipts with (hex): derived from the server's secret, the
    session and its salt, so a new opening of the session gets a new key."""
    base = hashlib.sha256(b"participa-in-person\x00" + secret_key.encode()).digest()
    return hmac.new(base, f"{session_id}:{salt}".encode(), hashlib.sha256).hexdigest()


def ballot_message(session_id: int, client_uuid: str, organisation_id: int, answers: Mapping[int, str]) -> str:
    """What a receipt signs, in a form the tablet's JavaScript builds byte for byte:
    ``session|uuid|organisation|question=choice;...`` with questions in ascending order."""
    listed = ";".join(f"{question}={choice}" for question, choice in sorted(answers.items()))
    return f"{session_id}|{client_uuid}|{organisation_id}|{listed}"


def receipt_code(key_hex: str, message: str) -> str:
    """The receipt code of an in-person ballot: HMAC-SHA-256 of its message under the session's
    receipt key, printed like an online receipt (4 groups of 4 base-32 characters)."""
    return printed_code(hmac.new(bytes.fromhex(key_hex), message.encode("utf-8"), hashlib.sha256).digest())


def content_sha256(item: Mapping[str, Any]) -> str:
    """The SHA-256 of a synced item's content (every field the tablet sent): the same UUID must
    come back with the same content to be acknowledged again."""
    return hashlib.sha256(canonical_json(dict(item))).hexdigest()


# --- the acta ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActaCounts:
    """The acta's figures. ``recorded``: votes the tablet says it recorded; ``stored``: in-person
    ballots kept from this session; ``refused``: votes a rule refused, by reason; ``conflicts``:
    UUIDs sent again with other content; ``late``: stored after the session's end."""

    organisations: int
    representatives: int
    recorded: int
    stored: int
    refused: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    late: int = 0

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    @property
    def missing(self) -> int:
        """Votes recorded on the tablet that the server neither stored nor refused."""
        return max(self.recorded - self.stored - self.refused_total, 0)

    @property
    def adds_up(self) -> bool:
        return self.recorded == self.stored + self.refused_total


def acta_record(
    counts: ActaCounts, *, session: Mapping[str, Any], signed_by: str, signed_at: datetime
) -> dict[str, Any]:
    """The acta as published: the session (place, comuna, window, facilitator, device, times),
    attendance and vote counts, the signature; no choice and no person's RUT."""
    return {
        "session": dict(session),
        "attendance": {"organisations": counts.organisations, "representatives": counts.representatives},
        "votes": {
            "recorded_on_tablet": counts.recorded,
            "stored": counts.stored,
            "refused": counts.refused_total,
            "refused_by_reason": dict(sorted(counts.refused.items())),
            "conflicts": counts.conflicts,
            "late": counts.late,
            "missing": counts.missing,
            "adds_up": counts.adds_up,
        },
        "signed_by": signed_by,
        "signed_at": signed_at,
    }
