"""The network's rules as plain functions (DESIGN §3, network): how a membership may change, what
a practice needs, who may review and who may replicate."""

from __future__ import annotations

KINDS = ("municipality", "council", "organisation")
MEMBER_STATUSES = ("pilot", "member", "left")
PILLARS = ("transparency", "accountability", "participation")
PRACTICE_STATUSES = ("submitted", "published", "refused")
TITLE_MAX = 150
TEXT_MIN, TEXT_MAX = 20, 4000
NOTE_MIN, NOTE_MAX = 3, 1000
REASON_MIN = 3

# A pilot member becomes a member; either may leave; one that left may join again.
MEMBER_TRANSITIONS = {
    "pilot": frozenset({"member", "left"}),
    "member": frozenset({"left"}),
    "left": frozenset({"member"}),
}


def membership_change_allowed(current: str, target: str) -> bool:
    return target in MEMBER_TRANSITIONS.get(current, frozenset())


def practice_problem(title: str, summary: str, pillar: str, results: str, how_to_replicate: str) -> str | None:
    """Why a practice cannot be submitted as written, or None."""
    if not title or len(title) > TITLE_MAX:
        return "title_length"
    if pillar not in PILLARS:
        return "bad_pillar"
    for code, text in (
        ("summary_length", summary),
        ("results_length", results),
        ("replicate_length", how_to_replicate),
    ):
        if not TEXT_MIN <= len(text) <= TEXT_MAX:
            return code
    return None


def review_problem(status: str, decision: str, reason: str) -> str | None:
    """A submitted practice is published, or refused with its reason; a reviewed one stays."""
    if status != "submitted":
        return "already_reviewed"
    if decision not in ("publish", "refuse"):
        return "bad_decision"
    if decision == "refuse" and len(reason) < REASON_MIN:
        return "reason_required"
    return None


def replication_problem(practice_status: str, own: bool, member_status: str | None, note: str) -> str | None:
    """A member in the network marks a published practice of another member, with a note."""
    if member_status is None or member_status == "left":
        return "not_a_member"
    if practice_status != "published":
        return "not_published"
    if own:
        return "own_practice"
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        return "note_length"
    return None


MEETING_KINDS = ("training", "exchange")


def meeting_problem(title: str, kind: str, place: str, link: str, agenda: str) -> str | None:
    """What a meeting needs: a title, a kind, a place or a web link (or both), an agenda."""
    if not 3 <= len(title) <= TITLE_MAX:
        return "title_length"
    if kind not in MEETING_KINDS:
        return "bad_kind"
    if not place and not link:
        return "somewhere"
    if link and not link.startswith(("https://", "http://")):
        return "bad_link"
    if not TEXT_MIN <= len(agenda) <= TEXT_MAX:
        return "agenda_length"
    return None


def registration_problem(started: bool, member_status: str | None) -> str | None:
    """A current member registers before the meeting starts."""
    if member_status is None or member_status == "left":
        return "not_a_member"
    if started:
        return "already_started"
    return None
