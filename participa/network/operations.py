"""Network use cases: members and their liaisons, practices submitted, reviewed and replicated.
Each takes the acting person, checks what they may do, records an audit event and never
commits (DESIGN §3, network)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.core import storage
from participa.core.text import fold
from participa.core.text import plain_text as _plain
from participa.network import rules
from participa.network.models import (
    Meeting,
    MeetingRegistration,
    NetworkMember,
    Practice,
    PracticeDocument,
    PracticeReplication,
)
from participa.territory.models import Comuna

STAFF = (Role.NETWORK_STAFF,)
DOCUMENT_KIND = "practices"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS = 5


class NetworkError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _staff(actor: User) -> None:
    if not actor.has_role(*STAFF):
        raise NetworkError("forbidden")


# --- members ------------------------------------------------------------------------------------


def add_member(
    session: Session, *, actor: User, kind: str, comuna_cut: int | None, organisation_id: int | None,
    name: str, status: str, joined_on: date,
) -> NetworkMember:  # fmt: skip
    """Network staff add a municipality (named after its comuna), the council or an organisation."""
    _staff(actor)
    if kind not in rules.KINDS or status not in ("pilot", "member"):
        raise NetworkError("bad_member")
    if kind == "municipality":
        comuna = session.get(Comuna, comuna_cut) if comuna_cut else None
        if comuna is None:
            raise NetworkError("comuna_required")
        name = f"Municipalidad de {comuna.name}"
        if session.execute(
            sa.select(NetworkMember.id).where(
                NetworkMember.kind == "municipality", NetworkMember.comuna_cut == comuna_cut
            )
        ).first():
            raise NetworkError("already_member")
    name = _plain(name)
    if not 3 <= len(name) <= 200:
        raise NetworkError("name_length")
    member = NetworkMember(
        kind=kind, name=name, comuna_cut=comuna_cut, organisation_id=organisation_id, status=status,
        joined_on=joined_on,
    )  # fmt: skip
    session.add(member)
    try:
        session.flush()
    except IntegrityError as error:
        raise NetworkError("already_member") from error
    audit.record("network.member_added", actor=actor, object_type="network_member", object_id=member.id,
                 payload={"kind": kind, "status": status, "comuna": comuna_cut})  # fmt: skip
    return member


def change_member_status(session: Session, *, actor: User, member: NetworkMember, target: str, on: date) -> None:
    """pilot → member, pilot or member → left (dated), left → member (joins again)."""
    _staff(actor)
    if not rules.membership_change_allowed(member.status, target):
        raise NetworkError("bad_transition")
    previous = member.status
    member.status = target
    member.left_on = on if target == "left" else None
    if previous == "left":
        member.joined_on = on
    audit.record("network.member_status", actor=actor, object_type="network_member", object_id=member.id,
                 payload={"from": previous, "to": target, "on": on.isoformat()})  # fmt: skip


def set_liaison(session: Session, *, actor: User, member: NetworkMember, email: str) -> None:
    """Name the person, by their account's e-mail, who speaks for the member (or none: empty)."""
    _staff(actor)
    email = email.strip().lower()
    user = session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
    if email and user is None:
        raise NetworkError("unknown_account")
    member.liaison_id = user.id if user else None
    audit.record("network.liaison_set", actor=actor, object_type="network_member", object_id=member.id,
                 payload={"liaison": member.liaison_id})  # fmt: skip


def members(session: Session) -> list[NetworkMember]:
    """Every member, current ones first (pilot, member), then those that left; by name."""
    order = sa.case((NetworkMember.status == "left", 1), else_=0)
    return list(session.execute(sa.select(NetworkMember).order_by(order, NetworkMember.name)).scalars())


