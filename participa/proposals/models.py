from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.core.db import Base, utcnow
from participa.registry.models import Organisation


class Proposal(Base):
    """A proposal or an observation by an organisation on one project of a consultation."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_questions.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    title: Mapped[str] = mapped_column(sa.String(150))
    body: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[str] = mapped_column(sa.String(600))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # pending (admissibility not yet applied), admissible, inadmissible.
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    supports: Mapped[list[ProposalSupport]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(["proposal", "observation"]), name="kind_known"),
        sa.CheckConstraint(sa.column("status").in_(["pending", "admissible", "inadmissible"]), name="status_known"),
    )


class ProposalSupport(Base):
    """Another organisation's support for a proposal: once per organisation."""

    __tablename__ = "proposal_supports"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)
    supported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
