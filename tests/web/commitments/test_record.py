"""The commitment record (issue #14): versions with reasons and fingerprints, compliance now and at
a past date, certified results arriving as evidence by themselves, edits only by programme staff,
bulk updates from a CSV, the ficha, its PDF's QR code and the fingerprint's verification."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from fractions import Fraction

import pypdf
import pytest
import sqlalchemy as sa
import zxingcpp
from flask import current_app
from PIL import Image

from participa.audit.models import AuditEvent
from participa.commitments import bulk, operations, rules
from participa.commitments.models import Commitment, CommitmentVersion
from participa.core import db
from participa.core.db import utcnow
from tests.fixtures.accounts import create_user, csrf_token
from tests.web.support import text


@pytest.fixture()
def staff(session):
    return create_user(session, roles=["programme_staff"], name="Patricia Programa")


def first(session, axis: str = "INSEGURIDAD", number: int = 1) -> Commitment:
    return session.execute(
        sa.select(Commitment).where(Commitment.axis == axis, Commitment.number == number)
    ).scalar_one()


def update(session, staff, commitment, reason="Avance informado por la división", now=None, **change):
    version = operations.update_commitment(
        session, actor=staff, commitment=commitment, change=change, reason=reason, now=now or utcnow()
    )
    session.commit()
    return version


def test_every_commitment_starts_with_a_first_version_and_its_fingerprint(session) -> None:
    commitments = operations.list_commitments(session)
    assert len(commitments) == 80
    assert {c.version for c in commitments} == {1}
    one = commitments[0]
    stored = session.execute(sa.select(CommitmentVersion).where(CommitmentVersion.commitment_id == one.id)).scalar_one()
    assert stored.sha256 == one.fingerprint == rules.fingerprint(json.loads(stored.record_json))
    assert stored.reason == operations.FIRST_REASON


def test_an_edit_is_a_new_version_with_what_changed_why_and_who_and_is_audited(session, staff) -> None:
    commitment = first(session)
    before = commitment.fingerprint
    version = update(session, staff, commitment, status="in_progress", division="División de Seguridad Pública")
    assert (version.version, commitment.version) == (2, 2)
    assert version.changes == {
        "division": ["", "División de Seguridad Pública"],
        "status": ["not_started", "in_progress"],
    }
    assert version.actor_id == staff.id and commitment.fingerprint == version.sha256 != before
    event = (
        session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "commitments.version").order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event.payload["sha256"] == version.sha256 and event.payload["fields"] == ["division", "status"]


@pytest.mark.parametrize(
    ("change", "reason", "code"),
    [
        ({"status": "done"}, "x", "bad_status"),
        ({"status": "in_progress"}, "  ", "reason_required"),
        ({"status": "not_started"}, "x", "nothing_changed"),
        ({"approved_investment_clp": -1}, "x", "bad_number"),
        ({"beneficiaries": True}, "x", "bad_number"),
        ({"comunas": [99999]}, "x", "unknown_comuna"),
        ({"title": "Otro título"}, "x", "unknown_field"),
    ],
)
def test_a_bad_edit_changes_nothing_and_says_why(session, staff, change, reason, code) -> None:
    commitment = first(session)
    with pytest.raises(operations.CommitmentError) as caught:
        operations.update_commitment(
            session, actor=staff, commitment=commitment, change=change, reason=reason, now=utcnow()
        )
    session.rollback()
    assert caught.value.code == code
    assert first(session).version == 1


def test_an_edit_without_the_role_is_refused_in_the_operation_and_on_the_page(session, sign_in) -> None:
    manager = create_user(session, roles=["manager"])
    commitment = first(session)
    with pytest.raises(operations.CommitmentError) as caught:
        operations.update_commitment(
            session, actor=manager, commitment=commitment, change={"status": "fulfilled"}, reason="x", now=utcnow()
        )
    assert caught.value.code == "forbidden"
    session.rollback()
    browser = sign_in(manager)
    path = f"/gore/compromisos/{commitment.id}/editar"
    assert browser.get(path).status_code == 403
    token = csrf_token(browser, "/cuenta/")
    assert browser.post(path, data={"csrf_token": token, "status": "fulfilled", "reason": "x"}).status_code == 403
    db.session.expire_all()
    assert first(session).status == "not_started"


def test_compliance_counts_fulfilled_over_the_base_and_deprioritising_moves_the_base(session, staff) -> None:
    commitments = operations.list_commitments(session)
    update(session, staff, commitments[0], status="fulfilled")
    update(session, staff, commitments[1], status="fulfilled")
    standing = operations.standing_now(operations.list_commitments(session))
    assert standing.overall.fraction == Fraction(2, 80)
    update(session, staff, commitments[2], status="deprioritised")
    standing = operations.standing_now(operations.list_commitments(session))
    assert (standing.overall.fraction, standing.overall.base) == (Fraction(2, 79), 79)
    assert standing.by_axis["INSEGURIDAD"].fraction == Fraction(2, 19)


def test_compliance_at_a_past_date_uses_the_versions_of_that_date(session, staff) -> None:
    commitment = first(session)
    now = utcnow()
    update(session, staff, commitment, status="in_progress", now=now + timedelta(days=1))
    update(session, staff, commitment, status="fulfilled", comunas=[13128], now=now + timedelta(days=10))
    facts = operations.version_facts(session)
    commitments = operations.list_commitments(session)
    assert operations.standing_at(commitments, facts, now + timedelta(days=5)).overall.fulfilled == 0
    later = operations.standing_at(commitments, facts, now + timedelta(days=11))
    assert later.overall.fulfilled == 1 and later.by_comuna[13128].fraction == Fraction(1, 1)
    assert operations.standing_at(commitments, facts, now - timedelta(days=365)).overall.total == 0


def test_a_bulk_update_reports_row_by_row_and_a_bad_row_refuses_the_whole_file(session, staff) -> None:
    good = (
        "eje;numero;estado;motivo\nINSEGURIDAD;1;cumplido;Programa en marcha\nINSEGURIDAD;2;no iniciado;Sin cambios\n"
    )
    bad = good + "INSEGURIDAD;99;cumplido;No existe\nDESIGUALDAD;1;terminado;Estado inventado\n"
    applied, report = bulk.bulk_update(session, actor=staff, data=bad.encode(), now=utcnow())
    session.rollback()
    assert not applied
    assert [(r.line, r.outcome, r.code) for r in report] == [
        (2, "updated", None),
        (3, "unchanged", None),
        (4, "error", "unknown_commitment"),
        (5, "error", "bad_status"),
    ]
    assert first(session).status == "not_started"  # nothing applied
    applied, report = bulk.bulk_update(session, actor=staff, data=good.encode("cp1252"), now=utcnow())
    session.commit()
    assert applied and first(session).status == "fulfilled" and first(session).version == 2
    assert operations.versions_of(session, first(session).id)[0].reason == "Programa en marcha"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not_csv"),
        (b"eje;motivo\nINSEGURIDAD;x\n", "missing_columns"),
        (b"eje;numero;motivo\n", "empty"),
    ],
)
def test_a_file_that_is_not_a_usable_csv_is_refused_whole(session, staff, data, code) -> None:
    with pytest.raises(bulk.BulkFileError) as caught:
        bulk.bulk_update(session, actor=staff, data=data, now=utcnow())
    assert caught.value.code == code


def test_the_bulk_page_shows_the_report(session, staff, sign_in) -> None:
    browser = sign_in(staff)
    token = csrf_token(browser, "/gore/compromisos")
    data = {
        "csrf_token": token,
        "file": (io.BytesIO(b"eje;numero;estado;motivo\nINSEGURIDAD;99;cumplido;x\n"), "c.csv"),
    }
    response = browser.post("/gore/compromisos/carga", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = text(response)
    assert "No se aplicó ningún cambio" in page and "No hay un compromiso con ese eje y número" in page


def test_a_printed_ficha_verifies_as_an_earlier_version_after_an_update(session, staff, client) -> None:
    commitment = first(session)
    printed = commitment.fingerprint
    assert "Es la versión vigente" in text(client.get(f"/compromisos/verificar/{printed}"))
    update(session, staff, commitment, status="in_progress", reason="Licitación publicada")
    answer = client.get(f"/compromisos/verificar/{printed}")
    page = text(answer)
    assert answer.status_code == 200 and "Es una versión anterior" in page and "Licitación publicada" in page
    altered = printed[:-1] + ("0" if printed[-1] != "0" else "1")
    unknown = client.get(f"/compromisos/verificar/{altered}")
    assert unknown.status_code == 404 and "No corresponde a ninguna versión" in text(unknown)
    typed = client.get(
        "/compromisos/verificar", query_string={"huella": " ".join([printed[:32], printed[32:]]).upper()}
    )
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/compromisos/verificar/{printed}")


def test_the_fichas_pdf_is_one_sheet_whose_qr_code_is_the_verification_address(session, client, uploads) -> None:
    commitment = first(session)
    response = client.get(f"/compromisos/{commitment.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(document.pages) == 1
    assert commitment.fingerprint in "".join(document.pages[0].extract_text().split())
    image = next(iter(document.pages[0].images))
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    base = current_app.config["PUBLIC_URL"]
    assert [d.text for d in decoded] == [f"{base}/compromisos/verificar/{commitment.fingerprint}"]


def test_the_dashboard_filters_and_links_every_number(session, staff, client) -> None:
    update(session, staff, first(session), status="fulfilled", comunas=[13128])
    page = text(client.get("/compromisos"))
    assert "Compromisos del programa de gobierno 2025-2029" in page
    assert "1 de 80" not in page and "80 de 80 compromisos" in page
    assert "88" in page and "134" in page  # the previous programme beside this one
    assert "/compromisos?estado=fulfilled" in page and 'href="/compromisos?eje=INSEGURIDAD#lista"' in page
    filtered = text(client.get("/compromisos", query_string={"estado": "fulfilled", "comuna": "13128"}))
    assert "1 de 80 compromisos" in filtered and "Programa integral de víctimas" in filtered
    odd = client.get("/compromisos", query_string={"estado": "nope", "comuna": "x", "fecha": "ayer"})
    assert odd.status_code == 200 and "80 de 80 compromisos" in text(odd)


def test_the_downloads_are_formula_safe_csv_and_json(session, staff, client) -> None:
    update(session, staff, first(session), description='=HYPERLINK("http://x")', status="fulfilled")
    csv_text = client.get("/datos/compromisos.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and csv_text.startswith("\ufeff")
    data = client.get("/datos/cumplimiento.json").get_json()
    overall = next(item for item in data["items"] if item["level"] == "overall" and item["programme"] == "2025-2029")
    assert overall["fraction"] == "1/80"
    previous = next(item for item in data["items"] if item["programme"] == "2021-2024")
    assert (previous["fraction"], previous["percent"]) == ("134/152", 88)
    versions = client.get("/datos/compromisos-versiones.json").get_json()["items"]
    assert len(versions) == 81


def test_the_dashboard_reads_the_record_in_a_few_queries_whatever_its_history(app, session, staff, client) -> None:
    commitments = operations.list_commitments(session)
    for step in range(3):
        for commitment in commitments[:20]:
            update(session, staff, commitment, beneficiaries=100 + step, reason=f"Avance {step}")
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/compromisos").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 0 < len(selects) <= 10, selects


def test_a_document_is_kept_as_evidence_only_when_its_content_is_a_pdf_or_an_image(
    session, staff, sign_in, client
) -> None:
    commitment = first(session)
    browser = sign_in(staff)
    path = f"/gore/compromisos/{commitment.id}/documentos"
    token = csrf_token(browser, f"/gore/compromisos/{commitment.id}/editar")
    disguised = {
        "csrf_token": token,
        "title": "Acta",
        "file": (io.BytesIO(b"<html><script>x</script></html>"), "acta.pdf"),
    }
    refused = browser.post(path, data=disguised, content_type="multipart/form-data")
    assert refused.status_code == 400 and "se revisa su contenido" in text(refused)
    db.session.expire_all()
    assert first(session).version == 1
    pdf_bytes = b"%PDF-1.4\n% acta\n%%EOF\n"
    good = {"csrf_token": token, "title": "Acta de inicio", "file": (io.BytesIO(pdf_bytes), "acta.pdf")}
    assert browser.post(path, data=good, content_type="multipart/form-data").status_code == 302
    db.session.expire_all()
    commitment = first(session)
    assert commitment.version == 2 and [d.title for d in commitment.documents] == ["Acta de inicio"]
    record = json.loads(operations.versions_of(session, commitment.id)[0].record_json)
    assert record["documents"][0]["sha256"] == commitment.documents[0].sha256
    download = client.get(f"/compromisos/{commitment.id}/documentos/{commitment.documents[0].id}")
    assert download.status_code == 200 and download.data == pdf_bytes
    assert client.get(f"/compromisos/{commitment.id + 1}/documentos/{commitment.documents[0].id}").status_code == 404
