"""In-person sessions: planning, opening on a tablet, syncing what the tablet recorded, closing with
the acta (DESIGN §4, issue #13). Operations take the actor, check it, flush, and never commit."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participa.accounts.models import RoleAssignment, User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.consultations.models import Consultation, RollEntry
from participa.consultations.rules import Phase
from participa.core.canonical import canonical_json, sha256_hex
from participa.facilitation import rules
from participa.facilitation.models import InPersonSession, SessionCheckin, SyncRefusal
from participa.registry.models import Representation
from participa.voting import operations as voting
from participa.voting import rules as voting_rules
from participa.voting.models import Ballot


class SessionError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def state_of(row: InPersonSession) -> str:
    return rules.session_state(row.opened_at, row.token_revoked_at, row.closed_at)


# --- planning (a consultation's manager) ----------------------------------------------------------


@dataclass(frozen=True)
class SessionPlan:
    place: str
    comuna_cut: int | None
    starts_at: datetime
    ends_at: datetime
    facilitator_id: int


def facilitators(session: Session) -> list[User]:
    """Active people holding the facilitator role, by name."""
    return list(
        session.execute(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.FACILITATOR, User.active)
            .order_by(User.name)
        )
        .unique()
        .scalars()
    )


def plan_session(session: Session, *, actor: User, consultation: Consultation, plan: SessionPlan) -> InPersonSession:
    """Plan a session of a consultation not yet counted, inside its voting window, run by a
    facilitator."""
    if not actor.has_role(Role.MANAGER):
        raise SessionError("forbidden")
    if consultation.phase not in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING, Phase.DRAFT):
        raise SessionError("consultation_over")
    problems = rules.plan_problems(plan.starts_at, plan.ends_at, consultation.voting_at, consultation.voting_ends_at)
    if problems:
        raise SessionError(problems[0])
    facilitator = session.get(User, plan.facilitator_id)
    if facilitator is None or not facilitator.active or not facilitator.has_role(Role.FACILITATOR):
        raise SessionError("not_facilitator")
    row = InPersonSession(
        consultation_id=consultation.id,
        place=plan.place.strip(),
        comuna_cut=plan.comuna_cut,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        facilitator_id=facilitator.id,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        "facilitation.session_planned",
        actor=actor,
        object_type="in_person_session",
        object_id=row.id,
        payload={"consultation": consultation.id, "facilitator": facilitator.id, "comuna": plan.comuna_cut},
    )
    return row


def _sessions(session: Session, condition: sa.ColumnElement[bool]) -> list[InPersonSession]:
    query = sa.select(InPersonSession).where(condition).order_by(InPersonSession.starts_at, InPersonSession.id)
    return list(session.execute(query).scalars())


def sessions_of(session: Session, consultation_id: int) -> list[InPersonSession]:
    """A consultation's sessions, by start."""
    return _sessions(session, InPersonSession.consultation_id == consultation_id)


def sessions_for_facilitator(session: Session, user: User) -> list[InPersonSession]:
    """The sessions this person runs, by start."""
    return _sessions(session, InPersonSession.facilitator_id == user.id)


def revoke_token(session: Session, *, actor: User, row: InPersonSession, now: datetime) -> None:
    """Withdraw the tablet's token (a lost or stolen tablet): it syncs nothing more, and the
    session may be opened again on another tablet."""
    if not actor.has_role(Role.MANAGER):
        raise SessionError("forbidden")
    if state_of(row) != rules.OPEN:
        raise SessionError("not_open")
    row.token_revoked_at = now
    row.revoked_by_id = actor.id
    audit.record("facilitation.token_revoked", actor=actor, object_type="in_person_session", object_id=row.id)


# --- opening on a tablet (the facilitator, online) ----------------------------------------------


def _served(row: InPersonSession) -> sa.ColumnElement[bool]:
    """The roll entries the session serves: its consultation's, of its comuna if it has one."""
    condition = RollEntry.consultation_id == row.consultation_id
    if row.comuna_cut is not None:
        condition = sa.and_(condition, RollEntry.comuna_cut == row.comuna_cut)
    return condition


