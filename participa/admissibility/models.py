from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participa.admissibility.rules import Verdict, admissible, first_reason
from participa.core.db import Base, utcnow


class AdmissibilityDecision(Base):
    """One evaluation of one subject (a project, a proposal, a vote): every rule's verdict and
    reason, kept for good; a new evaluation adds a row, it never rewrites one."""

    __tablename__ = "admissibility_decisions"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(20))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    # All decisions of one run (one submission, one close of voting) share it.
    run: Mapped[str] = mapped_column(sa.String(40))
    admissible: Mapped[bool]
    # The reason of the first rule that does not hold; None when admissible.
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    verdicts: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "run"),
        sa.Index("ix_admissibility_decisions_subject", "subject_type", "subject_id"),
        sa.Index("ix_admissibility_decisions_run", "run", "admissible"),
    )


def decision_values(subject_type: str, subject_id: int, run: str, verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The columns of one decision: every verdict, whether all hold and the first reason."""
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "run": run,
        "admissible": admissible(verdicts),
        "reason": first_reason(verdicts),
        "verdicts": [v.as_dict() for v in verdicts],
    }
