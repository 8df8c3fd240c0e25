"""Each role's main journey on a phone, 360 px wide (issue #16), axe-core checking every page at
360 and 1280 px on the way. The representative's vote (test_vote.py), the certifiers'
(test_certification.py), the facilitator's tablet (test_tablet.py), the programme staff's
record and the manager's phase confirmation (test_staff_pages.py) have their own; here the
citizen, the municipal staff, the curator and the administrator."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask

from participa.core import db
from tests.browser.test_staff_pages import sign_in
from tests.browser.test_vote import fits_the_width
from tests.fixtures.accounts import create_user
from tests.fixtures.certification import closed_consultation
from tests.fixtures.registry import create_organisation

pytestmark = [pytest.mark.browser]
PHONE = {"width": 360, "height": 740}
# A 1x1 grey PNG.
TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f0005000201a5f3c2a00000000049454e44ae426082"
)


def test_a_citizen_finds_a_consultation_reads_its_result_and_its_record(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        closed = closed_consultation(db.session(), choices=("approve", "approve", "reject"), title="Plaza de Renca")
        title = closed.consultation.title
        db.session.remove()
    page.set_viewport_size(PHONE)
    page.goto(f"{app_server}/")
    page.get_by_role("button", name="Menú").click()
    page.get_by_role("link", name="Consultas", exact=True).click()
    page.get_by_label("Buscar").fill("renca")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name="Etapas").wait_for()
    assert page.locator('[aria-current="step"]').inner_text().startswith("Certificación")
    page.get_by_role("link", name="Resultado").click()
    page.get_by_role("heading", name="Resultado", level=1).wait_for()
    assert title in page.content()
    assert fits_the_width(page), "the result scrolls sideways on a phone"
    page.get_by_role("link", name="Padrón").first.click()
    assert fits_the_width(page), "the roll scrolls sideways on a phone"


def test_municipal_staff_write_and_submit_a_project(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        staff = create_user(db.session(), roles=["municipal_staff"], comuna_cut=13128)
        account = (staff.email, staff.totp_secret)
        db.session.remove()
    page.set_viewport_size(PHONE)
    sign_in(page, app_server, *account, "/comuna/proyectos/nuevo")
    page.get_by_label("Título").fill("Luminarias solares en la Villa Esperanza")
    page.get_by_label("Resumen en lenguaje claro").fill("Cuarenta luminarias solares en los pasajes de la villa.")
    page.get_by_label("Descripción").fill("Instalación de 40 luminarias solares con mantención por tres años.")
    page.get_by_label("Monto solicitado (pesos)").fill("180.000.000")
    page.get_by_label("Eje del programa").select_option(index=1)
    commitments = page.get_by_role("group", name="Compromisos del programa vinculados")
    commitments.get_by_role("checkbox").first.check()
    page.get_by_label("Evaluación técnica (RATE)").select_option("RS")
    page.get_by_label("Fecha de la evaluación técnica").fill((date.today() - timedelta(days=30)).isoformat())
    page.get_by_label("Código BIP").fill("40012345-6")
    page.get_by_label("Dirección o lugar").fill("Plaza Villa Esperanza")
    page.get_by_label("Latitud (opcional)").fill("-33.4051")
    page.get_by_label("Longitud (opcional)").fill("-70.7273")
    # The tile server is not reached from the tests: every tile is the same small picture.
    page.route("https://tile.openstreetmap.org/**", lambda route: route.fulfill(content_type="image/png", body=TILE))
    page.get_by_role("button", name="Guardar borrador").click()
    page.get_by_role("heading", name="Luminarias solares en la Villa Esperanza").wait_for()
    page.locator("#project-map.leaflet-container").wait_for()
    marker = page.locator("#project-map .leaflet-marker-icon")
    assert marker.get_attribute("alt") == "Ubicación del proyecto: Plaza Villa Esperanza"
    assert page.get_by_role("link", name="Ver en OpenStreetMap").is_visible()
    assert fits_the_width(page), "the project scrolls sideways on a phone"
    page.get_by_role("button", name="Enviar a revisión de admisibilidad").click()
    # Checked in the request on the embedded default, by a worker on PostgreSQL: either state.
    state = page.locator("dl.facts dd").filter(
        has_text=re.compile("^(Admisible|Enviado: en revisión de admisibilidad)$")
    )
    state.wait_for()


def test_the_curator_verifies_an_organisation(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        curator = create_user(db.session(), roles=["curator"])
        org = create_organisation(db.session(), legal_name="Club Deportivo Cerro Navia Unido", status="pending")
        account, org_id = (curator.email, curator.totp_secret), org.id
        db.session.remove()
    page.set_viewport_size(PHONE)
    sign_in(page, app_server, *account, "/catastro/organizaciones")
    page.get_by_label("Nombre o RUT").fill("Cerro Navia Unido")
    page.get_by_role("button", name="Filtrar").click()
    page.get_by_role("link", name="Club Deportivo Cerro Navia Unido").click()
    page.wait_for_url(f"{app_server}/catastro/organizaciones/{org_id}")
    page.get_by_label("Acción").select_option("verify")
    page.get_by_label("Motivo").fill("Certificado de vigencia revisado.")
    page.get_by_role("button", name="Aplicar").click()
    page.get_by_text("Verificada").first.wait_for()
    assert fits_the_width(page), "the organisation scrolls sideways on a phone"


def test_the_administrator_gives_a_role(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        admin = create_user(db.session(), roles=["admin"])
        person = create_user(db.session(), name="Marta Facilitadora")
        account, person_id = (admin.email, admin.totp_secret), person.id
        db.session.remove()
    page.set_viewport_size(PHONE)
    sign_in(page, app_server, *account, "/admin/usuarios")
    page.get_by_label("Buscar por nombre o correo").fill("Marta")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("link", name="Marta Facilitadora").click()
    page.wait_for_url(f"{app_server}/admin/usuarios/{person_id}")
    page.get_by_label("Rol", exact=True).select_option("facilitator")
    page.get_by_role("button", name="Asignar rol").click()
    page.get_by_text("Facilitador/a de sesiones presenciales").first.wait_for()
    assert fits_the_width(page), "the user page scrolls sideways on a phone"
