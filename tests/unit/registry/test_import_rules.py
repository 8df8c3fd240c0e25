"""participa.registry.rules: how the rows of an import become records, changes or rejections,
without a database (DESIGN §3, registry)."""

from __future__ import annotations

from datetime import date

import pytest

from participa.registry.rules import (
    CleanRow,
    OrgType,
    Rejection,
    clean_row,
    drop_earlier_duplicates,
    plan_import,
    progress_percent,
    sort_rows,
)

MAPPING = {
    "rut": 0,
    "legal_name": 1,
    "org_type": 2,
    "comuna": 3,
    "members_count": 4,
    "board_term_start": 5,
    "board_term_end": 6,
}
COMUNAS = {"renca": 13128, "13128": 13128, "nunoa": 13120}
ROBLE = "65123456-5"  # RUTs with their true check digits
ALAMO = "76543210-3"


def cells(
    rut: str = ROBLE,
    *,
    name: str = "Junta de Vecinos El Roble",
    kind: str = "JJVV",
    comuna: str = "Renca",
    members: str = "1.250",
    start: str = "01-03-2024",
    end: str = "28/02/2027",
) -> list[str]:
    """One data row in MAPPING's column order, as a municipal list writes it."""
    return [rut, name, kind, comuna, members, start, end]


def clean(rut: str = ROBLE, **changes: str) -> CleanRow:
    result = clean_row(cells(rut, **changes), MAPPING, COMUNAS)
    assert isinstance(result, CleanRow), result
    return result


def test_a_good_row_becomes_a_clean_record() -> None:
    assert clean_row(cells(), MAPPING, COMUNAS) == CleanRow(
        rut=ROBLE,
        legal_name="Junta de Vecinos El Roble",
        registry_number=None,
        org_type=OrgType.JUNTA_VECINOS,
        comuna_cut=13128,
        address=None,
        members_count=1250,
        board_term_start=date(2024, 3, 1),
        board_term_end=date(2027, 2, 28),
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"rut": ""}, Rejection("missing_field", "rut")),
        ({"rut": "65123456-3"}, Rejection("invalid_rut", "check_digit", "65123456-3")),
        ({"name": "  "}, Rejection("missing_field", "legal_name", ROBLE)),
        ({"kind": "club de ajedrez"}, Rejection("unknown_type", "club de ajedrez", ROBLE)),
        ({"comuna": "Springfield"}, Rejection("unknown_comuna", "Springfield", ROBLE)),
        ({"members": "ciento veinte"}, Rejection("bad_number", "ciento veinte", ROBLE)),
        ({"members": "12345678"}, Rejection("bad_number", "12345678", ROBLE)),
        ({"start": "31-02-2024"}, Rejection("bad_date", "board_term_start: 31-02-2024", ROBLE)),
        ({"end": "2023-01-01"}, Rejection("bad_date", "board_term_end < board_term_start", ROBLE)),
    ],
)
def test_a_bad_row_is_rejected_with_its_first_reason(changes: dict[str, str], expected: Rejection) -> None:
    rut = changes.pop("rut", ROBLE)
    assert clean_row(cells(rut, **changes), MAPPING, COMUNAS) == expected


def test_optional_cells_left_empty_are_unknown_not_errors() -> None:
    row = clean(members="", start="", end="")
    assert (row.members_count, row.board_term_start, row.board_term_end) == (None, None, None)


def test_a_rut_repeated_in_the_chunk_is_rejected_naming_its_first_row() -> None:
    sorted_rows = sort_rows(
        [(2, cells()), (3, cells(ALAMO)), (4, cells(comuna="Marte")), (5, cells())], MAPPING, COMUNAS
    )
    assert list(sorted_rows.clean) == [ROBLE, ALAMO]
    assert [(r["row_number"], r["reason"], r["detail"]) for r in sorted_rows.rejected] == [
        (4, "unknown_comuna", "Marte"),
        (5, "duplicate_in_file", "2"),
    ]


