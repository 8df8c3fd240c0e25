from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.core.db import Base, utcnow
from participa.projects.models import Project
from participa.registry.models import Organisation
from participa.territory.models import Comuna


class Consultation(Base):
    """A process on one or more projects: phases, electorate, weights and counting rules
    (DESIGN §3, consultations). The rules are configuration, published with the result."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # information, consultation, binding: only "binding" produces a binding result.
    participation_level: Mapped[str] = mapped_column(sa.String(12), default="binding")
    phase: Mapped[str] = mapped_column(sa.String(14), default="draft", index=True)
    # Schedule (UTC): when each phase begins; counting begins when voting ends.
    information_at: Mapped[datetime]
    proposals_at: Mapped[datetime]
    voting_at: Mapped[datetime]
    voting_ends_at: Mapped[datetime]
    # Electorate: comunas and organisation types (empty list: all types), board valid on cutoff.
    electorate_comunas: Mapped[list[int]] = mapped_column(sa.JSON)
    electorate_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    cutoff_date: Mapped[date]
    weight_scheme: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    quorum: Mapped[Decimal] = mapped_column(sa.Numeric(7, 6))  # fraction of the roll's weight
    majority_numerator: Mapped[int] = mapped_column(default=1)
    majority_denominator: Mapped[int] = mapped_column(default=2)
    majority_strict: Mapped[bool] = mapped_column(default=True)
    abstentions_in_majority: Mapped[bool] = mapped_column(default=False)
    revote_policy: Mapped[str] = mapped_column(sa.String(8), default="last")
    # secret: only totals by choice and the trackers are public; named: every vote is public.
    secrecy: Mapped[str] = mapped_column(sa.String(8), default="secret")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roll_frozen_at: Mapped[datetime | None]
    roll_hash: Mapped[str | None] = mapped_column(sa.String(64))
    roll_total_weight: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 6))
    # The count's round: a certifier's refusal sends the consultation back for a recount.
    count_round: Mapped[int] = mapped_column(default=1, server_default="1")
    # When two certifiers made the result binding: from then on nothing that fed it may change
    # (refused by database triggers, migration 0013).
    certified_at: Mapped[datetime | None]

    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", lazy="selectin", order_by="Question.position"
    )

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("participation_level").in_(["information", "consultation", "binding"]), name="level_known"
        ),
        sa.CheckConstraint(
            sa.column("phase").in_(
                ["draft", "information", "proposals", "voting", "counting", "certification", "published"]
            ),
            name="phase_known",
        ),
        sa.CheckConstraint(sa.column("revote_policy").in_(["last", "first"]), name="revote_known"),
        sa.CheckConstraint(sa.column("secrecy").in_(["secret", "named"]), name="secrecy_known"),
        sa.CheckConstraint("quorum >= 0 AND quorum <= 1", name="quorum_fraction"),
        sa.CheckConstraint(
            "majority_numerator > 0 AND majority_denominator > majority_numerator", name="majority_fraction"
        ),
        sa.CheckConstraint(
            "information_at <= proposals_at AND proposals_at <= voting_at AND voting_at < voting_ends_at",
            name="schedule_in_order",
        ),
    )


class Question(Base):
    """The ballot question about one project: approve, reject or abstain."""

    __tablename__ = "consultation_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"))
    position: Mapped[int] = mapped_column(default=1)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    project: Mapped[Project] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("consultation_id", "project_id"),)


class RollEntry(Base):
    """One organisation on a frozen roll, with its weight and the inputs that produced it.
    Later registry changes do not touch it (DESIGN §4)."""

    __tablename__ = "roll_entries"

    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(18, 6))
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # The organisation as it stood when the roll was frozen: the public roll shows these, so
    # that a later change in the registry never changes a published roll.
    rut: Mapped[str] = mapped_column(sa.String(12))
    legal_name: Mapped[str] = mapped_column(sa.String(250))
    comuna_cut: Mapped[int] = mapped_column(sa.ForeignKey("comunas.cut"))

    organisation: Mapped[Organisation] = relationship()
    comuna: Mapped[Comuna] = relationship()

    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)


class PowerIndex(Base):
    """The Banzhaf power index of each organisation on a roll, computed by a worker."""

    __tablename__ = "power_indices"

    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(sa.String(40))
    exact: Mapped[bool]
    error_bound: Mapped[str | None] = mapped_column(sa.String(20))
    values: Mapped[dict[str, str]] = mapped_column(sa.JSON)  # organisation id -> index
    flags: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # organisation id -> dictator/veto
