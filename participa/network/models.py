"""The regional open-government network (DESIGN §3, network; seed commitment 4): its members,
their liaisons, and the library of practices they share and replicate."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.core.db import Base, utcnow
from participa.core.storage import StoredDocument
from participa.territory.models import Comuna


class NetworkMember(Base):
    """A municipality, the regional civil-society council or an organisation of the registry,
    in the network since ``joined_on``: a pilot member, a member, or one that left (kept, with
    its history, never deleted)."""

    __tablename__ = "network_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(14))  # municipality, council, organisation
    name: Mapped[str] = mapped_column(sa.String(200))
    comuna_cut: Mapped[int | None] = mapped_column(sa.ForeignKey("comunas.cut"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="member")  # pilot, member, left
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    # The person who speaks for the member on the platform (DESIGN §2, network liaison).
    liaison_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    comuna: Mapped[Comuna | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(["municipality", "council", "organisation"]), name="kind_known"),
        sa.CheckConstraint(sa.column("status").in_(["pilot", "member", "left"]), name="status_known"),
        sa.CheckConstraint("kind <> 'municipality' OR comuna_cut IS NOT NULL", name="municipality_has_comuna"),
        sa.CheckConstraint("status <> 'left' OR left_on IS NOT NULL", name="left_has_date"),
    )


class Practice(Base):
    """An open-government practice a member shares: submitted, then published or refused (with
    the reason) by network staff."""

    __tablename__ = "network_practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("network_members.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    summary: Mapped[str] = mapped_column(sa.Text)
    pillar: Mapped[str] = mapped_column(sa.String(16))  # transparency, accountability, participation
    comuna_cut: Mapped[int | None] = mapped_column(sa.ForeignKey("comunas.cut"), index=True)
    results: Mapped[str] = mapped_column(sa.Text)
    how_to_replicate: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="submitted", index=True)
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    # Kept with each replication so that the library sorts and shows it without counting.
    replications: Mapped[int] = mapped_column(default=0, server_default="0")

    member: Mapped[NetworkMember] = relationship(lazy="joined")
    comuna: Mapped[Comuna | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("pillar").in_(["transparency", "accountability", "participation"]), name="pillar_known"
        ),
        sa.CheckConstraint(sa.column("status").in_(["submitted", "published", "refused"]), name="status_known"),
        sa.CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL", name="refusal_has_reason"),
    )


class PracticeReplication(Base):
    """A member says «la replicamos», with a short note: once per member and practice."""

    __tablename__ = "network_replications"

    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("network_practices.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("network_members.id"), primary_key=True, index=True)
    note: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[NetworkMember] = relationship(lazy="joined")


class PracticeDocument(StoredDocument, Base):
    """A PDF or image about a practice (its results, a guide to replicate it): its type read from
    its content like every upload, stored outside static/, and public with the practice."""

    __tablename__ = "network_practice_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("network_practices.id"), index=True)


class Meeting(Base):
    """A training or exchange session of the network: its date, place or link and agenda; after
    it, who attended and its minutes. Public, except who registered each member."""

    __tablename__ = "network_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    kind: Mapped[str] = mapped_column(sa.String(10))  # training, exchange
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str | None] = mapped_column(sa.String(250))
    link: Mapped[str | None] = mapped_column(sa.String(500))
    agenda: Mapped[str] = mapped_column(sa.Text)
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(["training", "exchange"]), name="kind_known"),
        sa.CheckConstraint("place IS NOT NULL OR link IS NOT NULL", name="somewhere"),
    )


class MeetingRegistration(Base):
    """A member registered for a meeting (once), and whether it attended (taken on the day)."""

    __tablename__ = "network_meeting_registrations"

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("network_meetings.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("network_members.id"), primary_key=True)
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended: Mapped[bool | None]

    member: Mapped[NetworkMember] = relationship(lazy="joined")
