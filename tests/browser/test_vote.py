"""A representative votes in Chromium: picks the organisation, answers, confirms, and sees the
receipt (issue #4)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.core import db
from participa.voting.models import Ballot
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.consultations import voting_consultation

pytestmark = [pytest.mark.browser]


def fits_the_width(page) -> bool:
    """Whether the page, as laid out now, is no wider than the window: nothing to scroll sideways."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_representative_votes_and_sees_the_receipt(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        consultation, _manager, people = voting_consultation(
            db.session(), organisations=2, title="Consulta del navegador"
        )
        consultation_id = consultation.id
        org, person = people[0]
        org_name, email = org.legal_name, person.email
        db.session.remove()

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/cuenta/ingresar")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(f"{app_server}/cuenta/")

    page.goto(f"{app_server}/consultas/{consultation_id}/votar")
    page.get_by_label("Organización por la que vota").select_option(label=org_name)
    page.get_by_label("Aprobar").check()
    assert fits_the_width(page), "the ballot scrolls sideways on a phone"
    page.get_by_role("button", name="Revisar mi voto").click()

    page.get_by_role("heading", name="Confirme su voto").wait_for()
    assert "Aprobar" in page.locator("table").inner_text()
    page.get_by_role("button", name="Confirmar y emitir el voto").click()

    page.get_by_role("heading", name="Su voto quedó registrado").wait_for()
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code), code
    assert page.locator("#receipt-code").is_visible()
    assert fits_the_width(page), "the receipt scrolls sideways on a phone"
    with app.app_context():
        stored = db.session.execute(sa.select(Ballot).where(Ballot.receipt_code == code)).scalar_one()
        assert stored.consultation_id == consultation_id
        db.session.remove()

    # Then the pages where the representative checks the vote: their own ballots (with the
    # choice), the public trackers list and its lookup (never the choice), how to verify.
    page.goto(f"{app_server}/mis-votos")
    assert "Aprobar" in page.locator("main").inner_text()
    page.goto(f"{app_server}/consultas/{consultation_id}/comprobantes")
    page.get_by_label("Código del comprobante").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Verificar").click()
    page.get_by_role("heading", name="Buscar un comprobante").wait_for()
    found = page.locator("main").inner_text()
    assert "Recibido" in found and "Aprobar" not in found
    page.goto(f"{app_server}/verificar")
    page.get_by_role("heading", name="Cómo verificar un resultado").wait_for()
