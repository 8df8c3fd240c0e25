"""Registry rules as plain functions: organisation types and states, the accepted columns of
an import file and how one row becomes a clean record or a rejection with its reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from participa.core.rut import InvalidRut, normalize_rut
from participa.core.text import fold, fold_cached


class OrgType(StrEnum):
    """The kinds of organisation the registry holds (DESIGN §3, registry)."""

    JUNTA_VECINOS = "junta_vecinos"
    FUNCIONAL = "funcional"
    UNION_COMUNAL = "union_comunal"
    ASOCIACION = "asociacion"
    FUNDACION = "fundacion"
    CORPORACION = "corporacion"
    OTRA = "otra"


class OrgStatus(StrEnum):
    """An organisation's standing in the registry; only ``verified`` can be on a roll (DESIGN §4)."""

    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"
    DISSOLVED = "dissolved"


class CuratorAction(StrEnum):
    """What a curator may do to an organisation's status (see TRANSITIONS)."""

    VERIFY = "verify"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    DISSOLVE = "dissolve"


# Which action leads from which states to which state. Dissolution is final.
TRANSITIONS: dict[CuratorAction, tuple[frozenset[OrgStatus], OrgStatus]] = {
    CuratorAction.VERIFY: (frozenset({OrgStatus.PENDING}), OrgStatus.VERIFIED),
    CuratorAction.SUSPEND: (frozenset({OrgStatus.PENDING, OrgStatus.VERIFIED}), OrgStatus.SUSPENDED),
    CuratorAction.REINSTATE: (frozenset({OrgStatus.SUSPENDED}), OrgStatus.VERIFIED),
    CuratorAction.DISSOLVE: (
        frozenset({OrgStatus.PENDING, OrgStatus.VERIFIED, OrgStatus.SUSPENDED}),
        OrgStatus.DISSOLVED,
    ),
}


def next_status(current: str, action: CuratorAction) -> OrgStatus | None:
    """The state after ``action``, or ``None`` when the action is not allowed from ``current``."""
    allowed_from, target = TRANSITIONS[action]
    return target if current in allowed_from else None


# --- import files ---------------------------------------------------------------------------

# Canonical field -> folded header spellings seen in official exports and municipal lists.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "rut": ("rut", "rut organizacion", "rut de la organizacion", "rut entidad", "rut juridico", "rol unico tributario"),
    "legal_name": (
        "nombre",
        "razon social",
        "nombre organizacion",
        "nombre de la organizacion",
        "nombre entidad",
        "nombre persona juridica",
    ),
    "registry_number": (
        "numero registro",
        "n registro",
        "numero de registro",
        "numero inscripcion",
        "n inscripcion",
        "numero de inscripcion",
        "personalidad juridica",
        "n personalidad juridica",
        "folio",
        "registro",
    ),
    "org_type": ("tipo", "tipo organizacion", "tipo de organizacion", "tipo entidad", "clasificacion"),
    "comuna": ("comuna", "comuna domicilio", "cut comuna", "codigo comuna", "cod comuna"),
    "address": ("direccion", "domicilio", "direccion sede", "domicilio sede"),
    "members_count": (
        "socios",
        "n socios",
        "numero de socios",
        "numero socios",
        "cantidad de socios",
        "miembros",
        "n de socios",
        "n miembros",
    ),
    "board_term_start": (
        "inicio directorio",
        "fecha inicio directorio",
        "vigencia desde",
        "fecha eleccion directorio",
        "inicio vigencia directorio",
        "directorio desde",
    ),
    "board_term_end": (
        "termino directorio",
        "fecha termino directorio",
        "vigencia hasta",
        "vencimiento directorio",
        "fin vigencia directorio",
        "directorio hasta",
        "termino vigencia directorio",
    ),
}
REQUIRED_COLUMNS = ("rut", "legal_name", "org_type", "comuna")
_ALIAS_INDEX = {alias: field for field, aliases in COLUMN_ALIASES.items() for alias in aliases}