def _served_entries(session: Session, row: InPersonSession) -> list[RollEntry]:
    return list(session.execute(sa.select(RollEntry).where(_served(row)).order_by(RollEntry.legal_name)).scalars())


def _representatives(session: Session, row: InPersonSession) -> dict[int, list[tuple[int, str]]]:
    """Per organisation the session serves, the people with a RUT whose representation of it was
    approved and not revoked before the session started: (user id, RUT). Whether a period covers
    the moment of a vote is the cast rules' question (a revocation during the session counts)."""
    found: dict[int, list[tuple[int, str]]] = {}
    rows = session.execute(
        sa.select(Representation.organisation_id, User.id, User.rut)
        .join(User, User.id == Representation.user_id)
        .join(RollEntry, RollEntry.organisation_id == Representation.organisation_id)
        .where(
            _served(row),
            Representation.approved_at.is_not(None),
            sa.or_(Representation.revoked_at.is_(None), Representation.revoked_at > row.starts_at),
            User.rut.is_not(None),
        )
    ).all()
    for organisation_id, user_id, rut in rows:
        found.setdefault(organisation_id, []).append((user_id, rut))
    return found


def session_record(row: InPersonSession, consultation: Consultation) -> dict[str, Any]:
    """The session as the tablet receives it, signed by the server."""
    return {
        "session": row.id,
        "consultation": consultation.id,
        "title": consultation.title,
        "place": row.place,
        "comuna": row.comuna.name if row.comuna is not None else None,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "facilitator": row.facilitator.name,
        "device": row.device,
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
    }


def open_session(
    session: Session, *, actor: User, row: InPersonSession, device: str, now: datetime, secret_key: str
) -> dict[str, Any]:
    """Open the session on a tablet: a new sync token (only its hash is kept), a new salt, and
    everything the tablet needs offline: the signed session record, the questions, the roll
    entries the session serves with their weights, each authorised representative's RUT only
    as a salted hash, and the key the tablet signs receipts with."""
    if row.facilitator_id != actor.id:
        raise SessionError("forbidden")
    problem = rules.may_open(state_of(row), now, row.starts_at, row.ends_at)
    if problem:
        raise SessionError(problem)
    consultation = session.get(Consultation, row.consultation_id)
    assert consultation is not None
    if consultation.roll_frozen_at is None or consultation.phase != Phase.VOTING:
        raise SessionError("not_voting")
    token, salt = rules.new_token(), rules.new_salt()
    row.opened_at, row.device = now, device.strip()[:80] or "tableta"
    row.token_sha256, row.token_revoked_at, row.revoked_by_id, row.rut_salt = (
        rules.token_sha256(token),
        None,
        None,
        salt,
    )
    session.flush()
    entries = _served_entries(session, row)
    people = {
        organisation: sorted({rules.rut_hash(salt, rut) for _user_id, rut in listed})
        for organisation, listed in _representatives(session, row).items()
    }
    record = session_record(row, consultation)
    audit.record(
        "facilitation.session_opened",
        actor=actor,
        object_type="in_person_session",
        object_id=row.id,
        payload={"device": row.device, "organisations": len(entries)},
    )
    return {
        "record": record,
        "signature": URLSafeSerializer(secret_key, salt="participa-session-record").dumps(record),
        "token": token,
        "salt": salt,
        "receipt_key": rules.receipt_key(secret_key, row.id, salt),
        "grace_hours": int(rules.SYNC_GRACE / timedelta(hours=1)),
        "questions": [{"id": q.id, "title": q.project.title, "position": q.position} for q in consultation.questions],
        "roll": [
            {
                "organisation": e.organisation_id,
                "name": e.legal_name,
                "weight": str(e.weight),
                "representatives": people.get(e.organisation_id, []),
            }
            for e in entries
        ],
    }


def session_for_token(session: Session, session_id: int, token: str) -> InPersonSession | None:
    """The session this token opened, or None (no such session, or another token)."""
    if not token:
        return None
    row = session.get(InPersonSession, session_id)
    if row is None or row.token_sha256 is None or row.token_sha256 != rules.token_sha256(token):
        return None
    return row


