from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.accounts.models import User
from participa.commitments.models import Commitment
from participa.consultations.models import Consultation
from participa.core.db import Base, utcnow
from participa.projects.models import Project


class CertificationDecision(Base):
    """One certifier's approval or refusal of one count round of a consultation's result, with
    the hash of the result they saw. Append-only (database triggers, migration 0013)."""

    __tablename__ = "certification_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"))
    count_round: Mapped[int]
    certifier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(sa.String(8))  # approve, refuse
    reason: Mapped[str | None] = mapped_column(sa.Text)
    result_sha256: Mapped[str] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    certifier: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "count_round", "certifier_id"),
        sa.CheckConstraint(sa.column("decision").in_(["approve", "refuse"]), name="decision_known"),
        sa.CheckConstraint("decision = 'approve' OR length(reason) >= 10", name="refusal_has_reason"),
    )


class Certification(Base):
    """The certificate of a binding result: what two certifiers approved, with the three hashes
    anyone can recompute and the audit block that covers the consultation's last event before
    it. Append-only."""

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultations.id"), unique=True)
    # Ten letters and digits of Crockford's base 32 in two groups, "7K3QD-M9XWA": read aloud,
    # typed on a phone, printed under the QR code.
    code: Mapped[str] = mapped_column(sa.String(11), unique=True)
    result_sha256: Mapped[str] = mapped_column(sa.String(64))
    roll_hash: Mapped[str] = mapped_column(sa.String(64))
    trackers_hash: Mapped[str] = mapped_column(sa.String(64))
    audit_block_id: Mapped[int]
    audit_block_hash: Mapped[str] = mapped_column(sa.String(64))
    certified_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(lazy="joined")


class CommitmentEvidence(Base):
    """An entry in a commitment's record: for now, the certified result of a binding
    consultation on a project linked to the commitment."""

    __tablename__ = "commitment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))  # certified_result
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"))
    certification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certifications.id"))
    # What the result decided for the project: approved, rejected, consulted (not binding).
    outcome: Mapped[str] = mapped_column(sa.String(16))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship()
    project: Mapped[Project | None] = relationship()
    certification: Mapped[Certification | None] = relationship()
