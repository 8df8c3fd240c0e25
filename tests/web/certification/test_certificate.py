"""A certified result (issue #12): what certifying changes (projects, commitment record, e-mails,
the result page), the certificate page and its PDF with the three hashes, the code and a QR code
that decodes to the verification URL, the public verification, and the database refusing, on
both databases, every direct change to what fed the result.

These tests commit for real: on PostgreSQL the sealer only takes finished transactions, and a
certificate names the sealed block that covers its consultation's last event. Each uses a comuna
no other test uses, so that its roll holds only its own organisations."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator

import pypdf
import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from PIL import Image

from participa.audit.models import AuditEvent
from participa.certification import operations as certification
from participa.certification.models import Certification, CommitmentEvidence
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db
from participa.mail.models import OutboxMessage
from participa.projects.models import Project
from tests.conftest import LEG
from tests.fixtures.accounts import csrf_token, login
from tests.fixtures.certification import Closed, certify, closed_consultation
from tests.web.support import fresh_client, text

pytestmark = [pytest.mark.commits]

# Comunas no other test uses, one per test that certifies.
COMUNAS = itertools.cycle([13301, 13302, 13401, 13402, 13403, 13404, 13501, 13503, 13504, 13601, 13602, 13603])


@pytest.fixture()
def real(app: Flask, uploads) -> Iterator[sa.orm.Session]:
    """The application's session, committing for real, in an application context of the test."""
    with app.app_context():
        yield db.session()
        db.session.rollback()
        db.session.remove()


@pytest.fixture()
def certified(real) -> tuple[Closed, Certification]:
    closed = closed_consultation(real, comuna_cut=next(COMUNAS), choices=("approve", "approve", "reject", "abstain"))
    certify(real, closed.id)
    found = certification.certificate_of(real, closed.id)
    assert found is not None
    return closed, found


def test_two_approvals_certify_the_result_and_its_consequences_follow(app, real, certified) -> None:
    closed, cert = certified
    real.expire_all()
    consultation = real.get(Consultation, closed.id)
    assert consultation.phase == Phase.PUBLISHED and consultation.certified_at is not None
    result = certification.current_result(real, closed.id)
    assert cert.result_sha256 == result.sha256 and cert.trackers_hash == result.trackers_hash
    assert cert.roll_hash == consultation.roll_hash
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", cert.code)
    # The block named covers the consultation's last event before the certifying approval.
    approvals = (
        real.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "certification.approved", AuditEvent.object_id == str(closed.id))
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert len(approvals) == 2
    from participa.audit import operations as audit

    assert audit.block_of_event(real, approvals[0].id).id == cert.audit_block_id
    # The project: approved by a binding verdict (2 approve, 1 reject, 1 abstain, equal weights).
    project = real.get(Project, closed.project.id)
    assert project.state == "approved"
    # The commitment record receives the result as evidence, with the certificate and the date.
    evidence = (
        real.execute(sa.select(CommitmentEvidence).where(CommitmentEvidence.certification_id == cert.id))
        .scalars()
        .all()
    )
    assert [(e.commitment_id, e.project_id, e.outcome, e.kind) for e in evidence] == [
        (1, project.id, "approved", "certified_result")
    ]
    assert evidence[0].recorded_at == cert.certified_at
    # Every representative on the roll is told, in their language, with the certificate's link.
    emails = {person.email for _org, person in closed.people}
    wait_for_mail = 20 if LEG == "postgres" else 0
    import time

    deadline = time.monotonic() + wait_for_mail
    while True:
        real.expire_all()
        sent = (
            real.execute(sa.select(OutboxMessage).where(OutboxMessage.message_key.like(f"certified-{closed.id}-%")))
            .scalars()
            .all()
        )
        if {m.recipient for m in sent} == emails or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {m.recipient for m in sent} == emails
    assert all(cert.code in m.body and f"/certificados/{cert.code}" in m.body for m in sent)
    # The public result says "Certificado" with the link.
    page = text(fresh_client(app).get(f"/consultas/{closed.id}/resultado"))
    assert "Certificado" in page and f"/certificados/{cert.code}" in page
    assert "Pendiente de certificación" not in page


