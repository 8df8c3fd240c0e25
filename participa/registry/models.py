from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from participa.core.db import Base, utcnow
from participa.core.text import fold
from participa.registry.rules import OrgStatus, OrgType
from participa.territory.models import Comuna


def _in(column: str, values: Any) -> sa.ColumnElement[bool]:
    return sa.column(column).in_([v.value for v in values])


class Organisation(Base):
    """A civil-society organisation of the registry (DESIGN §3)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    rut: Mapped[str] = mapped_column(sa.String(12), unique=True)  # normalised: 12345678-K
    legal_name: Mapped[str] = mapped_column(sa.String(250))
    # The name lowercased without accents or punctuation, for searching as people type.
    name_folded: Mapped[str] = mapped_column(
        sa.String(250), default=lambda context: fold(context.get_current_parameters()["legal_name"])
    )
    registry_number: Mapped[str | None] = mapped_column(sa.String(60))
    org_type: Mapped[str] = mapped_column(sa.String(20))
    comuna_cut: Mapped[int] = mapped_column(sa.ForeignKey("comunas.cut"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(250))
    members_count: Mapped[int | None]
    board_term_start: Mapped[date | None]
    board_term_end: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default=OrgStatus.PENDING.value, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Provenance: the import batch and row that created or last changed the record.
    source_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"))
    source_row: Mapped[int | None]

    comuna: Mapped[Comuna] = relationship(lazy="joined")

    @validates("legal_name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_folded = fold(value)
        return value

    __table_args__ = (
        sa.CheckConstraint(_in("org_type", OrgType), name="org_type_known"),
        sa.CheckConstraint(_in("status", OrgStatus), name="status_known"),
        sa.CheckConstraint("members_count IS NULL OR members_count >= 0", name="members_not_negative"),
    )


class ImportBatch(Base):
    """One uploaded registry file and the progress of its processing by a worker."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    encoding: Mapped[str] = mapped_column(sa.String(20))
    delimiter: Mapped[str] = mapped_column(sa.String(1))
    total_rows: Mapped[int]
    # Which column of the file holds which field (the header, as understood at upload).
    column_map: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    # RUTs that several rows carry, with their rows (found when the file is checked): none applied.
    repeated_ruts: Mapped[dict[str, list[int]]] = mapped_column(sa.JSON, default=dict)
    # queued -> running -> done; failed when the file turns out unreadable mid-way.
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Where the next chunk starts: byte offset in the file and the next row number.
    next_offset: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    next_row: Mapped[int] = mapped_column(default=2)
    rows_processed: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(["queued", "running", "done", "failed"]), name="status_known"),
    )


class ImportRow(Base):
    """The outcome of one data row of a batch: the per-row report."""

    __tablename__ = "import_rows"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True)  # as a spreadsheet shows it (header = 1)
    rut: Mapped[str | None] = mapped_column(sa.String(20))
    outcome: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    detail: Mapped[Any | None] = mapped_column(sa.JSON)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("outcome").in_(["accepted", "updated", "unchanged", "rejected"]), name="outcome_known"
        ),
        sa.Index("ix_import_rows_batch_rut", "batch_id", "rut"),
        sa.Index("ix_import_rows_batch_outcome", "batch_id", "outcome"),
    )


class Representation(Base):
    """A person's authority to act for an organisation, asked for and decided by a curator."""

    __tablename__ = "representations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    position: Mapped[str] = mapped_column(sa.String(40))
    document_name: Mapped[str] = mapped_column(sa.String(255))
    document_stored: Mapped[str] = mapped_column(sa.String(80), unique=True)
    document_type: Mapped[str] = mapped_column(sa.String(40))
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    # requested -> approved | rejected; approved -> revoked.
    status: Mapped[str] = mapped_column(sa.String(10), default="requested", index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last decision (approval, rejection or revocation).
    decided_at: Mapped[datetime | None]
    # The history that votes are judged by (DESIGN §4): a vote counts when it was cast while
    # its representative was authorised, i.e. approved_at <= cast_at < revoked_at (or no revocation).
    approved_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[Any] = relationship("User", foreign_keys=[user_id], lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("status").in_(["requested", "approved", "rejected", "revoked"]), name="status_known"
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'revoked') OR approved_at IS NOT NULL", name="approval_time_kept"
        ),
        sa.CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revocation_time_kept"),
        # One open request or approval per person and organisation.
        sa.Index(
            "uq_representations_active",
            "user_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'approved')"),
            postgresql_where=sa.text("status IN ('requested', 'approved')"),
        ),
    )
