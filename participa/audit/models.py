from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participa.core.db import Base, utcnow


class AuditEvent(Base):
    """One state change that matters. Inserted in the transaction of the change it records;
    never updated or deleted (refused by a database trigger)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # PostgreSQL fills in the inserting transaction's id; the sealer only takes events whose
    # transaction can no longer be in progress, so a slow transaction is never skipped.
    txid: Mapped[int | None] = mapped_column(sa.BigInteger, server_default=sa.FetchedValue())

    __table_args__ = (
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_txid_id", "txid", "id"),
    )


class AuditBlock(Base):
    """A sealed block: the previous block's hash and the hashes of its events, in order."""

    __tablename__ = "audit_blocks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    block_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    event_count: Mapped[int] = mapped_column(sa.Integer)
    # Where the next sweep resumes: events are sealed in (transaction id, event id) order, the
    # order in which they became final; on SQLite, with a single writer, in id order.
    cursor_txid: Mapped[int] = mapped_column(sa.BigInteger)
    cursor_event_id: Mapped[int] = mapped_column(sa.BigInteger)


class AuditSeal(Base):
    """The hash of one event, as sealed into a block."""

    __tablename__ = "audit_seals"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_events.id"), primary_key=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_blocks.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    event_hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("block_id", "position"),)