def test_the_certificate_page_and_its_pdf_carry_the_hashes_the_code_and_a_qr_of_the_verification_url(
    app, real, certified
) -> None:
    closed, cert = certified
    browser = fresh_client(app)
    page = browser.get(f"/certificados/{cert.code}")
    assert page.status_code == 200
    html = text(page)
    for value in (cert.result_sha256, cert.roll_hash, cert.trackers_hash, cert.audit_block_hash, cert.code):
        assert value in html
    assert closed.consultation.title in html and closed.project.title in html
    # A code typed loosely leads to the printed one.
    loose = browser.get(f"/certificados/{cert.code.lower().replace('-', '')}")
    assert loose.status_code == 301 and loose.headers["Location"].endswith(f"/certificados/{cert.code}")

    response = browser.get(f"/certificados/{cert.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) == 1
    words = re.sub(r"\s+", "", pdf.pages[0].extract_text())
    for value in (cert.result_sha256, cert.roll_hash, cert.trackers_hash, cert.code):
        assert value in words, value
    images = list(pdf.pages[0].images)
    assert images, "the QR code is an image in the PDF"
    decoded = [found.text for image in images for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    verify_url = app.config["PUBLIC_URL"] + f"/verificar/{cert.code}"
    assert decoded == [verify_url]


def test_the_verification_page_recomputes_everything_and_says_it_matches(app, real, certified) -> None:
    _closed, cert = certified
    browser = fresh_client(app)
    page = text(browser.get(f"/verificar/{cert.code}"))
    assert "Todo coincide" in page
    assert page.count(">coincide<") == 5 and "no coincide" not in page
    # From the form on /verificar, a code typed with spaces and lower case.
    form = browser.get("/verificar/certificado", query_string={"codigo": cert.code.lower().replace("-", " ")})
    assert form.status_code == 302 and form.headers["Location"].endswith(f"/verificar/{cert.code}")


def test_an_unknown_or_malformed_code_is_told_so(app, real) -> None:
    browser = fresh_client(app)
    unknown = browser.get("/verificar/certificado", query_string={"codigo": "00000-00000"})
    assert unknown.status_code == 404 and "No hay un certificado con ese código" in text(unknown)
    empty = browser.get("/verificar/certificado", query_string={"codigo": ""})
    assert empty.status_code == 400 and "Escriba el código" in text(empty)
    assert browser.get("/verificar/no-es-un-codigo").status_code == 404
    assert browser.get("/certificados/00000-00000").status_code == 404
    assert browser.get("/certificados/00000-00000.pdf").status_code == 404


# --- nothing that fed the result can change ----------------------------------------------------


def refused_statements(consultation_id: int, certification_id: int) -> list[str]:
    c, cert = consultation_id, certification_id
    one_vote = f"(SELECT min(id) FROM votes WHERE consultation_id = {c})"
    return [
        f"UPDATE consultations SET quorum = 0.9 WHERE id = {c}",
        f"UPDATE consultations SET phase = 'counting' WHERE id = {c}",
        f"UPDATE consultations SET certified_at = NULL WHERE id = {c}",
        f"DELETE FROM consultations WHERE id = {c}",
        f"UPDATE consultation_questions SET position = 9 WHERE consultation_id = {c}",
        f"DELETE FROM consultation_questions WHERE consultation_id = {c}",
        f"INSERT INTO consultation_questions (consultation_id, project_id, position) "
        f"SELECT {c}, project_id, 2 FROM consultation_questions WHERE consultation_id = {c}",
        f"UPDATE roll_entries SET weight = weight * 2 WHERE consultation_id = {c}",
        f"DELETE FROM roll_entries WHERE consultation_id = {c}",
        f"UPDATE ballots SET verdict = 'not_admitted' WHERE consultation_id = {c}",
        f"UPDATE ballots SET tracker = replace(tracker, 'a', 'b') WHERE consultation_id = {c}",
        f"DELETE FROM ballots WHERE consultation_id = {c}",
        f"UPDATE votes SET choice = 'reject' WHERE consultation_id = {c}",
        f"UPDATE votes SET admitted = false WHERE consultation_id = {c}",
        f"DELETE FROM votes WHERE consultation_id = {c}",
        "INSERT INTO votes (ballot_id, consultation_id, organisation_id, question_id, choice, effective) "
        "SELECT ballot_id, consultation_id, organisation_id, question_id, 'reject', false FROM votes "
        f"WHERE id = {one_vote}",
        f"UPDATE vote_decisions SET admissible = false WHERE consultation_id = {c}",
        f"DELETE FROM vote_decisions WHERE consultation_id = {c}",
        "INSERT INTO vote_decisions (consultation_id, count_round, vote_id, admissible, reason, failed) "
        f"SELECT consultation_id, 9, vote_id, false, 'x', 'x' FROM vote_decisions WHERE vote_id = {one_vote}",
        f"UPDATE tally_results SET canonical_json = canonical_json || ' ' WHERE consultation_id = {c}",
        f"UPDATE tally_results SET sha256 = replace(sha256, 'a', 'b') WHERE consultation_id = {c}",
        f"DELETE FROM tally_results WHERE consultation_id = {c}",
        f"INSERT INTO tally_results (consultation_id, count_round, computed_at, canonical_json, sha256, trackers_hash) "
        f"SELECT consultation_id, 7, computed_at, canonical_json, sha256, trackers_hash FROM tally_results "
        f"WHERE consultation_id = {c}",
        f"UPDATE certifications SET result_sha256 = replace(result_sha256, 'a', 'b') WHERE id = {cert}",
        f"DELETE FROM certifications WHERE id = {cert}",
        "UPDATE certification_decisions SET decision = 'refuse', reason = 'cambiado después' "
        f"WHERE consultation_id = {c}",
        f"DELETE FROM certification_decisions WHERE consultation_id = {c}",
    ]


def test_every_direct_change_to_what_fed_a_certified_result_fails_in_the_database(
    app, real, certified, owner_engine
) -> None:
    """As the schema's owner, whom no privilege stops: only the triggers stand in the way."""
    closed, cert = certified
    real.commit()
    passed = []
    for statement in refused_statements(closed.id, cert.id):
        with owner_engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.exec_driver_sql(statement)
            except sa.exc.DBAPIError as error:
                assert "certified" in str(error.orig) or "append-only" in str(error.orig), (statement, error)
            else:
                passed.append(statement)
            finally:
                transaction.rollback()
    assert passed == []


def test_the_receipt_mail_mark_and_other_consultations_stay_writable(app, real, certified, owner_engine) -> None:
    """The triggers refuse only what fed a certified result."""
    closed, _cert = certified
    other = closed_consultation(real, comuna_cut=next(COMUNAS), choices=("approve",))
    with owner_engine.connect() as connection:
        transaction = connection.begin()
        try:
            marked = connection.exec_driver_sql(
                f"UPDATE ballots SET receipt_mailed_at = cast_at WHERE consultation_id = {closed.id}"
            ).rowcount
            changed = connection.exec_driver_sql(
                f"UPDATE roll_entries SET weight = weight WHERE consultation_id = {other.id}"
            ).rowcount
            assert marked > 0 and changed == 1
        finally:
            transaction.rollback()


def test_the_application_refuses_with_a_clear_message(app, real, certified) -> None:
    closed, _cert = certified
    browser = fresh_client(app)
    login(browser, real.get(type(closed.manager), closed.manager.id))
    token = csrf_token(browser, f"/gore/consultas/{closed.id}")
    recount = browser.post(f"/gore/consultas/{closed.id}/recontar", data={"csrf_token": token}, follow_redirects=True)
    assert "no está esperando certificación" in text(recount)
    advance = browser.post(f"/gore/consultas/{closed.id}/avanzar", data={"csrf_token": token}, follow_redirects=True)
    assert "Ese cambio de etapa no está permitido" in text(advance)
    # A change that reaches the database anyway is answered in plain words, not as a crash.
    refused = sa.exc.IntegrityError("UPDATE votes", {}, Exception("certified: UPDATE on votes refused"))
    with app.test_request_context("/"):
        body, status = app.handle_user_exception(refused)
    assert status == 409 and "La consulta está certificada" in body
    other = sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    with app.test_request_context("/"), pytest.raises(sa.exc.IntegrityError):
        app.handle_user_exception(other)
    real.expire_all()
    assert real.get(Consultation, closed.id).phase == Phase.PUBLISHED


# --- the verification says what no longer matches ----------------------------------------------


@pytest.fixture()
def tampering(app, owner_engine, certified) -> Iterator[tuple[sa.Connection, Certification]]:
    """A connection of the schema's owner, in a transaction rolled back afterwards, to which the
    application's session is bound: what the test changes there, the pages see, and nobody else."""
    _closed, cert = certified
    db.session.remove()
    with owner_engine.connect() as connection:
        transaction = connection.begin()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield connection, cert
        finally:
            db.session.remove()
            db.session.configure(bind=None)
            transaction.rollback()


def without_trigger(connection: sa.Connection, table: str) -> None:
    """Take the certified-result triggers off ``table`` for this transaction only."""
    if connection.dialect.name == "postgresql":
        names = connection.execute(
            sa.text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal "
                "AND (tgname LIKE '%certified%' OR tgname LIKE '%append_only%')"
            ),
            {"t": table},
        ).scalars()
        for name in list(names):
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        return
    names = connection.execute(
        sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}
    ).scalars()
    for name in list(names):
        connection.exec_driver_sql(f"DROP TRIGGER {name}")


