"""The pages this session's issues added or changed, checked by axe-core in Chromium at 360 px
(issues #13, #14, #15, #16): a manager's session planning, phase confirmation and admissibility
report, the public list of sessions, the programme
staff's record pages, the ballot with an unanswered question, the API's documentation."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask

from participa.core import db
from tests.fixtures.accounts import PASSWORD, create_user
from tests.fixtures.facilitation import in_person_consultation

pytestmark = [pytest.mark.browser]


def sign_in(page, base: str, email: str, secret: str | None, then: str) -> None:
    page.goto(f"{base}/cuenta/ingresar?next={then}")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    if secret:
        page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verificar").click()
    page.wait_for_url(f"{base}{then}")


def test_staff_and_ballot_pages_of_this_work_are_accessible_on_a_phone(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        session = db.session()
        consultation, manager, _facilitator, _row, people = in_person_consultation(session, organisations=1)
        staff = create_user(session, roles=["programme_staff"])
        ids = (consultation.id, manager.email, manager.totp_secret, staff.email, staff.totp_secret)
        representative = people[0][1].email
        db.session.remove()
    consultation_id, manager_email, manager_secret, staff_email, staff_secret = ids
    page.set_viewport_size({"width": 360, "height": 740})

    sign_in(page, app_server, manager_email, manager_secret, f"/gore/consultas/{consultation_id}/sesiones")
    page.get_by_role("heading", name="Sesiones presenciales").wait_for()
    page.goto(f"{app_server}/gore/consultas/{consultation_id}/avanzar")
    page.get_by_role("heading", name="¿Pasar a la etapa «Conteo» ahora?").wait_for()
    page.goto(f"{app_server}/gore/consultas/{consultation_id}/admisibilidad")
    page.get_by_role("heading", name="Admisibilidad de votos").wait_for()
    page.goto(f"{app_server}/consultas/{consultation_id}/sesiones")
    page.get_by_role("heading", name="Sesiones presenciales").wait_for()
    page.get_by_role("button", name="Menú").click()
    page.get_by_role("button", name="Salir").click()

    sign_in(page, app_server, staff_email, staff_secret, "/gore/compromisos")
    page.get_by_role("heading", name="Registro de compromisos").wait_for()
    page.get_by_role("link", name="Inseguridad 1: Programa integral de víctimas").click()
    page.get_by_label("Motivo del cambio").fill("")
    page.get_by_role("button", name="Guardar una nueva versión").click()
    page.get_by_text("Revise lo siguiente").wait_for()
    page.get_by_role("button", name="Menú").click()
    page.get_by_role("button", name="Salir").click()

    sign_in(page, app_server, representative, None, "/cuenta/")
    page.goto(f"{app_server}/consultas/{consultation_id}/votar")
    page.get_by_role("button", name="Revisar mi voto").click()
    page.get_by_text("No se registró el voto").wait_for()

    page.goto(f"{app_server}/api/v1/")
    page.get_by_role("heading", name="API de datos abiertos").wait_for()
