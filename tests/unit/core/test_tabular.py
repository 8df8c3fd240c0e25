"""CSV for Spanish-locale spreadsheets, safe from formula injection; canonical JSON streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from participa.core.canonical import canonical_json
from participa.core.tabular import canonical_chunks, csv_cell, csv_chunks, safe_text


def test_texts_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    for text in ("=1+1", '=HYPERLINK("http://x","y")', "+56 9 1234", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(text) == "'" + text
    for text in ("Junta de Vecinos", "1,5", "", "a=b"):
        assert safe_text(text) == text


def test_cells_are_written_as_a_spanish_spreadsheet_reads_them() -> None:
    assert csv_cell(Decimal("1.414214")) == "1,414214"
    assert csv_cell(None) == ""
    assert csv_cell(12) == "12"
    assert csv_cell({"b": 1, "a": "x"}) == '{"a":"x","b":1}'
    assert csv_cell("=cmd") == "'=cmd"


def test_a_csv_file_has_a_bom_semicolons_and_crlf() -> None:
    data = b"".join(csv_chunks(["nombre", "peso"], [["Á; b", Decimal("2.5")], ["=x", None]], every=1))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8")[1:]
    assert text.split("\r\n")[0] == "nombre;peso"
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [
        ["nombre", "peso"],
        ["Á; b", "2,5"],
        ["'=x", ""],
    ]


@given(
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=5), max_size=4),
    st.lists(st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=6), max_size=3), max_size=4500),
)
def test_streamed_canonical_json_is_byte_for_byte_the_canonical_json(head: dict, items: list) -> None:
    head.pop("rows", None)
    assert b"".join(canonical_chunks(head, "rows", iter(items))) == canonical_json({**head, "rows": items})
