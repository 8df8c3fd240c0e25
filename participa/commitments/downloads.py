"""The commitment record as open data: the record, its versions and the compliance figures, as
CSV (Spanish-spreadsheet friendly, formula-safe: participa.core.tabular) and canonical JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.commitments import operations, rules
from participa.commitments.models import CommitmentVersion
from participa.core.canonical import canonical_json
from participa.core.tabular import csv_chunks
from participa.territory.models import Comuna

DATASETS = ("compromisos", "compromisos-versiones", "cumplimiento")
RECORD_COLUMNS = (
    "commitment", "programme", "axis", "sub_axis", "number", "title", "description", "criterion", "division",
    "status", "approved_investment_clp", "beneficiaries", "comunas", "milestones", "links", "documents",
    "evidence", "projects", "version",
)  # fmt: skip


def _records(session: Session) -> list[dict[str, Any]]:
    """The current record of every commitment, as its current version keeps it."""
    versions = {
        (v.commitment_id, v.version): v.record_json
        for v in session.execute(
            sa.select(CommitmentVersion.commitment_id, CommitmentVersion.version, CommitmentVersion.record_json)
        )
    }
    found = []
    for commitment in operations.list_commitments(session):
        text = versions.get((commitment.id, commitment.version))
        found.append(json.loads(text) if text else operations.record_of(session, commitment))
    return found


def version_item(v: CommitmentVersion) -> dict[str, Any]:
    """A version of the record as the downloads and the API give it."""
    return {
        "commitment": v.commitment_id,
        "version": v.version,
        "recorded_at": v.recorded_at,
        "reason": v.reason,
        "fields_changed": sorted(v.changes),
        "status": v.status,
        "sha256": v.sha256,
    }


def _versions(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(CommitmentVersion).order_by(CommitmentVersion.commitment_id, CommitmentVersion.version)
    )
    return [version_item(v) for v in rows.scalars()]


def _compliance(session: Session, now: datetime) -> list[dict[str, Any]]:
    board = operations.dashboard(session, operations.Filters(), now)
    names = dict(session.execute(sa.select(Comuna.cut, Comuna.name)).all())
    standing = board.standing

    def row(programme: str, level: str, group: str, figures: rules.Compliance) -> dict[str, Any]:
        return {"programme": programme, "level": level, "group": group, **figures.as_json()}

    current = rules.CURRENT_PROGRAMME
    rows = [row(current, "overall", "", standing.overall)]
    rows += [row(current, "axis", axis, figures) for axis, figures in standing.by_axis.items()]
    rows += [row(current, "sub_axis", sub, figures) for sub, figures in standing.by_sub_axis.items()]
    rows += [row(current, "comuna", names.get(cut, str(cut)), figures) for cut, figures in standing.by_comuna.items()]
    previous = rules.PREVIOUS_PROGRAMME
    rows.append(row(previous.code, "overall", "", previous.figures))
    return rows


def _items(session: Session, dataset: str, now: datetime) -> list[dict[str, Any]]:
    if dataset == "compromisos":
        return _records(session)
    if dataset == "compromisos-versiones":
        return _versions(session)
    return _compliance(session, now)


def _csv(items: Sequence[dict[str, Any]], columns: Iterable[str]) -> bytes:
    header = list(columns)
    return b"".join(csv_chunks(header, ([item.get(name) for name in header] for item in items)))


def render(session: Session, dataset: str, extension: str, now: datetime) -> tuple[bytes, str]:
    """The dataset's bytes and their media type."""
    items = _items(session, dataset, now)
    if extension == "json":
        document = {"dataset": dataset, "generated_at": now, "licence": "CC-BY-4.0", "items": items}
        return canonical_json(document), "application/json"
    columns = RECORD_COLUMNS if dataset == "compromisos" else (list(items[0]) if items else [])
    return _csv(items, columns), "text/csv; charset=utf-8"
