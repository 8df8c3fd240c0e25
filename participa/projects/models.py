from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.commitments.models import Commitment
from participa.core.db import Base, utcnow
from participa.core.storage import StoredDocument
from participa.projects.rules import ProjectState, RateStatus
from participa.territory.models import Comuna

project_commitments = sa.Table(
    "project_commitments",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("commitment_id", sa.ForeignKey("commitments.id"), primary_key=True),
)


class Project(Base):
    """An investment initiative a comuna submits for regional funding."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    comuna_cut: Mapped[int] = mapped_column(sa.ForeignKey("comunas.cut"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(600))  # in clear language, for citizens
    description: Mapped[str] = mapped_column(sa.Text)
    bip_code: Mapped[str | None] = mapped_column(sa.String(12))
    amount_clp: Mapped[int | None] = mapped_column(sa.BigInteger)  # pesos, integers only
    axis: Mapped[str] = mapped_column(sa.String(80))
    sub_axis: Mapped[str | None] = mapped_column(sa.String(160))
    rate_status: Mapped[str] = mapped_column(sa.String(4), default=RateStatus.NONE.value)
    rate_date: Mapped[date | None]
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    # The place in words (an address, a square, a sector), for everyone the map does not serve.
    location_text: Mapped[str | None] = mapped_column(sa.String(250))
    state: Mapped[str] = mapped_column(sa.String(16), default=ProjectState.DRAFT.value, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    comuna: Mapped[Comuna] = relationship(lazy="joined")
    commitments: Mapped[list[Commitment]] = relationship(secondary=project_commitments, order_by=Commitment.id)
    attachments: Mapped[list[ProjectAttachment]] = relationship(
        back_populates="project", order_by="ProjectAttachment.id"
    )

    __table_args__ = (
        sa.CheckConstraint(sa.column("state").in_([s.value for s in ProjectState]), name="state_known"),
        sa.CheckConstraint(sa.column("rate_status").in_([s.value for s in RateStatus]), name="rate_status_known"),
        sa.CheckConstraint("amount_clp IS NULL OR amount_clp >= 0", name="amount_not_negative"),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        sa.CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
    )


class ProjectAttachment(StoredDocument, Base):
    """A PDF or image about a project, stored outside static/ and served after a permission
    check."""

    __tablename__ = "project_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)

    project: Mapped[Project] = relationship(back_populates="attachments")
