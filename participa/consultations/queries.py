"""Reads of consultations: what the public may see, searched and filtered, and what managers
read to prepare a consultation (the projects it may consult, the roll and its preview).

A read that is not public takes the acting person and checks their role itself, as the operations
do, so that a view's decorator is not the only guard (DESIGN.md, "Reads belong beside the
operations, with their permission checks"); a refusal raises ``ConsultationError("forbidden")``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.consultations.models import Consultation, PowerIndex, RollEntry
from participa.consultations.operations import ConsultationError, compute_roll
from participa.consultations.rules import Phase
from participa.core.text import fold
from participa.projects.models import Project
from participa.projects.rules import ProjectState
from participa.territory.operations import list_comunas

PAGE_SIZE = 30


@dataclass(frozen=True)
class PublicFilters:
    """What a visitor asked for: words in the title or description, a phase, a comuna whose
    organisations vote, and a page (from 1)."""

    text: str = ""
    phase: str | None = None
    comuna_cut: int | None = None
    page: int = 1


@dataclass(frozen=True)
class PublicPage:
    consultations: list[Consultation]
    total: int
    page: int
    pages: int


def public_consultations(session: Session, filters: PublicFilters) -> PublicPage:
    """Published consultations (never drafts), latest voting first, narrowed by the filters;
    the words match whatever their accents or case."""
    query = sa.select(Consultation).where(Consultation.phase != Phase.DRAFT.value)
    if filters.phase:
        query = query.where(Consultation.phase == filters.phase)
    found = list(session.execute(query.order_by(Consultation.voting_at.desc(), Consultation.id.desc())).scalars())
    words = fold(filters.text).split()
    if words:
        found = [c for c in found if all(w in fold(f"{c.title} {c.description}") for w in words)]
    if filters.comuna_cut is not None:
        found = [c for c in found if filters.comuna_cut in (c.electorate_comunas or [])]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    return PublicPage(found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], len(found), page, pages)


# --- managers ---------------------------------------------------------------------------------


def _require(actor: User, *roles: Role) -> None:
    if not any(actor.has_role(role) for role in roles):
        raise ConsultationError("forbidden")


def staff_consultations(session: Session, *, actor: User) -> list[Consultation]:
    """Every consultation, drafts included, newest first: a manager's list."""
    _require(actor, Role.MANAGER)
    return list(session.execute(sa.select(Consultation).order_by(Consultation.id.desc())).scalars())


def consultable_projects(session: Session, *, actor: User, consultation: Consultation | None) -> list[Project]:
    """The projects a consultation may put to the vote: every admissible project (DESIGN §3,
    projects) and, when editing, those it already holds; by comuna and title."""
    _require(actor, Role.MANAGER)
    condition = Project.state == ProjectState.ADMISSIBLE.value
    if consultation is not None:
        condition = sa.or_(condition, Project.id.in_([q.project_id for q in consultation.questions]))
    return list(
        session.execute(sa.select(Project).where(condition).order_by(Project.comuna_cut, Project.title)).scalars()
    )


def comunas_of_projects(session: Session, project_ids: Collection[int]) -> list[int]:
    """The comunas of those projects, in order: the electorate when the manager names none."""
    found = session.execute(sa.select(Project.comuna_cut).where(Project.id.in_(project_ids)).distinct()).scalars()
    return sorted(found)


def consultation_to_change(session: Session, *, actor: User, consultation_id: int) -> Consultation | None:
    """The consultation, locked until the transaction ends, for a phase change by hand: two
    managers pressing at once change it once."""
    _require(actor, Role.MANAGER)
    return session.execute(
        sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update(of=Consultation)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class RollRow:
    organisation_id: int
    legal_name: str
    comuna: str
    weight: Decimal
    inputs: dict[str, Any]


def roll_rows(session: Session, *, actor: User, consultation: Consultation) -> list[RollRow]:
    """The frozen roll, or before voting opens the roll as it would be frozen now (a preview:
    the registry can still change it), heaviest first; empty when a weight cap cannot hold for
    this electorate. Staff only: the public roll is the open data's (DESIGN §4)."""
    _require(actor, Role.MANAGER, Role.CERTIFIER, Role.ADMIN)
    if consultation.roll_frozen_at is not None:
        entries = session.execute(sa.select(RollEntry).where(RollEntry.consultation_id == consultation.id)).scalars()
        rows = [RollRow(e.organisation_id, e.legal_name, e.comuna.name, e.weight, e.inputs) for e in entries]
    else:
        try:
            preview = compute_roll(session, consultation)
        except ValueError:  # a cap that cannot hold for this electorate
            return []
        names = {c.cut: c.name for c in list_comunas(session)}
        rows = [
            RollRow(r["organisation_id"], r["legal_name"], names.get(r["comuna_cut"], ""), r["weight"], r["inputs"])
            for r in preview
        ]
    return sorted(rows, key=lambda r: (-r.weight, r.organisation_id))


def power_index(session: Session, *, actor: User, consultation_id: int) -> PowerIndex | None:
    """The roll's Banzhaf index as the worker computed it, if it has."""
    _require(actor, Role.MANAGER, Role.CERTIFIER, Role.ADMIN)
    return session.get(PowerIndex, consultation_id)