def liaison_memberships(session: Session, user: User | None) -> list[NetworkMember]:
    """The members, still in the network, this person speaks for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.execute(
            sa.select(NetworkMember)
            .where(NetworkMember.liaison_id == user.id, NetworkMember.status != "left")
            .order_by(NetworkMember.name)
        ).scalars()
    )


# --- practices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeData:
    member_id: int
    title: str
    summary: str
    pillar: str
    results: str
    how_to_replicate: str


def submit_practice(session: Session, *, actor: User, data: PracticeData, now: datetime) -> Practice:
    """A liaison shares a practice of their member; it waits for review before it is public."""
    member = session.get(NetworkMember, data.member_id)
    if member is None or member.liaison_id != actor.id or member.status == "left":
        raise NetworkError("not_liaison")
    title, summary = _plain(data.title), _plain(data.summary)
    results, how = _plain(data.results), _plain(data.how_to_replicate)
    problem = rules.practice_problem(title, summary, data.pillar, results, how)
    if problem:
        raise NetworkError(problem)
    practice = Practice(
        member_id=member.id, title=title, summary=summary, pillar=data.pillar, comuna_cut=member.comuna_cut,
        results=results, how_to_replicate=how, status="submitted", submitted_by_id=actor.id, submitted_at=now,
    )  # fmt: skip
    session.add(practice)
    session.flush()
    audit.record("network.practice_submitted", actor=actor, object_type="network_practice", object_id=practice.id,
                 payload={"member": member.id})  # fmt: skip
    return practice


def review_practice(
    session: Session, *, actor: User, practice: Practice, decision: str, reason: str, now: datetime
) -> None:
    """Network staff publish a submitted practice, or refuse it with the reason (shown to its
    member, and public: the library says why a practice is not in it only to its liaison)."""
    _staff(actor)
    reason = _plain(reason)
    problem = rules.review_problem(practice.status, decision, reason)
    if problem:
        raise NetworkError(problem)
    practice.status = "published" if decision == "publish" else "refused"
    practice.refusal_reason = reason if decision == "refuse" else None
    practice.reviewed_by_id, practice.reviewed_at = actor.id, now
    audit.record("network.practice_reviewed", actor=actor, object_type="network_practice", object_id=practice.id,
                 payload={"decision": decision})  # fmt: skip


def replicate_practice(
    session: Session, *, actor: User, practice: Practice, member_id: int, note: str, now: datetime
) -> None:
    """A liaison marks «la replicamos» for their member, once, with a short note."""
    member = session.get(NetworkMember, member_id)
    if member is None or member.liaison_id != actor.id:
        raise NetworkError("not_liaison")
    note = _plain(note)
    problem = rules.replication_problem(practice.status, practice.member_id == member.id, member.status, note)
    if problem:
        raise NetworkError(problem)
    try:
        with session.begin_nested():
            session.add(PracticeReplication(practice_id=practice.id, member_id=member.id, note=note,
                                            recorded_by_id=actor.id, recorded_at=now))  # fmt: skip
    except IntegrityError as error:
        raise NetworkError("already_replicated") from error
    session.execute(
        sa.update(Practice).where(Practice.id == practice.id).values(replications=Practice.replications + 1)
    )
    session.refresh(practice)
    audit.record("network.practice_replicated", actor=actor, object_type="network_practice",
                 object_id=practice.id, payload={"member": member.id})  # fmt: skip


@dataclass(frozen=True)
class LibraryFilters:
    text: str = ""
    pillar: str | None = None
    comuna_cut: int | None = None


def library(session: Session, filters: LibraryFilters = LibraryFilters()) -> list[Practice]:
    """Published practices, most replicated first, narrowed by words, pillar and comuna."""
    query = sa.select(Practice).where(Practice.status == "published")
    if filters.pillar:
        query = query.where(Practice.pillar == filters.pillar)
    if filters.comuna_cut is not None:
        query = query.where(Practice.comuna_cut == filters.comuna_cut)
    found = list(session.execute(query.order_by(Practice.replications.desc(), Practice.id.desc())).scalars())
    words = fold(filters.text).split()
    if words:
        found = [p for p in found if all(w in fold(f"{p.title} {p.summary} {p.results}") for w in words)]
    return found


def replications_of(session: Session, practice: Practice) -> list[PracticeReplication]:
    return list(
        session.execute(
            sa.select(PracticeReplication)
            .where(PracticeReplication.practice_id == practice.id)
            .order_by(PracticeReplication.recorded_at)
        ).scalars()
    )


def can_see(user: User | None, practice: Practice) -> bool:
    """Published practices are public; a submitted or refused one, to network staff and to the
    liaison of its member."""
    if practice.status == "published":
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(*STAFF) or practice.member.liaison_id == user.id


def add_document(
    session: Session, *, actor: User, practice: Practice, stream: BinaryIO, filename: str, now: datetime
) -> PracticeDocument:
    """The liaison of the practice's member attaches a PDF or image while the practice waits for
    review (what staff publish is what they reviewed), up to MAX_DOCUMENTS; the content decides
    the type, never the name (as for every upload, :func:`participa.core.storage.save_document`)."""
    if practice.member.liaison_id != actor.id:
        raise NetworkError("not_liaison")
    if practice.status != "submitted":
        raise NetworkError("already_reviewed")
    held = session.execute(
        sa.select(sa.func.count()).select_from(PracticeDocument).where(PracticeDocument.practice_id == practice.id)
    ).scalar_one()
    if held >= MAX_DOCUMENTS:
        raise NetworkError("too_many_documents")
    try:
        stored, mime = storage.save_document(stream, DOCUMENT_KIND, max_bytes=MAX_DOCUMENT_BYTES)
    except storage.UploadError as error:
        raise NetworkError(f"document_{error.code}") from error
    values = storage.document_values(stored, mime, filename, actor.id, "documento")
    document = PracticeDocument(practice_id=practice.id, uploaded_at=now, **values)
    session.add(document)
    session.flush()
    audit.record(
        "network.practice_document_added",
        actor=actor,
        object_type="network_practice",
        object_id=practice.id,
        payload={"document": document.id, "sha256": stored.sha256, "type": mime},
    )
    return document


def documents_of(session: Session, practice: Practice) -> list[PracticeDocument]:
    return list(
        session.execute(
            sa.select(PracticeDocument).where(PracticeDocument.practice_id == practice.id).order_by(PracticeDocument.id)
        ).scalars()
    )


def document_path(document: PracticeDocument) -> Path:
    return storage.path_of(DOCUMENT_KIND, document.stored_name)


def pending_review(session: Session) -> list[Practice]:
    return list(
        session.execute(sa.select(Practice).where(Practice.status == "submitted").order_by(Practice.id)).scalars()
    )


# --- meetings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingData:
    title: str
    kind: str
    starts_at: datetime
    place: str
    link: str
    agenda: str


def create_meeting(session: Session, *, actor: User, data: MeetingData) -> Meeting:
    """Network staff call a training or exchange session."""
    _staff(actor)
    title, place, link, agenda = _plain(data.title), _plain(data.place), _plain(data.link), _plain(data.agenda)
    problem = rules.meeting_problem(title, data.kind, place, link, agenda)
    if problem:
        raise NetworkError(problem)
    meeting = Meeting(title=title, kind=data.kind, starts_at=data.starts_at, place=place or None, link=link or None,
                      agenda=agenda, created_by_id=actor.id)  # fmt: skip
    session.add(meeting)
    session.flush()
    audit.record("network.meeting_created", actor=actor, object_type="network_meeting", object_id=meeting.id)
    return meeting


def register(session: Session, *, actor: User, meeting: Meeting, member_id: int, now: datetime) -> None:
    """A liaison registers their member, once, before the meeting starts."""
    member = session.get(NetworkMember, member_id)
    if member is None or member.liaison_id != actor.id:
        raise NetworkError("not_liaison")
    problem = rules.registration_problem(now >= meeting.starts_at, member.status)
    if problem:
        raise NetworkError(problem)
    try:
        with session.begin_nested():
            session.add(MeetingRegistration(meeting_id=meeting.id, member_id=member.id, registered_by_id=actor.id,
                                            registered_at=now))  # fmt: skip
    except IntegrityError as error:
        raise NetworkError("already_registered") from error
    audit.record("network.meeting_registered", actor=actor, object_type="network_meeting", object_id=meeting.id,
                 payload={"member": member.id})  # fmt: skip


def take_attendance(session: Session, *, actor: User, meeting: Meeting, present: set[int], now: datetime) -> None:
    """Network staff mark, from the meeting's start on, which registered members attended."""
    _staff(actor)
    if now < meeting.starts_at:
        raise NetworkError("not_started")
    for registration in registrations(session, meeting):
        registration.attended = registration.member_id in present
    audit.record("network.meeting_attendance", actor=actor, object_type="network_meeting", object_id=meeting.id,
                 payload={"present": sorted(present)})  # fmt: skip


