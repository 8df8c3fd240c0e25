"""Reads of consultations for public pages: what the public may see, searched and filtered."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core.text import fold

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
