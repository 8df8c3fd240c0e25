"""Data requests on a phone (issue #15): a person asks for a dataset (the form's error first), and
open-data staff answer with a link; axe-core checks every page on the way."""

from __future__ import annotations

import pytest

from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser]


def test_a_request_is_filed_and_answered_at_360_px(app, app_server: str, page) -> None:
    from participa.core import db
    from tests.browser.test_vote import fits_the_width
    from tests.fixtures.accounts import create_user

    with app.app_context():
        person = create_user(db.session())
        manager = create_user(db.session(), roles=["manager"])
        accounts = (person.email, None), (manager.email, manager.totp_secret)
        db.session.remove()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/datos")
    page.get_by_role("link", name="Ver y hacer solicitudes de datos").click()
    page.get_by_role("link", name="Ingrese para pedir datos o apoyar una solicitud").wait_for()
    sign_in(page, app_server, *accounts[0], "/datos/solicitudes")
    page.get_by_label("¿Qué datos necesita?").fill("Asistencia")
    page.get_by_label("¿Para qué los usaría?").fill("corto")
    page.get_by_role("button", name="Enviar solicitud de datos").click()
    page.get_by_role("heading", name="Revise lo siguiente").wait_for()
    page.get_by_label("¿Qué datos necesita?").fill("Asistencia a las sesiones presenciales por comuna")
    page.get_by_label("¿Para qué los usaría?").fill("Para saber dónde participa menos gente y por qué.")
    page.get_by_role("button", name="Enviar solicitud de datos").click()
    page.get_by_text("Solicitud publicada.").wait_for()
    assert fits_the_width(page), "the request scrolls sideways on a phone"
    address = page.url.removeprefix(app_server)

    page.context.clear_cookies()  # the person leaves; open-data staff sign in on the same phone
    sign_in(page, app_server, *accounts[1], address)
    page.get_by_label("Respuesta", exact=True).select_option("published")
    page.get_by_label("Explicación").fill("Publicado en el catálogo, junto al acta de cada sesión.")
    page.get_by_label("Enlace a los datos publicados").fill("/datos/consultas.csv")
    page.get_by_role("button", name="Guardar respuesta").click()
    page.get_by_role("heading", name="Respuesta: Publicada").wait_for()
    assert page.get_by_role("link", name="Ver los datos publicados").get_attribute("href") == "/datos/consultas.csv"
