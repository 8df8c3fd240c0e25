from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participa.core.db import Base


class Commitment(Base):
    """One of the governor's programme commitments, numbered within its axis as in the programme
    (so "DESIGUALDAD 21" and "CRISIS AMBIENTAL Y CLIMÁTICA 21" are two commitments)."""

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
    )
