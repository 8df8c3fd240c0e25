from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.accounts.models import User
from participa.core.db import Base, utcnow
from participa.territory.models import Comuna


class InPersonSession(Base):
    """An in-person voting session: planned by a consultation's manager (place, comuna, time
    window, facilitator), opened on one tablet, closed with its signed acta (DESIGN §4)."""

    __tablename__ = "in_person_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"), index=True)
    place: Mapped[str] = mapped_column(sa.String(200))
    # The comuna the session serves: only organisations of the roll from it vote there (None: all).
    comuna_cut: Mapped[int | None] = mapped_column(sa.ForeignKey("comunas.cut"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Opening on a tablet: the device's name as the facilitator gave it, the SHA-256 of the sync
    # token (the token itself is shown once, to the tablet), the salt of the representatives'
    # RUT hashes sent to it.
    opened_at: Mapped[datetime | None]
    device: Mapped[str | None] = mapped_column(sa.String(80))
    token_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rut_salt: Mapped[str | None] = mapped_column(sa.String(32))
    # Closing: the acta as canonical JSON, its SHA-256, who signed it and when.
    closed_at: Mapped[datetime | None]
    acta_json: Mapped[str | None] = mapped_column(sa.Text)
    acta_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id], lazy="joined")
    comuna: Mapped[Comuna | None] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint(sa.column("starts_at") < sa.column("ends_at"), name="window_ordered"),)


class SessionCheckin(Base):
    """A representative checked in at a session for an organisation (the acta's attendance),
    as the tablet synced it: idempotent by the tablet's UUID."""

    __tablename__ = "session_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("in_person_sessions.id"), index=True)
    client_uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    device_seq: Mapped[int]
    device_time: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRefusal(Base):
    """An item a tablet synced that was not stored, and why: a rule refused it (the acta counts
    it), or its UUID came back with different content (``conflict``: flagged for the certifier).
    Refusals of one UUID for one reason are recorded once."""

    __tablename__ = "sync_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("in_person_sessions.id"), index=True)
    client_uuid: Mapped[str] = mapped_column(sa.String(36))
    kind: Mapped[str] = mapped_column(sa.String(10))  # vote, checkin
    reason: Mapped[str] = mapped_column(sa.String(30))
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("client_uuid", "reason", "content_sha256"),)
