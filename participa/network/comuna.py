"""Each comuna's open-government page (issue #17, item 4), computed from the platform's own data
in a fixed number of queries (about a dozen, whatever the year holds): its network status, its
projects and their admissibility, the consultations its organisations vote in and how many took
part, its certified results, the commitments that reach it, the practices it shared and
replicated, and its open data.

Under a secret ballot only what is public anywhere is shown: whether each organisation took part
(DESIGN §4, Votes: public in every mode), summed per comuna; never a choice by comuna."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.certification.models import Certification
from participa.commitments.models import Commitment
from participa.consultations.models import Consultation, Question, RollEntry
from participa.consultations.rules import Phase
from participa.core import db
from participa.network.models import NetworkMember, Practice, PracticeReplication
from participa.projects.models import Project
from participa.projects.rules import PUBLIC_STATES, ProjectState
from participa.territory.models import Comuna
from participa.voting.models import Ballot, TallyResult


@dataclass(frozen=True)
class Participation:
    consultation: Consultation
    on_roll: int
    roll_weight: Decimal
    took_part: int
    weight_took_part: Decimal

    @property
    def share(self) -> Decimal | None:
        """The share of this comuna's roll weight that took part (None with no roll here)."""
        return self.weight_took_part / self.roll_weight if self.roll_weight else None


@dataclass(frozen=True)
class CertifiedResult:
    consultation: Consultation
    certification: Certification
    verdicts: list[tuple[str, str]]  # (project title, verdict code)


@dataclass
class ComunaPage:
    comuna: Comuna
    members: list[NetworkMember] = field(default_factory=list)
    projects_by_state: dict[str, int] = field(default_factory=dict)
    public_projects: list[Project] = field(default_factory=list)
    participation: list[Participation] = field(default_factory=list)
    results: list[CertifiedResult] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)
    shared: list[Practice] = field(default_factory=list)
    replicated: list[tuple[Practice, PracticeReplication]] = field(default_factory=list)

    @property
    def municipality(self) -> NetworkMember | None:
        return next((m for m in self.members if m.kind == "municipality"), None)

    @property
    def submitted(self) -> int:
        return sum(n for state, n in self.projects_by_state.items() if state != ProjectState.DRAFT.value)


def comuna_page(session: Session, cut: int) -> ComunaPage | None:
    """Everything the page shows, or None for an unknown comuna."""
    comuna = session.get(Comuna, cut)
    if comuna is None:
        return None
    page = ComunaPage(comuna)
    page.members = list(
        session.execute(
            sa.select(NetworkMember).where(NetworkMember.comuna_cut == cut).order_by(NetworkMember.name)
        ).scalars()
    )
    _projects(session, page)
    consultations = list(
        session.execute(
            sa.select(Consultation)
            .options(sa.orm.lazyload(Consultation.questions))  # their titles come in one query below
            .where(Consultation.phase != Phase.DRAFT.value, db.json_list_contains(Consultation.electorate_comunas, cut))
            .order_by(Consultation.voting_at.desc())
        ).scalars()
    )
    page.participation = _participation(session, cut, consultations)
    page.results = _results(session, consultations)
    page.commitments = list(
        session.execute(
            sa.select(Commitment)
            .options(sa.orm.lazyload(Commitment.documents))
            .where(db.json_list_contains(Commitment.comunas, cut))
            .order_by(Commitment.id)
        ).scalars()
    )
    _practices(session, page)
    return page


def _projects(session: Session, page: ComunaPage) -> None:
    counts = session.execute(
        sa.select(Project.state, sa.func.count())
        .where(Project.comuna_cut == page.comuna.cut, Project.state != ProjectState.DRAFT.value)
        .group_by(Project.state)
    ).all()
    page.projects_by_state = {state: n for state, n in counts}
    page.public_projects = list(
        session.execute(
            sa.select(Project)
            .where(Project.comuna_cut == page.comuna.cut, Project.state.in_([s.value for s in PUBLIC_STATES]))
            .order_by(Project.id.desc())
        ).scalars()
    )


