"""The organisations CSV is written by PostgreSQL (COPY) in production and by Python on the
embedded default (issue #15's benchmark: the database writes 100,000 rows in a fraction of the
time). Both must say the same: the same header and, read back by a CSV reader, the same values,
formula-neutralised texts, quotes, separators, line breaks and empty cells included."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from participa.core import db
from participa.core.tabular import csv_chunks
from participa.registry import queries
from tests.conftest import LEG
from tests.fixtures.registry import create_organisation

NASTY = [
    ('=HYPERLINK("http://malo.example";"clic")', "@calle", "R-1"),
    ('Club "Los; Amigos"', "Pasaje 1; depto 2", None),
    ("Línea\nnueva", "", "-5"),
    ("tab\tdentro", None, "+56"),
    ("\rretorno al inicio", "ñandú ü 😀", "\tR"),
    ("-1+2 cmd|' /C calc'!A0", "  espacios  ", ""),
]


def parsed(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def python_csv(session) -> bytes:
    rows = ([row[f] for f in queries.PUBLIC_FIELDS] for row in queries.public_rows(session))
    return b"".join(csv_chunks(queries.PUBLIC_FIELDS, rows))


def make_nasty(session) -> None:
    moment = datetime(2026, 11, 30, 23, 59, 58, 987654, tzinfo=UTC)
    for name, address, number in NASTY:
        create_organisation(session, legal_name=name, address=address, registry_number=number, status_changed_at=moment)
    create_organisation(session, legal_name="Sin datos", members_count=None, board_term_start=None,
                        board_term_end=None, status="suspended")  # fmt: skip
    create_organisation(session, legal_name="Pendiente no publicada", status="pending")


def test_the_download_reads_back_as_the_python_writer_writes_it(client, session) -> None:
    make_nasty(session)
    expected = parsed(python_csv(session))
    served = parsed(client.get("/datos/organizaciones.csv").data)
    assert served == expected
    assert len(expected) == 1 + len(NASTY) + 1  # header, the rows, never the pending one
    names = [row[1] for row in expected[1:]]
    assert '\'=HYPERLINK("http://malo.example";"clic")' in names and "'\rretorno al inicio" in names
    assert "'-1+2 cmd|' /C calc'!A0" in names and "Línea\nnueva" in names
    assert expected[1][-1] == "2026-11-30T23:59:58Z"


def test_postgresql_writes_the_file_itself_and_says_the_same(session) -> None:
    make_nasty(session)
    copied = db.copy_out_csv(session, queries.public_csv_query())
    if LEG != "postgres":
        assert copied is None  # the embedded default writes it in Python
        return
    assert copied is not None
    from_database = b"".join([*csv_chunks(queries.PUBLIC_FIELDS, ()), *copied])
    assert parsed(from_database) == parsed(python_csv(session))