TYPE_ALIASES: dict[str, OrgType] = {
    "junta de vecinos": OrgType.JUNTA_VECINOS,
    "juntas de vecinos": OrgType.JUNTA_VECINOS,
    "jjvv": OrgType.JUNTA_VECINOS,
    "jj vv": OrgType.JUNTA_VECINOS,
    "jv": OrgType.JUNTA_VECINOS,
    "organizacion comunitaria funcional": OrgType.FUNCIONAL,
    "organizacion funcional": OrgType.FUNCIONAL,
    "funcional": OrgType.FUNCIONAL,
    "ocf": OrgType.FUNCIONAL,
    "union comunal": OrgType.UNION_COMUNAL,
    "union comunal de juntas de vecinos": OrgType.UNION_COMUNAL,
    "asociacion": OrgType.ASOCIACION,
    "asociacion gremial": OrgType.ASOCIACION,
    "fundacion": OrgType.FUNDACION,
    "corporacion": OrgType.CORPORACION,
    "otra": OrgType.OTRA,
    "otro": OrgType.OTRA,
    "organizacion de interes publico": OrgType.OTRA,
    "comunidad indigena": OrgType.OTRA,
    "asociacion indigena": OrgType.OTRA,
    "club deportivo": OrgType.FUNCIONAL,
    "centro de padres": OrgType.FUNCIONAL,
    "club de adulto mayor": OrgType.FUNCIONAL,
}
TYPE_ALIASES.update({t.value.replace("_", " "): t for t in OrgType})


class StructureError(ValueError):
    """The file cannot be imported at all; ``code`` names why and ``detail`` what."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Column index of each known field. Raises StructureError when a required column is
    missing or a field appears twice."""
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        field = _ALIAS_INDEX.get(fold(name.lstrip("\ufeff")))
        if field is None:
            continue
        if field in mapping:
            raise StructureError("duplicate_column", name.strip())
        mapping[field] = index
    missing = [f for f in REQUIRED_COLUMNS if f not in mapping]
    if missing:
        raise StructureError("missing_columns", ", ".join(missing))
    return mapping


@dataclass(frozen=True)
class CleanRow:
    """One row of an import file, validated and normalised."""

    rut: str
    legal_name: str
    registry_number: str | None
    org_type: OrgType
    comuna_cut: int
    address: str | None
    members_count: int | None
    board_term_start: date | None
    board_term_end: date | None

    def values(self) -> dict[str, object]:
        """The fields an import sets on a registry record, as stored."""
        return {
            "legal_name": self.legal_name,
            "registry_number": self.registry_number,
            "org_type": self.org_type.value,
            "comuna_cut": self.comuna_cut,
            "address": self.address,
            "members_count": self.members_count,
            "board_term_start": self.board_term_start,
            "board_term_end": self.board_term_end,
        }


@dataclass(frozen=True)
class Rejection:
    """Why a row was rejected: a reason code and what was wrong, with the RUT when it was read."""

    reason: str  # a code: invalid_rut, unknown_comuna, missing_field, bad_date, ...
    detail: str
    rut: str | None = None


_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y")
_SPACES = re.compile(r"\s+")


_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text: str) -> date:
    """A calendar date as Chilean files write it (day first) or in ISO form."""
    text = text.strip()
    match = _DAY_FIRST.match(text)
    if match:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    match = _ISO.match(text)
    if match:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _clean_text(value: str, limit: int) -> str:
    return _SPACES.sub(" ", value).strip()[:limit]