TAMPERING = {
    "result": (
        "tally_results",
        "UPDATE tally_results SET canonical_json = replace(canonical_json, '\"counted\":', "
        "'\"counted\": ') WHERE consultation_id = {c}",
    ),
    "roll": (
        "roll_entries",
        "UPDATE roll_entries SET weight = weight + 1 WHERE consultation_id = {c} "
        "AND organisation_id = (SELECT min(organisation_id) FROM roll_entries WHERE consultation_id = {c})",
    ),
    "trackers": (
        "ballots",
        "UPDATE ballots SET verdict = 'not_admitted', refusal = 'not_on_roll' "
        "WHERE id = (SELECT min(id) FROM ballots WHERE consultation_id = {c})",
    ),
    "audit_block": (
        "audit_events",
        "UPDATE audit_events SET payload = '{{\"x\": 1}}' WHERE id = "
        "(SELECT min(event_id) FROM audit_seals WHERE block_id = {block})",
    ),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_the_verification_page_reports_a_mismatch_and_names_it(app, tampering, what) -> None:
    connection, cert = tampering
    table, statement = TAMPERING[what]
    without_trigger(connection, table)
    changed = connection.exec_driver_sql(statement.format(c=cert.consultation_id, block=cert.audit_block_id)).rowcount
    assert changed == 1
    page = text(fresh_client(app).get(f"/verificar/{cert.code}"))
    assert "No coincide" in page and "Todo coincide" not in page
    rows = re.findall(r'<tr class="check-(ok|bad)">\s*<th scope="row">([^<]+)</th>', page)
    bad = [label for status, label in rows if status == "bad"]
    result = "Huella del resultado (SHA-256 de resultado.json)"
    roll = "Huella del padrón, recalculada desde el padrón"
    trackers = "Huella de los comprobantes, recalculada desde la lista publicada"
    block = "Bloque del registro de auditoría, en la cadena sellada"
    expected = {
        "result": [result],
        "roll": [roll, trackers],  # the trackers list shows each ballot's weight, from the roll
        "trackers": [trackers],
        "audit_block": [block],
    }[what]
    assert bad == expected
    if what == "audit_block":
        assert "los eventos del bloque, su huella o su enlace con el anterior no coinciden" in page


def test_the_certified_result_arrives_in_the_linked_commitments_record_by_itself(real, certified) -> None:
    """Issue #14: a certified result of a linked project is evidence no one types, and its arrival
    is a version of the commitment's record (the huella of the ficha changes with it)."""
    import json

    from participa.commitments import operations as commitments

    closed, cert = certified
    linked = [c.id for c in closed.project.commitments]
    assert linked
    for commitment_id in linked:
        versions = commitments.versions_of(real, commitment_id)
        arrival = next(v for v in versions if cert.code in v.reason)
        assert arrival.actor_id is None and "evidence" in arrival.changes
        record = json.loads(arrival.record_json)
        assert {"project": closed.project.id, "certificate": cert.code} in [
            {"project": e["project"], "certificate": e["certificate"]} for e in record["evidence"]
        ]
