"""Consultation use cases: create and open, move phases (by hand or on schedule), freeze the
roll, compute the power index. Each takes the acting person (or ``None`` for the scheduler),
checks permission, writes, audits and flushes; the caller commits and enqueues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.consultations import power, weights
from participa.consultations.models import Consultation, PowerIndex, Question, RollEntry
from participa.consultations.rules import Phase, Schedule, early_start, manual_change_allowed, scheduled_phase
from participa.core import db
from participa.core.canonical import canonical_json, sha256_hex
from participa.core.db import utcnow
from participa.facilitation import rules as facilitation_rules
from participa.facilitation.models import InPersonSession
from participa.projects.models import Project
from participa.projects.rules import ProjectState
from participa.registry.models import Organisation


class ConsultationError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class ConsultationData:
    title: str
    description: str
    participation_level: str
    project_ids: list[int]
    information_at: datetime
    proposals_at: datetime
    voting_at: datetime
    voting_ends_at: datetime
    electorate_comunas: list[int]
    electorate_types: list[str]
    cutoff_date: date
    weight_scheme: dict[str, Any]
    quorum: Decimal
    majority: tuple[int, int]
    majority_strict: bool
    abstentions_in_majority: bool
    revote_policy: str
    secrecy: str
    warnings: list[str] = field(default_factory=list)


def _require_manager(actor: User) -> None:
    if not actor.has_role(Role.MANAGER):
        raise ConsultationError("forbidden")


def schedule_of(consultation: Consultation) -> Schedule:
    return Schedule(
        consultation.information_at, consultation.proposals_at, consultation.voting_at, consultation.voting_ends_at
    )


def _validate(session: Session, data: ConsultationData, consultation: Consultation | None) -> list[Project]:
    problems = Schedule(data.information_at, data.proposals_at, data.voting_at, data.voting_ends_at).problems()
    if problems:
        raise ConsultationError(problems[0])
    scheme_problems = weights.validate_scheme(data.weight_scheme)
    if scheme_problems:
        raise ConsultationError("weight_scheme", ", ".join(scheme_problems))
    if not data.project_ids:
        raise ConsultationError("no_projects")
    if not data.electorate_comunas:
        raise ConsultationError("no_comunas")
    projects = list(session.execute(sa.select(Project).where(Project.id.in_(data.project_ids))).scalars())
    if len(projects) != len(set(data.project_ids)):
        raise ConsultationError("unknown_project")
    for project in projects:
        in_this = consultation is not None and any(q.project_id == project.id for q in consultation.questions)
        if project.state != ProjectState.ADMISSIBLE and not in_this:
            raise ConsultationError("project_not_admissible", project.title)
    return projects


def _apply(consultation: Consultation, data: ConsultationData) -> None:
    consultation.title = data.title.strip()
    consultation.description = data.description.strip()
    consultation.participation_level = data.participation_level
    consultation.information_at = data.information_at
    consultation.proposals_at = data.proposals_at
    consultation.voting_at = data.voting_at
    consultation.voting_ends_at = data.voting_ends_at
    consultation.electorate_comunas = sorted(set(data.electorate_comunas))
    consultation.electorate_types = sorted(set(data.electorate_types))
    consultation.cutoff_date = data.cutoff_date
    consultation.weight_scheme = data.weight_scheme
    consultation.quorum = data.quorum
    consultation.majority_numerator, consultation.majority_denominator = data.majority
    consultation.majority_strict = data.majority_strict
    consultation.abstentions_in_majority = data.abstentions_in_majority
    consultation.revote_policy = data.revote_policy
    consultation.secrecy = data.secrecy


def create_consultation(session: Session, *, actor: User, data: ConsultationData) -> Consultation:
    _require_manager(actor)
    projects = _validate(session, data, None)
    consultation = Consultation(created_by_id=actor.id, phase=Phase.DRAFT.value)
    _apply(consultation, data)
    consultation.questions = [Question(project_id=p.id, position=i) for i, p in enumerate(projects, 1)]
    session.add(consultation)
    session.flush()
    audit.record(
        "consultations.created",
        actor=actor,
        object_type="consultation",
        object_id=consultation.id,
        payload={"title": consultation.title, "projects": [p.id for p in projects]},
    )
    return consultation


def update_consultation(session: Session, *, actor: User, consultation: Consultation, data: ConsultationData) -> None:
    _require_manager(actor)
    if consultation.phase != Phase.DRAFT:
        raise ConsultationError("not_draft")
    projects = _validate(session, data, consultation)
    _apply(consultation, data)
    consultation.questions = [Question(project_id=p.id, position=i) for i, p in enumerate(projects, 1)]
    audit.record(
        "consultations.updated",
        actor=actor,
        object_type="consultation",
        object_id=consultation.id,
        payload={"title": consultation.title},
    )
    session.flush()


def majority_of(consultation: Consultation) -> Fraction:
    return Fraction(consultation.majority_numerator, consultation.majority_denominator)


def change_phase(
    session: Session, *, actor: User | None, consultation: Consultation, target: Phase, now: datetime
) -> None:
    """Move to ``target``: by a manager (one step forward), or by the scheduler (actor None,
    when the schedule says so). Entering information puts the projects in consultation;
    entering voting asks for the roll to be frozen; entering counting closes the vote. The
    caller enqueues the follow-up task returned by :func:`follow_up`."""
    current = Phase(consultation.phase)
    if actor is not None:
        _require_manager(actor)
        if not manual_change_allowed(current, target):
            raise ConsultationError("phase_not_allowed", target.value)
    elif scheduled_phase(current, schedule_of(consultation), now) != target:
        raise ConsultationError("phase_not_due", target.value)
    if target == Phase.COUNTING and (waiting := sessions_waiting(session, consultation.id, now)):
        raise ConsultationError("sessions_waiting", str(waiting))
    moved = early_start(target, schedule_of(consultation), now) if actor is not None else None
    if moved is not None:
        setattr(consultation, moved[0], now)
    if target == Phase.INFORMATION:
        for question in consultation.questions:
            if question.project.state != ProjectState.ADMISSIBLE:
                raise ConsultationError("project_not_admissible", question.project.title)
            question.project.state = ProjectState.IN_CONSULTATION.value
    consultation.phase = target.value
    audit.record(
        "consultations.phase_changed",
        actor=actor,
        object_type="consultation",
        object_id=consultation.id,
        payload={
            "from": current.value,
            "to": target.value,
            "by": "manager" if actor else "schedule",
            **({"moved": {moved[0]: [moved[1].isoformat(), now.isoformat()]}} if moved else {}),
        },
    )
    session.flush()


def sessions_waiting(session: Session, consultation_id: int, now: datetime) -> int:
    """In-person sessions of the consultation whose tablet may still sync what it recorded (open,
    token not revoked, the grace after its end not over): the count waits for them, so that no
    vote recorded in person is lost (DESIGN §4)."""
    rows = session.execute(
        sa.select(InPersonSession.ends_at).where(
            InPersonSession.consultation_id == consultation_id,
            InPersonSession.opened_at.is_not(None),
            InPersonSession.closed_at.is_(None),
            InPersonSession.token_revoked_at.is_(None),
        )
    ).scalars()
    return sum(1 for ends_at in rows if facilitation_rules.count_waits(ends_at, now))


def follow_up(target: Phase) -> str | None:
    """The task a phase change starts, by name."""
    return {Phase.VOTING: "consultations.freeze_roll", Phase.COUNTING: "voting.close_consultation"}.get(target)


def due_changes(session: Session, now: datetime) -> list[tuple[int, Phase]]:
    """Consultations whose schedule has reached their next phase."""
    open_ones = session.execute(
        sa.select(Consultation).where(
            Consultation.phase.in_([p.value for p in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING)])
        )
    ).scalars()
    due = []
    for consultation in open_ones:
        target = scheduled_phase(Phase(consultation.phase), schedule_of(consultation), now)
        if target is not None:
            due.append((consultation.id, target))
    return due


# --- the roll -------------------------------------------------------------------------------


def _facts(org: Organisation) -> weights.OrgFacts:
    return weights.OrgFacts(
        organisation_id=org.id,
        org_type=org.org_type,
        comuna_cut=org.comuna_cut,
        members_count=org.members_count,
        status=org.status,
        board_term_start=org.board_term_start,
        board_term_end=org.board_term_end,
    )


def roll_hash(entries: list[tuple[int, str, Decimal, dict[str, Any]]]) -> str:
    """SHA-256 of the canonical roll: (organisation id, RUT, weight, inputs), by organisation."""
    return sha256_hex(
        canonical_json(
            [
                {"organisation": org_id, "rut": rut, "weight": f"{weight:.6f}", "inputs": inputs}
                for org_id, rut, weight, inputs in sorted(entries, key=lambda e: e[0])
            ]
        )
    )


def compute_roll(session: Session, consultation: Consultation) -> list[dict[str, Any]]:
    """The roll as it would be frozen now: every eligible organisation (verified, board valid on
    the cut-off date, comuna and type in the electorate) with its weight, the inputs that
    produced it, and its RUT, name and comuna as the registry holds them, by organisation id.
    Used to freeze the roll and, before voting opens, to preview it."""
    electorate = weights.Electorate(
        comunas=frozenset(consultation.electorate_comunas),
        org_types=frozenset(consultation.electorate_types),
        cutoff=consultation.cutoff_date,
    )
    candidates = (
        session.execute(
            sa.select(Organisation).where(
                Organisation.comuna_cut.in_(consultation.electorate_comunas), Organisation.status == "verified"
            )
        )
        .scalars()
        .all()
    )
    eligible = [_facts(o) for o in candidates if weights.eligibility(_facts(o), electorate) is None]
    home = frozenset(q.project.comuna_cut for q in consultation.questions)
    computed = weights.compute_weights(eligible, consultation.weight_scheme, home) if eligible else {}
    by_id = {o.id: o for o in candidates}
    return [
        {
            "consultation_id": consultation.id,
            "organisation_id": org_id,
            "weight": weight,
            "inputs": inputs,
            "rut": by_id[org_id].rut,
            "legal_name": by_id[org_id].legal_name,
            "comuna_cut": by_id[org_id].comuna_cut,
        }
        for org_id, (weight, inputs) in sorted(computed.items())
    ]


def freeze_roll(session: Session, consultation_id: int) -> bool:
    """Freeze the roll when voting opens: eligible organisations with their weight and its
    inputs, and the roll's hash (DESIGN §4). Idempotent: a frozen roll is never recomputed.
    Returns whether this call froze it."""
    consultation = session.execute(
        sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update(of=Consultation)
    ).scalar_one_or_none()
    if consultation is None or consultation.roll_frozen_at is not None:
        return False
    rows = compute_roll(session, consultation)
    db.bulk_insert(session, RollEntry.__table__, rows)
    consultation.roll_hash = roll_hash([(r["organisation_id"], r["rut"], r["weight"], r["inputs"]) for r in rows])
    consultation.roll_total_weight = sum((r["weight"] for r in rows), Decimal(0))
    consultation.roll_frozen_at = utcnow()
    audit.record(
        "consultations.roll_frozen",
        actor=None,
        object_type="consultation",
        object_id=consultation.id,
        payload={
            "entries": len(rows),
            "total_weight": f"{consultation.roll_total_weight:.6f}",
            "roll_hash": consultation.roll_hash,
        },
        session=session,
    )
    session.flush()
    return True


def roll_weights(session: Session, consultation_id: int) -> dict[int, Decimal]:
    return dict(
        session.execute(
            sa.select(RollEntry.organisation_id, RollEntry.weight).where(RollEntry.consultation_id == consultation_id)
        ).all()
    )


def compute_power_index(session: Session, consultation_id: int) -> PowerIndex | None:
    """The Banzhaf index of every organisation on the roll under the consultation's majority
    rule (exact for small rolls, an estimate with its error bound for large ones)."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.roll_frozen_at is None:
        return None
    roll = roll_weights(session, consultation_id)
    if not roll:
        return None
    majority = majority_of(consultation)
    index = power.banzhaf(roll, majority, consultation.majority_strict)
    flags = power.dictator_or_blocker(roll, majority, consultation.majority_strict)
    existing = session.get(PowerIndex, consultation_id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    row = PowerIndex(
        consultation_id=consultation_id,
        method=index.method,
        exact=index.exact,
        error_bound=None if index.error_bound is None else str(index.error_bound),
        values={str(k): str(v) for k, v in index.values.items()},
        flags={str(k): v for k, v in flags.items()},
    )
    session.add(row)
    session.flush()
    return row


def representatives_to_notify(session: Session, consultation: Consultation) -> list[User]:
    """People with an approved representation of an organisation on the roll (or, before the
    roll is frozen, of a verified organisation of the electorate's comunas)."""
    from participa.registry.models import Representation

    if consultation.roll_frozen_at is not None:
        organisations = sa.select(RollEntry.organisation_id).where(RollEntry.consultation_id == consultation.id)
    else:
        organisations = sa.select(Organisation.id).where(
            Organisation.comuna_cut.in_(consultation.electorate_comunas), Organisation.status == "verified"
        )
    return list(
        session.execute(
            sa.select(User)
            .join(Representation, Representation.user_id == User.id)
            .where(Representation.status == "approved", Representation.organisation_id.in_(organisations), User.active)
            .distinct()
            .order_by(User.id)
        ).scalars()
    )