def clean_row(cells: Sequence[str], mapping: Mapping[str, int], comunas: Mapping[str, int]) -> CleanRow | Rejection:
    """One data row as a clean record, or its rejection with the first reason found: a RUT
    (módulo 11, normalised), a name, a known type and a known comuna are required; members and
    board dates are optional but must read right (DESIGN §3, registry). ``comunas`` maps folded
    names and CUT codes (as text) to CUT codes."""

    def cell(field: str) -> str:
        index = mapping.get(field)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    raw_rut = cell("rut")
    if not raw_rut:
        return Rejection("missing_field", "rut")
    try:
        rut = normalize_rut(raw_rut)
    except InvalidRut as error:
        return Rejection("invalid_rut", error.reason, raw_rut[:20])

    for field in ("legal_name", "org_type", "comuna"):
        if not cell(field):
            return Rejection("missing_field", field, rut)

    org_type = TYPE_ALIASES.get(fold_cached(cell("org_type")))
    if org_type is None:
        return Rejection("unknown_type", cell("org_type")[:80], rut)

    comuna_text = cell("comuna")
    comuna_cut = comunas.get(comuna_text) or comunas.get(fold_cached(comuna_text))
    if comuna_cut is None:
        return Rejection("unknown_comuna", comuna_text[:80], rut)

    members = _members_count(cell("members_count"), rut)
    if isinstance(members, Rejection):
        return members
    term = _board_term(cell("board_term_start"), cell("board_term_end"), rut)
    if isinstance(term, Rejection):
        return term

    return CleanRow(
        rut=rut,
        legal_name=_clean_text(cell("legal_name"), 250),
        registry_number=_clean_text(cell("registry_number"), 60) or None,
        org_type=org_type,
        comuna_cut=comuna_cut,
        address=_clean_text(cell("address"), 250) or None,
        members_count=members,
        board_term_start=term[0],
        board_term_end=term[1],
    )


def _members_count(text: str, rut: str) -> int | Rejection | None:
    """A members count as files write it (``1.250``, ``1 250``), up to seven digits; empty is
    unknown."""
    digits = text.replace(".", "").replace(" ", "")
    if not digits:
        return None
    if not digits.isdigit() or len(digits) > 7:
        return Rejection("bad_number", text[:40], rut)
    return int(digits)


def _board_term(start_text: str, end_text: str, rut: str) -> tuple[date | None, date | None] | Rejection:
    """The board's term as two optional dates, the end not before the start."""
    dates: dict[str, date | None] = {}
    for field, text in (("board_term_start", start_text), ("board_term_end", end_text)):
        try:
            dates[field] = parse_date(text) if text else None
        except ValueError:
            return Rejection("bad_date", f"{field}: {text[:40]}", rut)
    start, end = dates["board_term_start"], dates["board_term_end"]
    if start and end and end < start:
        return Rejection("bad_date", "board_term_end < board_term_start", rut)
    return start, end


def changes(current: Mapping[str, object], incoming: Mapping[str, object]) -> dict[str, list[object]]:
    """Fields whose value differs: {field: [old, new]}. An empty cell in the file does not erase
    a value already in the registry."""
    diff: dict[str, list[object]] = {}
    for field, new in incoming.items():
        if new is None:
            continue
        old = current.get(field)
        if old != new:
            diff[field] = [old, new]
    return diff


# --- one chunk of an import -----------------------------------------------------------------

Outcome = dict[str, Any]  # one line of the per-row report, as stored in import_rows


def row_report(
    row_number: int,
    rut: str | None,
    outcome: str,
    reason: str | None = None,
    detail: object = None,
    organisation_id: int | None = None,
) -> Outcome:
    """One line of an import's per-row report: accepted, updated, unchanged, or rejected with its
    reason (DESIGN §3, registry)."""
    return {
        "row_number": row_number,
        "rut": rut,
        "outcome": outcome,
        "reason": reason,
        "detail": detail,
        "organisation_id": organisation_id,
    }


@dataclass(frozen=True)
class SortedRows:
    """A chunk's rows before the registry is read: the rejected ones as report lines, and the
    clean ones by RUT with their row numbers, in file order."""

    rejected: list[Outcome]
    clean: dict[str, tuple[int, CleanRow]]


