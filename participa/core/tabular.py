"""Public downloads as CSV that opens right in a spreadsheet set to Spanish (Chile), and as
canonical JSON streamed row by row.

CSV: UTF-8 with a byte-order mark (so spreadsheets read accents right), ``;`` between fields
(a Spanish-locale spreadsheet reads ``,`` as the decimal mark), decimals with a comma, CRLF
line ends, and every text that a spreadsheet would take for a formula (one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with an apostrophe, so that a
name such as ``=HYPERLINK(…)`` is shown, never run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from participa.core.canonical import canonical_json

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_text_sql(column: Any) -> Any:
    """:func:`safe_text` as a SQL expression, for files the database writes (COPY): the same
    starting characters, the same apostrophe."""
    return sa.case(
        (sa.func.substr(column, 1, 1).in_([sa.literal(c) for c in FORMULA_STARTS]), sa.literal("'") + column),
        else_=column,
    )


def utc_seconds(moment: datetime | None) -> str | None:
    """A time in UTC to the second, ``2026-12-01T08:00:00Z`` (participa.core.db.utc_seconds_sql
    writes the same in SQL)."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_cell(value: Any) -> str:
    """One value as a Spanish-locale spreadsheet reads it: decimals with a comma, nothing for
    None, times in UTC as ISO 8601, objects and lists as canonical JSON text, every text safe
    from formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return safe_text(canonical_json(value).decode("utf-8"))
    return safe_text(str(value))


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, every: int = 2000) -> Iterator[bytes]:
    """The CSV file in chunks of ``every`` rows: BOM and header first."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([csv_cell(value) for value in row])
        if count % every == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def canonical_chunks(document: Mapping[str, Any], list_key: str, items: Iterable[Any]) -> Iterator[bytes]:
    """The canonical JSON of ``{**document, list_key: list(items)}`` (sorted keys, no spaces,
    UTF-8), produced item by item so that a million rows are never held at once. The bytes are
    exactly those of :func:`participa.core.canonical.canonical_json` on the whole document."""
    keys = sorted([*document, list_key])
    yield b"{"
    for position, key in enumerate(keys):
        prefix = (b"," if position else b"") + json.dumps(key, ensure_ascii=False).encode("utf-8") + b":"
        if key != list_key:
            yield prefix + canonical_json(document[key])
            continue
        yield prefix + b"["
        buffer: list[bytes] = []
        first = True
        for item in items:
            buffer.append(canonical_json(item))
            if len(buffer) == 2000:
                yield (b"" if first else b",") + b",".join(buffer)
                first, buffer = False, []
        if buffer:
            yield (b"" if first else b",") + b",".join(buffer)
        yield b"]"
    yield b"}"
