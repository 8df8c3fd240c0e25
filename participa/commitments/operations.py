"""Loading the programme's commitments from the list shipped with the package."""

from __future__ import annotations

import csv
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.commitments.models import Commitment


def official_commitments() -> list[dict[str, object]]:
    """The programme's commitments as the list shipped with the package has them, numbered
    within their axis (DESIGN §3, commitments)."""
    text = resources.files("participa.commitments").joinpath("data/compromisos_2025_2029.csv").read_text("utf-8")
    return [
        {
            "number": int(row["numero"]),
            "axis": row["eje"].strip(),
            "title": row["compromiso"].strip(),
            "sub_axis": row["sub_eje"].strip() or None,
            "sub_axis_inferred": row["sub_eje_inferido"].strip().lower() == "si",
        }
        for row in csv.DictReader(text.splitlines())
    ]


def load_commitments(session: Session) -> tuple[int, int]:
    """Insert missing commitments and correct changed texts; idempotent; statuses are kept."""
    existing = {(c.axis, c.number): c for c in session.execute(sa.select(Commitment)).scalars()}
    added = updated = 0
    for row in official_commitments():
        commitment = existing.get((row["axis"], row["number"]))  # type: ignore[arg-type]
        if commitment is None:
            session.add(Commitment(**row))
            added += 1
            continue
        changed = False
        for field in ("title", "sub_axis", "sub_axis_inferred"):
            if getattr(commitment, field) != row[field]:
                setattr(commitment, field, row[field])
                changed = True
        updated += changed
    session.flush()
    return added, updated


def list_commitments(session: Session) -> list[Commitment]:
    """Every commitment, in the programme's order: public data, open to anyone."""
    return list(session.execute(sa.select(Commitment).order_by(Commitment.id)).scalars())