def sort_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    mapping: Mapping[str, int],
    comunas: Mapping[str, int],
    repeated: Mapping[str, Sequence[int]] | None = None,
) -> SortedRows:
    """Clean every row (:func:`clean_row`). A RUT that several rows of the file carry
    (``repeated``, found before any row is applied) is applied from none of them: each is
    rejected as ``duplicate_in_file``, naming the other rows, since which one is right is the
    curator's call. (Without ``repeated``, a batch uploaded before it was recorded: the later row
    is rejected, naming the first.)"""
    rejected: list[Outcome] = []
    clean: dict[str, tuple[int, CleanRow]] = {}
    repeated = repeated or {}
    for row_number, cells in rows:
        result = clean_row(cells, mapping, comunas)
        if isinstance(result, Rejection):
            rejected.append(row_report(row_number, result.rut, "rejected", result.reason, result.detail))
        elif result.rut in repeated:
            others = ", ".join(str(n) for n in repeated[result.rut] if n != row_number)
            rejected.append(row_report(row_number, result.rut, "rejected", "duplicate_in_file", others))
        elif result.rut in clean:
            first = clean[result.rut][0]
            rejected.append(row_report(row_number, result.rut, "rejected", "duplicate_in_file", str(first)))
        else:
            clean[result.rut] = (row_number, result)
    return SortedRows(rejected, clean)


def drop_earlier_duplicates(clean: Mapping[str, tuple[int, CleanRow]], seen_before: Mapping[str, int]) -> SortedRows:
    """Rows whose RUT an earlier chunk of the same file already imported (``seen_before``: RUT ->
    that row's number) are duplicates in the file too: rejected, the rest kept."""
    rejected = [
        row_report(clean[rut][0], rut, "rejected", "duplicate_in_file", str(first_row))
        for rut, first_row in seen_before.items()
    ]
    return SortedRows(rejected, {rut: value for rut, value in clean.items() if rut not in seen_before})


@dataclass(frozen=True)
class Change:
    """A registry record that a clean row changes: ``diff`` is {field: [old, new]}."""

    row_number: int
    row: CleanRow
    organisation_id: int
    diff: dict[str, list[object]]


@dataclass(frozen=True)
class ImportPlan:
    """What a chunk does to the registry: records to create, records to change, and the report
    lines of the rows that change or leave a record as it is."""

    new: list[tuple[int, CleanRow]]
    changed: list[Change]
    report: list[Outcome]


def plan_import(clean: Mapping[str, tuple[int, CleanRow]], registry: Mapping[str, Mapping[str, Any]]) -> ImportPlan:
    """Imports are idempotent by RUT (DESIGN §3, registry): a RUT the registry lacks is a new
    record; one it holds is updated where a field differs (:func:`changes`, reported as
    ``[old, new]``) and otherwise unchanged. ``registry`` maps RUT -> the record's values and id."""
    new: list[tuple[int, CleanRow]] = []
    changed: list[Change] = []
    report: list[Outcome] = []
    for rut, (row_number, row) in clean.items():
        current = registry.get(rut)
        if current is None:
            new.append((row_number, row))
            continue
        organisation_id = current["id"]
        diff = changes(current, row.values())
        if diff:
            changed.append(Change(row_number, row, organisation_id, diff))
            detail = {k: [_plain(v[0]), _plain(v[1])] for k, v in diff.items()}
            report.append(row_report(row_number, rut, "updated", detail=detail, organisation_id=organisation_id))
        else:
            report.append(row_report(row_number, rut, "unchanged", organisation_id=organisation_id))
    return ImportPlan(new, changed, report)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def progress_percent(status: str, rows_processed: int, total_rows: int) -> int:
    """How far an import has gone, 0 to 100: 100 once done, whatever the counts say."""
    if status == "done":
        return 100
    return min(int(rows_processed * 100 / total_rows) if total_rows else 0, 100)


def board_valid_on(start: date | None, end: date | None, cutoff: date) -> bool:
    """The board term covers the cut-off date (DESIGN §4, eligibility)."""
    return end is not None and end >= cutoff and (start is None or start <= cutoff)
