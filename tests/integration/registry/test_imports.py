"""Registry imports with real files: encodings, delimiters, bad rows, refused structures,
idempotence and resumption (issue #3)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.audit.models import AuditEvent
from participa.core import storage
from participa.core.rut import check_digit
from participa.registry import operations
from participa.registry.models import ImportBatch, ImportRow, Organisation
from participa.registry.rules import StructureError
from participa.registry.tasks import import_batch
from tests.fixtures.accounts import create_user
from tests.fixtures.registry import HEADER, csv_bytes, row, rut, wrong_check_digit


@pytest.fixture()
def curator(session: Session):
    return create_user(session, roles=["curator"])


def run_import(session: Session, curator, data: bytes, *, filename: str = "catastro.csv") -> ImportBatch:
    batch = operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename=filename)
    session.commit()
    import_batch.run(batch.id)
    session.refresh(batch)
    return batch


def outcomes(session: Session, batch: ImportBatch) -> dict[int, tuple[str, str | None]]:
    rows = session.execute(
        sa.select(ImportRow.row_number, ImportRow.outcome, ImportRow.reason).where(ImportRow.batch_id == batch.id)
    ).all()
    return {r.row_number: (r.outcome, r.reason) for r in rows}


def org(session: Session, rut_text: str) -> Organisation | None:
    return session.execute(sa.select(Organisation).where(Organisation.rut == rut_text)).scalar_one_or_none()


def uploads() -> set[str]:
    return {p.name for p in storage.upload_dir(operations.IMPORT_KIND).iterdir()}


def test_windows_1252_with_semicolons_keeps_accents(session: Session, curator) -> None:
    first = rut()
    data = csv_bytes(
        [row(first, name="Junta de Vecinos Peñalolén Alto", comuna="Peñalolén", address="Avenida Grecia 8.000, Ñuñoa")],
        encoding="cp1252",
    )
    assert "ñ".encode("cp1252") in data and b"\xc3" not in data
    batch = run_import(session, curator, data)
    assert (batch.encoding, batch.delimiter, batch.status) == ("cp1252", ";", "done")
    created = org(session, first)
    assert created is not None
    assert created.legal_name == "Junta de Vecinos Peñalolén Alto"
    assert created.comuna.name == "Peñalolén"
    assert created.status == "pending"
    assert created.source_batch_id == batch.id and created.source_row == 2


def test_utf8_with_bom_and_commas(session: Session, curator) -> None:
    first = rut()
    batch = run_import(session, curator, csv_bytes([row(first, comuna="Ñuñoa")], delimiter=",", bom=True))
    assert (batch.encoding, batch.delimiter, batch.accepted) == ("utf-8", ",", 1)
    assert org(session, first).comuna_cut == 13120


def test_latin1_semicolons_and_bom_together(session: Session, curator) -> None:
    # A BOM on a file otherwise written in Latin-1 is what some exporters produce; the BOM says
    # UTF-8, the bytes are not: the file is read as Windows-1252 after the BOM.
    first = rut()
    data = b"\xef\xbb\xbf" + csv_bytes([row(first, name="Club Deportivo Ñandú")], encoding="latin-1")
    batch = operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="x.csv")
    session.commit()
    import_batch.run(batch.id)
    session.refresh(batch)
    assert batch.status == "done"
    assert org(session, first).legal_name == "Club Deportivo Ñandú"


def test_ruts_are_normalised_from_dots_spaces_and_lowercase_k(session: Session, curator) -> None:
    # 6-K: check digit K. A number whose check digit is K with dots and lowercase k.
    number_k = next(n for n in range(65_100_000, 65_200_000) if check_digit(n) == "K")
    spelled = f" {number_k:,}".replace(",", ".") + "-k "
    plain = rut()
    spaced = plain.replace("-", " - ")
    batch = run_import(session, curator, csv_bytes([row(spelled), row(spaced)]))
    assert batch.accepted == 2, outcomes(session, batch)
    assert org(session, f"{number_k}-K") is not None
    assert org(session, plain) is not None


def test_wrong_check_digit_is_rejected_with_its_reason(session: Session, curator) -> None:
    good = rut()
    batch = run_import(session, curator, csv_bytes([row(good), row(wrong_check_digit(65_555_555))]))
    assert outcomes(session, batch) == {2: ("accepted", None), 3: ("rejected", "invalid_rut")}
    assert org(session, wrong_check_digit(65_555_555)) is None


def test_unknown_comuna_is_rejected(session: Session, curator) -> None:
    batch = run_import(session, curator, csv_bytes([row(comuna="Gotham"), row(comuna="13128"), row(comuna="renca")]))
    assert outcomes(session, batch) == {2: ("rejected", "unknown_comuna"), 3: ("accepted", None), 4: ("accepted", None)}


def test_missing_fields_bad_dates_types_and_numbers_are_rejected_with_reasons(session: Session, curator) -> None:
    rows = [
        row(name=""),
        row(org_type="Partido político"),
        row(start="31-02-2024"),
        row(start="01-01-2026", end="01-01-2025"),
        row(members="muchos"),
        row(""),
    ]
    batch = run_import(session, curator, csv_bytes(rows))
    assert outcomes(session, batch) == {
        2: ("rejected", "missing_field"),
        3: ("rejected", "unknown_type"),
        4: ("rejected", "bad_date"),
        5: ("rejected", "bad_date"),
        6: ("rejected", "bad_number"),
        7: ("rejected", "missing_field"),
    }
    assert batch.rejected == 6 and batch.accepted == 0


def test_a_rut_repeated_in_the_file_is_applied_from_none_of_its_rows(session: Session, curator) -> None:
    twice, other = rut(), rut()
    batch = run_import(session, curator, csv_bytes([row(twice), row(other), row(twice, name="Otra")]))
    assert outcomes(session, batch)[2] == ("rejected", "duplicate_in_file")
    assert outcomes(session, batch)[4] == ("rejected", "duplicate_in_file")
    assert outcomes(session, batch)[3][0] == "accepted"
    assert session.execute(sa.select(Organisation).where(Organisation.rut == twice)).first() is None
    details = dict(
        session.execute(sa.select(ImportRow.row_number, ImportRow.detail).where(ImportRow.batch_id == batch.id)).all()
    )
    assert (details[2], details[4]) == ("4", "2")  # each names the other


def test_a_repeated_rut_does_not_rename_an_organisation_of_the_registry(session: Session, curator) -> None:
    existing = rut()
    run_import(session, curator, csv_bytes([row(existing, name="Junta de Vecinos Original")]))
    batch = run_import(session, curator, csv_bytes([row(existing, name="Nombre A"), row(existing, name="Nombre B")]))
    assert batch.updated == 0 and batch.rejected == 2
    assert org(session, existing).legal_name == "Junta de Vecinos Original"


def test_duplicates_are_caught_across_chunks(session: Session, curator) -> None:
    twice = rut()
    data = csv_bytes([row(twice), row(rut()), row(rut()), row(twice)])
    batch = operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="x.csv")
    session.commit()
    while not operations.process_next_chunk(session, batch.id, max_rows=2).finished:
        session.commit()
    session.commit()
    assert outcomes(session, batch)[2] == ("rejected", "duplicate_in_file")
    assert outcomes(session, batch)[5] == ("rejected", "duplicate_in_file")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n  \r\n", "empty"),
        (csv_bytes([row()], header=["Código", "Nombre", "Tipo", "Sector", *HEADER[4:]]), "missing_columns"),
        (b"RUT;Nombre;Tipo;Comuna\r\n", "no_rows"),
        (b"just one column\nand another line\n", "no_delimiter"),
        (csv_bytes([row()]) + b'65000001-1;"unclosed;Junta;Renca\r\n', "malformed"),
    ],
    ids=["empty", "bom-and-blank-lines", "wrong-headers", "header-only", "not-csv", "unclosed-quote"],
)
def test_a_file_with_the_wrong_structure_is_refused_and_leaves_nothing(
    session: Session, curator, data: bytes, code: str
) -> None:
    before_files = uploads()
    before_batches = session.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar_one()
    before_orgs = session.execute(sa.select(sa.func.count()).select_from(Organisation)).scalar_one()
    with pytest.raises(StructureError) as refused:
        operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="malo.csv")
    session.rollback()
    assert refused.value.code == code
    assert uploads() == before_files
    assert session.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar_one() == before_batches
    assert session.execute(sa.select(sa.func.count()).select_from(Organisation)).scalar_one() == before_orgs


def test_missing_columns_are_named(session: Session, curator) -> None:
    data = b"RUT;Nombre;Direccion\r\n65000001-1;X;Y\r\n"
    with pytest.raises(StructureError) as refused:
        operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="x.csv")
    assert refused.value.detail == "org_type, comuna"


def test_importing_the_same_file_twice_changes_nothing(session: Session, curator) -> None:
    data = csv_bytes([row(rut()) for _ in range(5)] + [row(wrong_check_digit(65_777_777))])
    first = run_import(session, curator, data)
    snapshot = {o.rut: (o.legal_name, o.updated_at) for o in session.execute(sa.select(Organisation)).scalars()}
    second = run_import(session, curator, data)
    assert (first.accepted, first.rejected) == (5, 1)
    assert (second.accepted, second.updated, second.unchanged, second.rejected) == (0, 0, 5, 1)
    after = {o.rut: (o.legal_name, o.updated_at) for o in session.execute(sa.select(Organisation)).scalars()}
    assert after == snapshot


def test_a_newer_file_updates_what_changed_and_records_the_change(session: Session, curator) -> None:
    kept, changed = rut(), rut()
    run_import(session, curator, csv_bytes([row(kept), row(changed, members="120")]))
    newer = run_import(session, curator, csv_bytes([row(kept), row(changed, members="150", address="")]))
    assert (newer.updated, newer.unchanged) == (1, 1)
    record = session.execute(
        sa.select(ImportRow).where(ImportRow.batch_id == newer.id, ImportRow.outcome == "updated")
    ).scalar_one()
    assert record.detail == {"members_count": [120, 150]}
    updated = org(session, changed)
    assert updated.members_count == 150
    assert updated.address == "Pasaje Los Aromos 123", "an empty cell must not erase a known value"
    assert updated.source_batch_id == newer.id


def test_an_interrupted_import_resumes_to_the_same_final_state(session: Session, curator) -> None:
    """What a re-delivered task after a killed worker does: chunks already committed stay, the
    rest is processed once, and the result equals an uninterrupted import."""
    ruts = [rut() for _ in range(9)]
    data = csv_bytes([row(r) for r in ruts] + [row(ruts[0])])
    batch = operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="x.csv")
    session.commit()
    operations.process_next_chunk(session, batch.id, max_rows=4)
    session.commit()
    # The worker dies while processing the second chunk: its transaction is lost.
    operations.process_next_chunk(session, batch.id, max_rows=4)
    session.rollback()
    # Re-delivered, then even delivered twice.
    import_batch.run(batch.id)
    import_batch.run(batch.id)
    session.refresh(batch)
    # The RUT the file repeats is applied from neither row; the eight others once each.
    assert (batch.status, batch.accepted, batch.rejected, batch.rows_processed) == ("done", 8, 2, 10)
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(ImportRow).where(ImportRow.batch_id == batch.id)
        ).scalar_one()
        == 10
    )
    assert all(org(session, r) is not None for r in ruts[1:]) and org(session, ruts[0]) is None


def test_import_is_audited_when_uploaded_and_when_finished(session: Session, curator) -> None:
    batch = run_import(session, curator, csv_bytes([row()]))
    actions = (
        session.execute(
            sa.select(AuditEvent.action).where(
                AuditEvent.object_type == "import_batch", AuditEvent.object_id == str(batch.id)
            )
        )
        .scalars()
        .all()
    )
    assert sorted(actions) == ["registry.import_finished", "registry.import_uploaded"]


def test_only_curators_may_import(session: Session) -> None:
    manager = create_user(session, roles=["manager"])
    with pytest.raises(operations.RegistryError):
        operations.start_import(session, actor=manager, stream=io.BytesIO(csv_bytes([row()])), filename="x.csv")


def test_a_20_megabyte_file_imports_completely(session: Session, curator, tmp_path: Path) -> None:
    rows = []
    size = 0
    count = 0
    while size < 20 * 1024 * 1024:
        line = row(
            rut(70_000_000 + count),
            name=f"Organización Comunitaria Funcional Número {count} de la Región",
            org_type="Organización Comunitaria Funcional",
            comuna="Puente Alto",
            address=f"Avenida Concha y Toro {count}, Villa Los Andes del Sur, sector poniente",
        )
        rows.append(line)
        size += sum(len(c) for c in line) + 10
        count += 1
    data = csv_bytes(rows, encoding="cp1252")
    assert len(data) >= 20 * 1024 * 1024
    batch = run_import(session, curator, data)
    assert batch.status == "done"
    assert batch.rows_processed == batch.total_rows == count
    assert batch.accepted + batch.unchanged + batch.updated == count
