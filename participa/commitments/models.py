from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.core.db import Base, utcnow
from participa.core.storage import StoredDocument


class Commitment(Base):
    """One of the governor's programme commitments, numbered within its axis as in the programme
    (so "DESIGUALDAD 21" and "CRISIS AMBIENTAL Y CLIMÁTICA 21" are two commitments), with its
    record (DESIGN §4): what staff keep up to date, each change kept as a version."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    axis: Mapped[str] = mapped_column(sa.String(80))
    sub_axis: Mapped[str | None] = mapped_column(sa.String(160))
    # The sub-axis was read from the slide's layout rather than printed on the row.
    sub_axis_inferred: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(sa.String(250))
    # not_started, in_progress, fulfilled, deprioritised (DESIGN §4).
    status: Mapped[str] = mapped_column(sa.String(16), default="not_started")
    # The record (issue #14): a clear-language description, how compliance is measured
    # (investment approved or action carried out), the responsible division, milestones
    # ([{date, text, done}]), figures (approved investment in whole pesos, beneficiaries), the
    # comunas it reaches (CUTs; none: regional) and links ([{title, url}]).
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    criterion: Mapped[str | None] = mapped_column(sa.String(12))
    division: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    approved_investment_clp: Mapped[int | None] = mapped_column(sa.BigInteger)
    beneficiaries: Mapped[int | None] = mapped_column(sa.BigInteger)
    comunas: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    links: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    # The current version's number and fingerprint (SHA-256 of its canonical record).
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime | None]

    documents: Mapped[list[CommitmentDocument]] = relationship(
        back_populates="commitment", order_by="CommitmentDocument.id", lazy="selectin"
    )

    @property
    def label(self) -> str:
        """How a commitment is named in lists: axis, number and title."""
        return f"{self.axis.capitalize()} {self.number}: {self.title}"

    __table_args__ = (
        sa.UniqueConstraint("axis", "number"),
        sa.CheckConstraint(
            sa.column("status").in_(["not_started", "in_progress", "fulfilled", "deprioritised"]),
            name="status_known",
        ),
        sa.CheckConstraint(
            sa.or_(sa.column("criterion").is_(None), sa.column("criterion").in_(["investment", "action"])),
            name="criterion_known",
        ),
    )


class CommitmentVersion(Base):
    """One version of a commitment's record: who changed it, when, why, what changed, the whole
    record as canonical JSON and its SHA-256 (the huella digital printed on the ficha). Kept for
    good: a printed ficha stays verifiable after the record moves on."""

    __tablename__ = "commitment_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"))
    version: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the platform itself
    reason: Mapped[str] = mapped_column(sa.Text)
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # {field: [before, after]}
    status: Mapped[str] = mapped_column(sa.String(16))  # the record's status (compliance at a date)
    comunas: Mapped[list[int]] = mapped_column(sa.JSON)  # the record's comunas (compliance by comuna)
    record_json: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)

    __table_args__ = (
        sa.UniqueConstraint("commitment_id", "version"),
        sa.Index("ix_commitment_versions_recorded_at", "recorded_at"),
    )


class CommitmentDocument(StoredDocument, Base):
    """A document kept as evidence in a commitment's record (a PDF or image, its type read from
    its content), stored outside static/ and public once attached."""

    __tablename__ = "commitment_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))

    commitment: Mapped[Commitment] = relationship(back_populates="documents")
