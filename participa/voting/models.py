from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.admissibility.rules import Verdict
from participa.core.db import Base, utcnow
from participa.voting.rules import verdicts_from_failed


class Ballot(Base):
    """One submission of an organisation's answers, with its receipt. Never deleted: a later
    ballot supersedes it (DESIGN §4)."""

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    # Indexed by ix_ballots_consultation_organisation (consultation first).
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    cast_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    # online; in_person (recorded by a facilitator) takes precedence over online (DESIGN §4).
    channel: Mapped[str] = mapped_column(sa.String(10), default="online")
    # The organisation's secret: shown once to the voter and e-mailed to the organisation's
    # representatives, never listed, never in a URL (DESIGN §4).
    receipt_code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    # SHA-256 of the receipt code: the ballot's public name on the trackers list.
    tracker: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The one-time token of the confirm form that cast it: the same form sent again (a double
    # click, a retried request) finds this ballot instead of casting another.
    submission: Mapped[str | None] = mapped_column(sa.String(43), unique=True)
    # The ballot's verdict, copied at close from its votes' (counted, superseded, not_admitted)
    # with the reason of a refusal: the public trackers list reads the ballots alone.
    verdict: Mapped[str | None] = mapped_column(sa.String(12))
    refusal: Mapped[str | None] = mapped_column(sa.String(30))
    # Set once a worker has queued the receipt e-mail (voting.mail_receipts), for every channel.
    receipt_mailed_at: Mapped[datetime | None]
    # In person (issue #13): the session, the tablet's UUID of the vote and its sequence number,
    # the device's clock (informative only: the session's window decides), the SHA-256 of the
    # content as synced (the same UUID with other content is refused) and whether it was synced
    # after the session's end, within the grace (flagged for the certifier).
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("in_person_sessions.id"))
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    device_seq: Mapped[int | None]
    device_time: Mapped[datetime | None]
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    late_sync: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    votes: Mapped[list[Vote]] = relationship(back_populates="ballot", lazy="selectin", order_by="Vote.question_id")

    __table_args__ = (
        sa.CheckConstraint(sa.column("channel").in_(["online", "in_person"]), name="channel_known"),
        sa.CheckConstraint(
            sa.or_(sa.column("verdict").is_(None), sa.column("verdict").in_(["counted", "superseded", "not_admitted"])),
            name="verdict_known",
        ),
        sa.Index("ix_ballots_consultation_organisation", "consultation_id", "organisation_id"),
        sa.Index("uq_ballots_client_uuid", "client_uuid", unique=True),
        sa.Index(
            "ix_ballots_receipt_pending",
            "id",
            sqlite_where=sa.text("receipt_mailed_at IS NULL"),
            postgresql_where=sa.text("receipt_mailed_at IS NULL"),
        ),
    )


class Vote(Base):
    """An organisation's answer to one question. At most one is effective per organisation and
    question: a partial unique index holds it, whatever the application does."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_questions.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    choice: Mapped[str] = mapped_column(sa.String(8))
    effective: Mapped[bool] = mapped_column(default=True)
    superseded_at: Mapped[datetime | None]
    # Set at close from the vote's admissibility decision (kept in full in vote_decisions): the
    # count then reads one table, not a million-row join.
    admitted: Mapped[bool | None]
    # Why a vote was not admitted (the first rule it fails), copied at close with ``admitted``.
    refusal: Mapped[str | None] = mapped_column(sa.String(30))

    ballot: Mapped[Ballot] = relationship(back_populates="votes")

    __table_args__ = (
        sa.CheckConstraint(sa.column("choice").in_(["approve", "reject", "abstain"]), name="choice_known"),
        sa.Index(
            "uq_votes_one_effective",
            "question_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("effective"),
            postgresql_where=sa.text("effective"),
        ),
        sa.Index("ix_votes_consultation_effective", "consultation_id", "effective"),
    )


class VoteDecision(Base):
    """The admissibility decision on one vote in one count round: admitted or not, the reason
    of the first rule it fails (its public reason) and the reasons of every rule it fails, in
    rule order (the rules it passes are the others of ``VOTE_RULES``). Kept for good; a recount
    adds its own round.

    Narrow on purpose, and without foreign keys (the vote and the consultation are checked by
    the query that writes it): a close writes one row per vote, a million in one pass."""

    __tablename__ = "vote_decisions"

    consultation_id: Mapped[int] = mapped_column(primary_key=True)
    count_round: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    admissible: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    failed: Mapped[str | None] = mapped_column(sa.String(200))  # comma-separated reasons

    @property
    def verdicts(self) -> list[Verdict]:
        return verdicts_from_failed(self.failed)


class TallyResult(Base):
    """The computed result of a consultation: canonical JSON and its SHA-256. One per
    consultation and count round: a tally task that runs twice leaves one result (unique
    constraint)."""

    __tablename__ = "tally_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"))
    # The count's round: a certifier's refusal sends the consultation back for a recount, whose
    # result is stored beside the refused one, never over it.
    count_round: Mapped[int] = mapped_column(default=1, server_default="1")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    canonical_json: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # SHA-256 of the trackers list as published (comprobantes.json), final at close.
    trackers_hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("consultation_id", "count_round"),)
