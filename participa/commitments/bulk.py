"""Bulk updates of the commitment record from a CSV, with a report row by row (issue #14).

The file is checked whole before anything changes: a file that is not a CSV, lacks a column, or
has one bad row changes nothing, and the report says what is wrong on each row. A good file
applies each row as an edit by the person who uploaded it (a version per changed commitment,
with the row's reason)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.commitments import operations, rules
from participa.commitments.models import Commitment
from participa.territory.models import Comuna

REQUIRED = ("eje", "numero", "motivo")
OPTIONAL = {
    "estado": "status",
    "descripcion": "description",
    "criterio": "criterion",
    "division": "division",
    "inversion_aprobada_clp": "approved_investment_clp",
    "beneficiarios": "beneficiaries",
    "comunas": "comunas",
}
STATUS_WORDS = {
    "no iniciado": rules.NOT_STARTED,
    "en curso": rules.IN_PROGRESS,
    "cumplido": rules.FULFILLED,
    "despriorizado": rules.DEPRIORITISED,
    **{status: status for status in rules.STATUSES},
}
CRITERION_WORDS = {
    "inversión aprobada": "investment",
    "inversion aprobada": "investment",
    "acción realizada": "action",
    "accion realizada": "action",
    "investment": "investment",
    "action": "action",
    "": None,
}


class BulkFileError(Exception):
    """The file as a whole cannot be read: ``code`` says why (``detail``: the missing columns)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


@dataclass
class RowReport:
    line: int
    label: str
    outcome: str  # updated, unchanged, error
    code: str | None = None
    detail: str = ""


def _text_of(data: bytes) -> str:
    if len(data) > operations.MAX_CSV_BYTES:
        raise BulkFileError("too_large")
    if b"\x00" in data:
        raise BulkFileError("not_csv")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(text: str) -> list[dict[str, str]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    except csv.Error:
        raise BulkFileError("not_csv") from None
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise BulkFileError("missing_columns", ", ".join(missing))
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _change_of(row: dict[str, str], comunas_by_name: dict[str, int]) -> dict[str, Any]:
    """The edit a row asks for (only the optional columns it fills); raises ValueError(code)."""
    change: dict[str, Any] = {}
    for column, name in OPTIONAL.items():
        value = row.get(column, "")
        if value == "" and column != "criterio":
            continue
        if column == "criterio" and column not in row:
            continue
        if column == "estado":
            change[name] = STATUS_WORDS.get(value.lower()) or _fail("bad_status")
        elif column == "criterio":
            if value.lower() not in CRITERION_WORDS:
                _fail("bad_criterion")
            change[name] = CRITERION_WORDS[value.lower()]
        elif column in ("inversion_aprobada_clp", "beneficiarios"):
            digits = value.replace(".", "").replace("$", "").replace(" ", "")
            change[name] = int(digits) if digits.isdigit() else _fail("bad_number")
        elif column == "comunas":
            change[name] = [_comuna(part.strip(), comunas_by_name) for part in value.split(",") if part.strip()]
        else:
            change[name] = value
    return change


def _fail(code: str) -> Any:
    raise ValueError(code)


def _comuna(text: str, comunas_by_name: dict[str, int]) -> int:
    if text.isdigit():
        return int(text)
    return comunas_by_name.get(text.lower()) or _fail("unknown_comuna")


def _plan(session: Session, rows: list[dict[str, str]]) -> tuple[list[RowReport], list[tuple[Commitment, dict, str]]]:
    commitments = {(c.axis.lower(), c.number): c for c in operations.list_commitments(session)}
    comunas = {name.lower(): cut for cut, name in session.execute(sa.select(Comuna.cut, Comuna.name))}
    report, edits = [], []
    for line, row in enumerate(rows, start=2):
        number = row.get("numero", "")
        commitment = commitments.get((row.get("eje", "").lower(), int(number) if number.isdigit() else -1))
        label = commitment.label if commitment else f"{row.get('eje', '')} {number}".strip()
        try:
            if commitment is None:
                _fail("unknown_commitment")
            if not row.get("motivo"):
                _fail("reason_required")
            change = operations.checked_change(session, _change_of(row, comunas))
        except (ValueError, operations.CommitmentError) as error:
            code = error.code if isinstance(error, operations.CommitmentError) else str(error)
            report.append(RowReport(line, label, "error", code))
            continue
        effective = {k: v for k, v in change.items() if getattr(commitment, k) != v}
        report.append(RowReport(line, label, "updated" if effective else "unchanged"))
        if effective:
            edits.append((commitment, effective, row["motivo"]))
    return report, edits


def bulk_update(session: Session, *, actor: User, data: bytes, now: datetime) -> tuple[bool, list[RowReport]]:
    """Check the whole file, then (only if every row is good) apply it. Returns whether it was
    applied and the report, row by row. Raises :class:`BulkFileError` for a file that cannot be
    read at all, and ``CommitmentError("forbidden")`` without the role."""
    operations.require_programme_staff(actor)
    rows = _rows(_text_of(data))
    if not rows:
        raise BulkFileError("empty")
    report, edits = _plan(session, rows)
    if any(row.outcome == "error" for row in report):
        return False, report
    for commitment, change, reason in edits:
        operations.update_commitment(session, actor=actor, commitment=commitment, change=change, reason=reason, now=now)
    return True, report