def test_a_rut_taken_in_by_an_earlier_chunk_is_a_duplicate_too() -> None:
    chunk = {ROBLE: (12, clean()), ALAMO: (13, clean(ALAMO))}
    result = drop_earlier_duplicates(chunk, {ROBLE: 7})
    assert list(result.clean) == [ALAMO]
    assert [(r["row_number"], r["rut"], r["outcome"], r["reason"], r["detail"]) for r in result.rejected] == [
        (12, ROBLE, "rejected", "duplicate_in_file", "7")
    ]


def registry_record(row: CleanRow, organisation_id: int, **changes: object) -> dict[str, object]:
    return {"id": organisation_id, "rut": row.rut, **row.values(), **changes}


def test_an_import_creates_what_is_new_updates_what_differs_and_leaves_the_rest() -> None:
    new, same, moved = clean("60000001-2"), clean(ROBLE), clean(ALAMO, comuna="Ñuñoa", members="")
    registry = {
        ROBLE: registry_record(same, 1),
        ALAMO: registry_record(moved, 2, comuna_cut=13128, members_count=40),
    }
    plan = plan_import({new.rut: (2, new), ROBLE: (3, same), ALAMO: (4, moved)}, registry)
    assert plan.new == [(2, new)]
    assert [(c.row_number, c.organisation_id, c.diff) for c in plan.changed] == [(4, 2, {"comuna_cut": [13128, 13120]})]
    assert [(r["row_number"], r["outcome"], r["detail"], r["organisation_id"]) for r in plan.report] == [
        (3, "unchanged", None, 1),
        (4, "updated", {"comuna_cut": [13128, 13120]}, 2),
    ], "an empty cell never erases what the registry holds (members stay 40)"


def test_a_changed_date_is_reported_in_iso_form() -> None:
    row = clean(end="31-12-2028")
    plan = plan_import({ROBLE: (2, row)}, {ROBLE: registry_record(row, 1, board_term_end=date(2027, 2, 28))})
    assert plan.report[0]["detail"] == {"board_term_end": ["2027-02-28", "2028-12-31"]}


@pytest.mark.parametrize(
    ("status", "processed", "total", "expected"),
    [("queued", 0, 0, 0), ("running", 1, 3, 33), ("running", 5, 4, 100), ("done", 0, 0, 100), ("done", 1, 3, 100)],
)
def test_progress_is_a_whole_percentage_and_100_once_done(
    status: str, processed: int, total: int, expected: int
) -> None:
    assert progress_percent(status, processed, total) == expected


def test_a_rut_several_rows_carry_is_applied_from_none_each_naming_the_others() -> None:
    sorted_rows = sort_rows([(2, cells()), (3, cells(ALAMO)), (5, cells())], MAPPING, COMUNAS, {ROBLE: [2, 5]})
    assert list(sorted_rows.clean) == [ALAMO]
    assert [(r["row_number"], r["reason"], r["detail"]) for r in sorted_rows.rejected] == [
        (2, "duplicate_in_file", "5"),
        (5, "duplicate_in_file", "2"),
    ]


def test_repeated_ruts_are_found_whatever_their_spelling_and_only_when_valid(tmp_path) -> None:
    from participa.core.rut import format_rut
    from participa.registry.files import inspect_file
    from tests.fixtures.registry import csv_bytes, row, rut

    valid = rut(12_345_678)
    number, digit = valid.split("-")
    wrong = f"{number[:-1]}-{number[-1]}{digit}"  # the same key, a dash in the wrong place: not a RUT
    other = rut(23_456_789)
    path = tmp_path / "catastro.csv"
    path.write_bytes(csv_bytes([row(valid), row(other), row(format_rut(valid)), row(wrong), row(f"0{valid}")]))
    shape = inspect_file(path)
    assert shape.repeated_ruts == {valid: [2, 4, 6]}
    assert shape.total_rows == 5
