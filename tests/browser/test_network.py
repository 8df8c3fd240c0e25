"""The network on a phone (issue #17): a liaison of Renca shares a practice (with a document
attached), a reviewer publishes it, a liaison of Maipú marks it replicated, and Renca's
open-government page shows it; axe-core checks every page at 360 and 1280 px."""

from __future__ import annotations

import pytest
from flask import Flask

from participa.core import db
from tests.browser.test_staff_pages import sign_in
from tests.browser.test_vote import fits_the_width
from tests.fixtures.accounts import create_user
from tests.fixtures.network import MAIPU, RENCA, member

pytestmark = [pytest.mark.browser]


def test_a_practice_travels_from_renca_to_maipu_at_360_px(app: Flask, app_server: str, page) -> None:
    with app.app_context():
        session = db.session()
        staff = create_user(session, roles=["network_staff"])
        _renca, renca_liaison = member(session, staff, RENCA)
        _maipu, maipu_liaison = member(session, staff, MAIPU)
        accounts = {
            "renca": (renca_liaison.email, None),
            "staff": (staff.email, staff.totp_secret),
            "maipu": (maipu_liaison.email, None),
        }
        db.session.remove()
    page.set_viewport_size({"width": 360, "height": 740})

    sign_in(page, app_server, *accounts["renca"], "/red/practicas/nueva")
    page.get_by_label("Título").fill("Cabildos digitales de presupuesto")
    page.get_by_label("Pilar").select_option("participation")
    page.get_by_label("Resumen en lenguaje claro").fill("Vecinos y vecinas priorizan en línea las obras del año.")
    page.get_by_label("Resultados").fill("Tres mil personas votaron y se hicieron once obras de barrio.")
    page.get_by_label("Cómo replicarla").fill("Un equipo de tres personas y una ordenanza municipal simple.")
    page.get_by_role("button", name="Enviar a revisión").click()
    page.get_by_text("En revisión: aún no es pública.").wait_for()
    practice_path = page.url.removeprefix(app_server)
    assert fits_the_width(page), "the practice scrolls sideways on a phone"
    page.get_by_label("Adjuntar un documento").set_input_files(
        {"name": "resultados.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% resultados\n%%EOF\n"}
    )
    page.get_by_role("button", name="Adjuntar", exact=True).click()
    page.get_by_text("Documento adjuntado.").wait_for()
    assert page.get_by_role("link", name="resultados.pdf").is_visible()
    page.context.clear_cookies()

    sign_in(page, app_server, *accounts["staff"], practice_path)
    page.get_by_label("Decisión").select_option("publish")
    page.get_by_role("button", name="Guardar revisión").click()
    page.get_by_text("Revisión guardada.").wait_for()
    page.context.clear_cookies()

    sign_in(page, app_server, *accounts["maipu"], practice_path)
    page.get_by_label("Cómo la replicaron").fill("La adaptamos a las juntas de vecinos de Maipú.")
    page.get_by_role("button", name="La replicamos").click()
    page.get_by_role("heading", name="La replicó 1 miembro").wait_for()
    assert page.get_by_role("link", name="resultados.pdf").is_visible(), "public with the published practice"
    page.context.clear_cookies()

    page.goto(f"{app_server}/comunas/{RENCA}")
    page.get_by_role("heading", name="Gobierno abierto en Renca").wait_for()
    shared = page.get_by_role("link", name="Cabildos digitales de presupuesto")
    assert shared.is_visible()
    assert page.get_by_text("replicada 1 vez").is_visible()
    assert fits_the_width(page), "the comuna page scrolls sideways on a phone"
