"""Loading the comunas from the official list shipped with the package."""

from __future__ import annotations

import csv
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.territory.models import Comuna


def official_comunas() -> list[dict[str, object]]:
    """The 52 comunas of the region as the official list shipped with the package has them
    (CUT code, name, province; DESIGN §3, territory)."""
    text = resources.files("participa.territory").joinpath("data/comunas_rm.csv").read_text("utf-8")
    return [
        {"cut": int(row["cut"]), "name": row["comuna"].strip(), "province": row["provincia"].strip()}
        for row in csv.DictReader(text.splitlines())
    ]


def load_comunas(session: Session) -> tuple[int, int]:
    """Insert missing comunas and correct changed names; idempotent. Returns (added, updated)."""
    existing = {c.cut: c for c in session.execute(sa.select(Comuna)).scalars()}
    added = updated = 0
    for row in official_comunas():
        comuna = existing.get(row["cut"])  # type: ignore[arg-type]
        if comuna is None:
            session.add(Comuna(**row))
            added += 1
        elif (comuna.name, comuna.province) != (row["name"], row["province"]):
            comuna.name, comuna.province = row["name"], row["province"]  # type: ignore[assignment]
            updated += 1
    session.flush()
    return added, updated


def list_comunas(session: Session) -> list[Comuna]:
    """Every comuna, by name: public data, open to anyone."""
    return list(session.execute(sa.select(Comuna).order_by(Comuna.name)).scalars())
