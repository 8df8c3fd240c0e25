"""The commitments dashboard and a ficha in Chromium at 360 and 1280 px (issue #14): every page
state checked by axe-core, nothing scrolls sideways, and the dashboard's numbers lead to the
commitments behind them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.commitments import operations
from participa.commitments.models import Commitment
from participa.core import db
from participa.core.db import utcnow
from tests.browser.test_vote import fits_the_width
from tests.fixtures.accounts import create_user

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_dashboard_and_a_ficha_are_accessible_and_fit(app: Flask, app_server: str, page, width: int) -> None:
    with app.app_context():
        session = db.session()
        staff = create_user(session, roles=["programme_staff"])
        commitment = session.execute(sa.select(Commitment).order_by(Commitment.id).limit(1)).scalar_one()
        if commitment.status != "fulfilled":
            operations.update_commitment(
                session,
                actor=staff,
                commitment=commitment,
                change={"status": "fulfilled", "comunas": [13128], "approved_investment_clp": 1_250_000_000},
                reason="Programa en funcionamiento",
                now=utcnow(),
            )
            session.commit()
        title = commitment.title
        db.session.remove()

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{app_server}/compromisos")
    page.get_by_role("heading", name="Compromisos del programa de gobierno 2025-2029").wait_for()
    assert fits_the_width(page), "the dashboard scrolls sideways"
    page.get_by_role("link", name="Cumplido", exact=False).first.click()
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).wait_for()
    assert "$1.250.000.000" in page.locator("main").inner_text()
    assert fits_the_width(page), "the ficha scrolls sideways"
    page.goto(f"{app_server}/compromisos/verificar")
    page.get_by_label("Huella digital (SHA-256)").fill("no es una huella")
    page.get_by_role("button", name="Verificar").click()
    page.get_by_text("No corresponde a ninguna versión").wait_for()