# --- sync ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """The answer to one synced item: an HTTP-like status (201 stored, 200 acknowledged again,
    409 same UUID with other content, 422 refused by a rule, 400 malformed, 503 try again) and,
    for a vote stored or acknowledged, its receipt code."""

    uuid: str
    status: int
    reason: str | None = None
    receipt: str | None = None

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"uuid": self.uuid, "status": self.status}
        if self.reason:
            answer["reason"] = self.reason
        if self.receipt:
            answer["receipt"] = self.receipt
        return answer


@dataclass(frozen=True)
class Item:
    """One item as the tablet sent it, parsed."""

    uuid: str
    kind: str
    organisation_id: int
    representative: str
    seq: int
    device_time: datetime | None
    answers: dict[int, str]
    content: str  # SHA-256 of the item as sent

    @classmethod
    def parse(cls, raw: Any) -> Item:
        """Raises ValueError with a reason when the item is malformed."""
        if not isinstance(raw, dict):
            raise ValueError("malformed")
        try:
            client_uuid = str(uuid.UUID(str(raw.get("uuid"))))
        except ValueError:
            raise ValueError("bad_uuid") from None
        kind = raw.get("kind")
        organisation, seq = raw.get("organisation"), raw.get("seq")
        representative = raw.get("representative")
        if kind not in rules.KINDS or not isinstance(representative, str) or len(representative) != 64:
            raise ValueError("malformed")
        if not isinstance(organisation, int) or not 0 < organisation < 2**31:
            raise ValueError("malformed")
        if not isinstance(seq, int) or not 0 <= seq < 2**31:
            raise ValueError("malformed")
        answers: dict[int, str] = {}
        if kind == "vote":
            given = raw.get("answers")
            if not isinstance(given, dict) or len(given) > 100:
                raise ValueError("malformed")
            for question, choice in given.items():
                if (
                    not (isinstance(question, str) and question.isascii() and question.isdigit())
                    or int(question) >= 2**31
                ):
                    raise ValueError("malformed")
                if not isinstance(choice, str):
                    raise ValueError("malformed")
                answers[int(question)] = choice
        return cls(
            client_uuid,
            kind,
            organisation,
            representative,
            seq,
            _device_time(raw.get("device_time")),
            answers,
            rules.content_sha256(raw),
        )


def _device_time(value: Any) -> datetime | None:
    """The device's clock as sent (ISO 8601), informative only; anything else is dropped."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# The RUT hashes of a session's representatives, kept per opening (session id and salt) while the
# process lives: a sync request no longer hashes the whole roll's representatives each time (29–35
# ms with 13,000 organisations, bench/tablet_sync.py). A representative approved after the opening
# is not on the tablet either; whether a person was authorised at the vote's moment is still the
# cast rules' question, asked of the database for every vote.
_PEOPLE_CACHE: dict[tuple[int, str], dict[str, int]] = {}
_PEOPLE_CACHE_SIZE = 64


def _people(session: Session, row: InPersonSession) -> dict[str, int]:
    """RUT hash -> user id for the session's current opening."""
    assert row.rut_salt is not None
    key = (row.id, row.rut_salt)
    found = _PEOPLE_CACHE.get(key)
    if found is None:
        found = {
            rules.rut_hash(row.rut_salt, rut): user_id
            for listed in _representatives(session, row).values()
            for user_id, rut in listed
        }
        if len(_PEOPLE_CACHE) >= _PEOPLE_CACHE_SIZE:
            _PEOPLE_CACHE.pop(next(iter(_PEOPLE_CACHE)))
        _PEOPLE_CACHE[key] = found
    return found


@dataclass
class SyncContext:
    row: InPersonSession
    consultation: Consultation
    people: dict[str, int]  # RUT hash -> user id
    secret_key: str
    now: datetime
    actor: User