def _participation(session: Session, cut: int, consultations: list[Consultation]) -> list[Participation]:
    """For each consultation this comuna votes in: its organisations on the frozen roll and their
    weight, and those that cast a ballot and their weight."""
    ids = [c.id for c in consultations if c.roll_frozen_at is not None]
    if not ids:
        return []
    rolls = {
        cid: (n, weight or Decimal(0))
        for cid, n, weight in session.execute(
            sa.select(RollEntry.consultation_id, sa.func.count(), sa.func.sum(RollEntry.weight))
            .where(RollEntry.consultation_id.in_(ids), RollEntry.comuna_cut == cut)
            .group_by(RollEntry.consultation_id)
        )
    }
    voters = (
        sa.select(Ballot.consultation_id, Ballot.organisation_id)
        .where(Ballot.consultation_id.in_(ids))
        .distinct()
        .subquery()
    )
    took = {
        cid: (n, weight or Decimal(0))
        for cid, n, weight in session.execute(
            sa.select(voters.c.consultation_id, sa.func.count(), sa.func.sum(RollEntry.weight))
            .join(
                RollEntry,
                sa.and_(
                    RollEntry.consultation_id == voters.c.consultation_id,
                    RollEntry.organisation_id == voters.c.organisation_id,
                ),
            )
            .where(RollEntry.comuna_cut == cut)
            .group_by(voters.c.consultation_id)
        )
    }
    return [
        Participation(c, *rolls.get(c.id, (0, Decimal(0))), *took.get(c.id, (0, Decimal(0))))
        for c in consultations
        if c.id in rolls or c.id in took
    ]


def _results(session: Session, consultations: list[Consultation]) -> list[CertifiedResult]:
    """The certified results of those consultations, each question's verdict by its project."""
    ids = [c.id for c in consultations if c.certified_at is not None]
    if not ids:
        return []
    certifications = {
        c.consultation_id: c
        for c in session.execute(
            sa.select(Certification)
            .options(sa.orm.lazyload(Certification.consultation))  # already loaded, with no questions
            .where(Certification.consultation_id.in_(ids))
        ).scalars()
    }
    stored = {
        r.consultation_id: json.loads(r.canonical_json)
        for r in session.execute(
            sa.select(TallyResult)
            .join(Consultation, Consultation.id == TallyResult.consultation_id)
            .where(TallyResult.consultation_id.in_(ids), TallyResult.count_round == Consultation.count_round)
        ).scalars()
    }
    titles = dict(
        session.execute(
            sa.select(Question.id, Project.title)
            .join(Project, Project.id == Question.project_id)
            .where(Question.consultation_id.in_(ids))
        ).all()
    )
    found = []
    for consultation in consultations:
        if consultation.id in certifications and consultation.id in stored:
            verdicts: list[tuple[str, Any]] = [
                (titles.get(q["question_id"], str(q["question_id"])), q["verdict"])
                for q in stored[consultation.id]["questions"]
            ]
            found.append(CertifiedResult(consultation, certifications[consultation.id], verdicts))
    return found


def _practices(session: Session, page: ComunaPage) -> None:
    page.shared = list(
        session.execute(
            sa.select(Practice)
            .where(Practice.comuna_cut == page.comuna.cut, Practice.status == "published")
            .order_by(Practice.replications.desc(), Practice.id.desc())
        ).scalars()
    )
    page.replicated = list(
        session.execute(
            sa.select(Practice, PracticeReplication)
            .join(PracticeReplication, PracticeReplication.practice_id == Practice.id)
            .join(NetworkMember, NetworkMember.id == PracticeReplication.member_id)
            .where(NetworkMember.comuna_cut == page.comuna.cut, Practice.status == "published")
            .order_by(PracticeReplication.recorded_at.desc())
        ).all()
    )
