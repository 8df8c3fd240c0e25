"""Data requests (issue #15, item 6): anyone signed in asks for a dataset in plain words, others
support the request, staff answer with a status. Public, except who asked and who supported."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participa.core.db import Base, utcnow


class DataRequest(Base):
    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    body: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # open, planned, published (with a link), refused (with the reason): participa.opendata.requests
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    # Kept with each support so that lists sort by it without counting (one row per supporter).
    supports: Mapped[int] = mapped_column(default=0, server_default="0")


class DataRequestSupport(Base):
    """One person's support of a request: once per person (primary key)."""

    __tablename__ = "data_request_supports"

    request_id: Mapped[int] = mapped_column(sa.ForeignKey("data_requests.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