def sync(
    session: Session, *, row: InPersonSession, items: Sequence[Any], now: datetime, secret_key: str
) -> list[ItemResult]:
    """Store what a tablet recorded, item by item (a bad item refuses only itself), each in its
    own savepoint. Idempotent by UUID: the same UUID and content is acknowledged again and
    changes nothing; the same UUID with other content is refused (409) and flagged. A vote is
    checked against the cast rules of every channel (:data:`participa.voting.rules.CAST_RULES`)
    at the moment the session's window gives it (:func:`rules.moment_of`), never the device's."""
    problem = rules.sync_refusal(state_of(row), now, row.ends_at)
    if problem:
        raise SessionError(problem)
    consultation = session.get(Consultation, row.consultation_id)
    assert consultation is not None and row.rut_salt is not None
    context = SyncContext(row, consultation, _people(session, row), secret_key, now, row.facilitator)
    results = []
    for raw in items:
        try:
            item = Item.parse(raw)
        except ValueError as error:
            given = raw.get("uuid") if isinstance(raw, dict) else None
            results.append(ItemResult(str(given)[:36] if given else "", 400, str(error)))
            continue
        results.append(_sync_item(session, context, item))
    stored = Counter(r.status for r in results)
    audit.record(
        "facilitation.synced",
        actor=row.facilitator_id,
        object_type="in_person_session",
        object_id=row.id,
        payload={"items": len(results), "by_status": {str(k): v for k, v in sorted(stored.items())}},
    )
    return results


def _sync_item(session: Session, context: SyncContext, item: Item) -> ItemResult:
    savepoint = session.begin_nested()
    try:
        result = _checkin(session, context, item) if item.kind == "checkin" else _vote(session, context, item)
    except (IntegrityError, voting.VotingError):
        # Another tablet's ballot of the same organisation won a race: nothing was kept, and the
        # tablet keeps the item to send again.
        savepoint.rollback()
        return ItemResult(item.uuid, 503, "retry")
    savepoint.commit()
    return result


def _refuse(session: Session, context: SyncContext, item: Item, reason: str, status: int = 422) -> ItemResult:
    exists = session.execute(
        sa.select(SyncRefusal.id).where(
            SyncRefusal.client_uuid == item.uuid,
            SyncRefusal.reason == reason,
            SyncRefusal.content_sha256 == item.content,
        )
    ).first()
    if exists is None:
        session.add(
            SyncRefusal(
                session_id=context.row.id,
                client_uuid=item.uuid,
                kind=item.kind,
                reason=reason,
                content_sha256=item.content,
                received_at=context.now,
            )
        )
        session.flush()
        if reason == "conflict":
            audit.record(
                "facilitation.sync_conflict",
                actor=context.row.facilitator_id,
                object_type="in_person_session",
                object_id=context.row.id,
                payload={"uuid": item.uuid, "kind": item.kind},
            )
    return ItemResult(item.uuid, status, reason)


def _earlier_refusal(session: Session, item: Item) -> str | None:
    return session.execute(
        sa.select(SyncRefusal.reason).where(
            SyncRefusal.client_uuid == item.uuid,
            SyncRefusal.content_sha256 == item.content,
            SyncRefusal.reason != "conflict",
        )
    ).scalar()


def _checkin(session: Session, context: SyncContext, item: Item) -> ItemResult:
    stored = session.execute(sa.select(SessionCheckin).where(SessionCheckin.client_uuid == item.uuid)).scalar()
    user_id = context.people.get(item.representative)
    if stored is not None:
        same = (stored.session_id, stored.organisation_id, stored.user_id, stored.device_seq) == (
            context.row.id,
            item.organisation_id,
            user_id,
            item.seq,
        )
        return ItemResult(item.uuid, 200) if same else _refuse(session, context, item, "conflict", 409)
    if (earlier := _earlier_refusal(session, item)) is not None:
        return ItemResult(item.uuid, 422, earlier)
    if user_id is None:
        return _refuse(session, context, item, "not_authorised")
    session.add(
        SessionCheckin(
            session_id=context.row.id,
            client_uuid=item.uuid,
            organisation_id=item.organisation_id,
            user_id=user_id,
            device_seq=item.seq,
            device_time=item.device_time,
            received_at=context.now,
        )
    )
    session.flush()
    return ItemResult(item.uuid, 201)


