"""Reading registry files as official exports come: UTF-8 or Windows-1252, comma or
semicolon, with or without BOM, read as a stream from any byte offset so that a worker can
resume a large file where the previous chunk ended."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from participa.core.rut import InvalidRut, normalize_rut, rut_key
from participa.registry.rules import StructureError, map_header

_BLOCK = 1 << 20
_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class FileShape:
    """What an uploaded file turned out to be: how to read it and where its data starts."""

    encoding: str  # "utf-8", "cp1252" or, as a last resort, "latin-1"
    delimiter: str
    header: list[str]
    mapping: dict[str, int]
    data_offset: int  # byte offset of the first data row
    total_rows: int  # non-blank data records
    # Each RUT that more than one row carries (normalised), with those rows' numbers: none of
    # them is applied, and each says where the others are (a repeated RUT once renamed an
    # organisation with whichever row came first).
    repeated_ruts: dict[str, list[int]]


def _decodes(handle: BinaryIO, encoding: str, start: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    handle.seek(start)
    try:
        while block := handle.read(_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def inspect_file(path: Path) -> FileShape:
    """Check the structure before any row is written: not empty, a known encoding, a header
    with the required columns, at least one data row. Raises StructureError."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        if not head.removeprefix(codecs.BOM_UTF8).strip():
            raise StructureError("empty")
        # A NUL byte never appears in a CSV of text: a spreadsheet, a PDF or an image saved with
        # a .csv name is told so, not "missing columns".
        if b"\x00" in head:
            raise StructureError("not_csv")
        # A BOM is skipped but not trusted: some exporters put one before Latin-1 text.
        start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
        encoding = next(e for e in ("utf-8", "cp1252", "latin-1") if _decodes(handle, e, start))
        handle.seek(start)
        header_bytes = handle.readline()
        data_offset = handle.tell()
        try:
            header_line = header_bytes.decode(encoding)
        except UnicodeDecodeError as error:
            raise StructureError("encoding") from error
        counts = {d: header_line.count(d) for d in _DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            raise StructureError("no_delimiter")
        header = next(csv.reader([header_line], delimiter=delimiter))
        mapping = map_header(header)
        # One full pass with the CSV parser: a broken quote fails here, before any row is
        # written, and the row count drives the progress bar.
        total = 0
        row_number = 2
        first_of: dict[str, tuple[int, str]] = {}  # each key's first row
        more_of: dict[str, list[tuple[int, str]]] = {}  # the rows of keys seen again
        rut_column = mapping["rut"]
        try:
            handle.seek(data_offset)
            text_lines = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
            for cells in csv.reader(text_lines, delimiter=delimiter, strict=True):
                if "".join(cells).strip():
                    total += 1
                    text = cells[rut_column] if rut_column < len(cells) else ""
                    key = rut_key(text)
                    first = first_of.setdefault(key, (row_number, text))
                    if first[0] != row_number:
                        more_of.setdefault(key, [first]).append((row_number, text))
                row_number += 1
        except csv.Error as error:
            raise StructureError("malformed", str(row_number)) from error
        if total == 0:
            raise StructureError("no_rows")
    return FileShape(encoding, delimiter, header, mapping, data_offset, total, _repeated_ruts(more_of))


def _repeated_ruts(shared: dict[str, list[tuple[int, str]]]) -> dict[str, list[int]]:
    """The valid RUTs that several rows carry, with their row numbers, from the rows of each key
    several rows share (participa.core.rut.rut_key): only those are normalised (validated), so a
    file of distinct RUTs costs one cheap key per row."""
    repeated: dict[str, list[int]] = {}
    for rows in shared.values():
        found: dict[str, list[int]] = {}
        for number, text in rows:
            rut = _rut_or_none(text)
            if rut is not None:
                found.setdefault(rut, []).append(number)
        repeated.update({rut: numbers for rut, numbers in found.items() if len(numbers) > 1})
    return repeated


def _rut_or_none(text: str) -> str | None:
    try:
        return normalize_rut(text)
    except InvalidRut:
        return None


class _OffsetLines:
    """Lines of a binary file from ``start``, decoded, remembering the byte offset reached: the
    CSV reader pulls lines only as it needs them, so after each record ``offset`` is where the
    next record starts, even with quoted line breaks inside a field."""

    def __init__(self, handle: BinaryIO, encoding: str, start: int) -> None:
        handle.seek(start)
        self.handle = handle
        self.encoding = encoding
        self.offset = start

    def __iter__(self) -> Iterator[str]:
        for raw in iter(self.handle.readline, b""):
            self.offset += len(raw)
            yield raw.decode(self.encoding, errors="replace")


@dataclass(frozen=True)
class Chunk:
    """Rows read from a file and where the next chunk starts."""

    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    next_offset: int
    next_row: int
    at_end: bool


def read_chunk(path: Path, *, encoding: str, delimiter: str, offset: int, first_row: int, max_rows: int) -> Chunk:
    """Up to ``max_rows`` records from byte ``offset``; blank records are skipped but keep their
    row number, so numbers match what a spreadsheet shows."""
    rows: list[tuple[int, list[str]]] = []
    row_number = first_row
    with path.open("rb") as handle:
        lines = _OffsetLines(handle, encoding, offset)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        end = offset
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((row_number, cells))
            row_number += 1
            end = lines.offset
            if len(rows) >= max_rows:
                break
        else:
            return Chunk(rows, lines.offset, row_number, True)
        # Stopped at the limit: at the end only if nothing but blank lines follows.
        handle.seek(end)
        at_end = not any(line.strip() for line in iter(handle.readline, b""))
    return Chunk(rows, end, row_number, at_end)
