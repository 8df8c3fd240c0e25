from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participa.core.db import Base


class Comuna(Base):
    """A comuna, keyed by its official CUT code (13101 is Santiago)."""

    __tablename__ = "comunas"

    cut: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    province: Mapped[str] = mapped_column(sa.String(80))

    def __repr__(self) -> str:
        return f"<Comuna {self.cut} {self.name}>"