def _vote(session: Session, context: SyncContext, item: Item) -> ItemResult:
    row = context.row
    assert row.rut_salt is not None
    key = rules.receipt_key(context.secret_key, row.id, row.rut_salt)
    stored = session.execute(sa.select(Ballot).where(Ballot.client_uuid == item.uuid)).scalar()
    if stored is not None:
        if stored.content_sha256 != item.content or stored.session_id != row.id:
            return _refuse(session, context, item, "conflict", 409)
        return ItemResult(item.uuid, 200, receipt=stored.receipt_code)
    if (earlier := _earlier_refusal(session, item)) is not None:
        return ItemResult(item.uuid, 422, earlier)
    user_id = context.people.get(item.representative)
    if user_id is None:
        return _refuse(session, context, item, "not_authorised")
    at = rules.moment_of(context.now, row.starts_at, row.ends_at)
    facts = voting.ballot_facts(
        session,
        consultation=context.consultation,
        organisation_id=item.organisation_id,
        person_id=user_id,
        answers=item.answers,
        at=at,
        channel="in_person",
        comuna_cut=row.comuna_cut,
        lock=True,
    )
    refusal = voting_rules.cast_refusal(facts)
    if refusal is not None:
        return _refuse(session, context, item, refusal)
    code = rules.receipt_code(key, rules.ballot_message(row.id, item.uuid, item.organisation_id, item.answers))
    voting.record_ballot(
        session,
        actor=context.actor,
        consultation=context.consultation,
        organisation_id=item.organisation_id,
        cast_by_id=user_id,
        answers=item.answers,
        at=at,
        receipt_code=code,
        in_person=voting.InPersonMark(
            session_id=row.id,
            client_uuid=item.uuid,
            device_seq=item.seq,
            device_time=item.device_time,
            content_sha256=item.content,
            late_sync=rules.is_late(context.now, row.ends_at),
        ),
    )
    return ItemResult(item.uuid, 201, receipt=code)


# --- closing and the acta -----------------------------------------------------------------------


def acta_counts(session: Session, row: InPersonSession, recorded: int) -> rules.ActaCounts:
    checkins = session.execute(
        sa.select(
            sa.func.count(sa.distinct(SessionCheckin.organisation_id)),
            sa.func.count(sa.distinct(SessionCheckin.user_id)),
        ).where(SessionCheckin.session_id == row.id)
    ).one()
    stored, late = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Ballot.late_sync)).where(Ballot.session_id == row.id)
    ).one()
    refusals = session.execute(
        sa.select(SyncRefusal.reason, sa.func.count(sa.distinct(SyncRefusal.client_uuid)))
        .where(SyncRefusal.session_id == row.id, SyncRefusal.kind == "vote")
        .group_by(SyncRefusal.reason)
    ).all()
    by_reason = {reason: count for reason, count in refusals if reason != "conflict"}
    return rules.ActaCounts(
        organisations=checkins[0],
        representatives=checkins[1],
        recorded=recorded,
        stored=stored,
        refused=by_reason,
        conflicts=dict(refusals).get("conflict", 0),
        late=late,
    )


def close_session(
    session: Session, *, actor: User, row: InPersonSession, recorded: int, now: datetime
) -> dict[str, Any]:
    """Close the session and sign its acta: the facilitator, signed in, confirms the figures.
    ``recorded``: how many votes the tablet says it recorded. The tablet's token syncs nothing
    more afterwards."""
    if row.facilitator_id != actor.id:
        raise SessionError("forbidden")
    if state_of(row) != rules.OPEN:
        raise SessionError("not_open")
    if not isinstance(recorded, int) or not 0 <= recorded < 2**31:
        raise SessionError("malformed")
    consultation = session.get(Consultation, row.consultation_id)
    assert consultation is not None
    counts = acta_counts(session, row, recorded)
    record = session_record(row, consultation)
    record["closed_at"] = now.isoformat()
    acta = rules.acta_record(counts, session=record, signed_by=actor.name, signed_at=now)
    text = canonical_json(acta).decode("utf-8")
    row.closed_at, row.acta_json, row.acta_sha256, row.signed_by_id = now, text, sha256_hex(text.encode()), actor.id
    audit.record(
        "facilitation.session_closed",
        actor=actor,
        object_type="in_person_session",
        object_id=row.id,
        payload={"acta_sha256": row.acta_sha256, "stored": counts.stored, "refused": counts.refused_total},
    )
    return acta


def acta_of(row: InPersonSession) -> dict[str, Any] | None:
    return json.loads(row.acta_json) if row.acta_json else None
