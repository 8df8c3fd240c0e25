"""Two certifiers certify a result in Chromium; a visitor opens the certificate, prints it to PDF
on one sheet (A4 and Letter), scans its QR code from the screen and lands on a verification
that says everything matches (issue #12)."""

from __future__ import annotations

import io

import pyotp
import pypdf
import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from participa.core import db
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.certification import closed_consultation, make_certifier, wait_until_sealed

pytestmark = [pytest.mark.browser]

# A comuna no other test uses: the roll holds this test's organisations alone.
PENAFLOR = 13605


def sign_in(page, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/cuenta/ingresar")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url(f"{base}/cuenta/")


def sign_out(page) -> None:
    menu = page.get_by_role("button", name="Menú")
    if menu.is_visible():  # a phone: the navigation is behind its button
        menu.click()
    page.get_by_role("button", name="Salir").click()


def test_two_certifiers_certify_and_a_visitor_verifies_the_printed_certificate(
    app: Flask, app_server: str, page, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", app_server)  # the QR code points at this server
    with app.app_context():
        closed = closed_consultation(db.session(), comuna_cut=PENAFLOR, choices=("approve", "reject", "approve"))
        consultation_id, title = closed.id, closed.consultation.title
        first, second = make_certifier(db.session()), make_certifier(db.session())
        people = [(first.email, first.totp_secret), (second.email, second.totp_secret)]
        db.session.remove()

    page.set_viewport_size({"width": 360, "height": 740})  # the certifiers' journey on a phone (issue #16)
    for number, (email, secret) in enumerate(people):
        sign_in(page, app_server, email, secret)
        page.get_by_role("button", name="Menú").click()
        page.get_by_role("link", name="Certificación").click()
        # The list may hold other consultations of the same title (earlier tests): this one by its address.
        page.locator(f'a[href="/gore/certificacion/{consultation_id}"]', has_text=title).click()
        page.get_by_role("heading", name="Veredictos").wait_for()
        page.get_by_label(
            "Revisé los veredictos, la admisibilidad, las alertas y las huellas de este resultado."
        ).check()
        page.get_by_role("button", name="Aprobar y firmar").click()
        if number == 0:
            page.get_by_text("Falta la firma de otra persona certificadora").wait_for()
            sign_out(page)
            with app.app_context():  # the sealer's turn, as a certifier waits a few seconds
                wait_until_sealed(db.session(), consultation_id)
                db.session.remove()
    page.get_by_role("heading", name="Certificado de resultado").wait_for()
    code = page.locator("#certificate-code").inner_text()
    sign_out(page)

    # A visitor, nobody signed in.
    page.goto(f"{app_server}/consultas/{consultation_id}/resultado")
    page.get_by_role("link", name=f"Certificado {code}").click()
    page.get_by_role("heading", name="Certificado de resultado").wait_for()
    for paper in ("A4", "Letter"):
        printed = page.pdf(format=paper, print_background=True)
        pdf = pypdf.PdfReader(io.BytesIO(printed))
        assert len(pdf.pages) == 1, f"{paper}: {len(pdf.pages)} pages"
        assert code in pdf.pages[0].extract_text()

    # The QR code, read from the screen as a phone would.
    shot = page.locator(".certificate-qr img").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [f.text for f in found] == [f"{app_server}/verificar/{code}"]
    page.goto(found[0].text)
    page.get_by_role("heading", name=f"Verificación del certificado {code}").wait_for()
    verdict = page.locator("#verdict").inner_text()
    assert "Todo coincide" in verdict
    assert page.locator("table.checks tbody tr").count() == 5
    assert page.locator("table.checks").inner_text().count("no coincide") == 0