def record_minutes(session: Session, *, actor: User, meeting: Meeting, minutes: str, now: datetime) -> None:
    """Network staff publish the minutes after the meeting started; they can be corrected."""
    _staff(actor)
    minutes = _plain(minutes)
    if now < meeting.starts_at:
        raise NetworkError("not_started")
    if not rules.TEXT_MIN <= len(minutes) <= rules.TEXT_MAX:
        raise NetworkError("minutes_length")
    meeting.minutes = minutes
    audit.record("network.meeting_minutes", actor=actor, object_type="network_meeting", object_id=meeting.id)


def registrations(session: Session, meeting: Meeting) -> list[MeetingRegistration]:
    return list(
        session.execute(
            sa.select(MeetingRegistration)
            .join(NetworkMember, NetworkMember.id == MeetingRegistration.member_id)
            .where(MeetingRegistration.meeting_id == meeting.id)
            .order_by(NetworkMember.name)
        ).scalars()
    )


def meetings(session: Session, now: datetime) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming meetings (soonest first) and past ones (latest first)."""
    upcoming = session.execute(sa.select(Meeting).where(Meeting.starts_at >= now).order_by(Meeting.starts_at))
    past = session.execute(sa.select(Meeting).where(Meeting.starts_at < now).order_by(Meeting.starts_at.desc()))
    return list(upcoming.scalars()), list(past.scalars())
