"""The site's navigation on a phone collapses behind "Menú" and opens on demand; on a wide screen
it is always there (issue #16: at 360 px it took a third of the screen)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


def header_share(page) -> float:
    return page.evaluate("() => document.querySelector('.site-header').offsetHeight / window.innerHeight")


def test_on_a_phone_the_menu_collapses_and_opens(app_server: str, page) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/")
    menu = page.get_by_role("button", name="Menú")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Consultas", exact=True).is_visible()
    assert header_share(page) < 0.25, "the header still takes a quarter of the screen"
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Consultas", exact=True).is_visible()


def test_on_a_wide_screen_the_links_are_always_shown(app_server: str, page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_server}/")
    assert not page.get_by_role("button", name="Menú").is_visible()
    assert page.get_by_role("link", name="Consultas", exact=True).is_visible()


def test_the_directory_shows_every_column_on_a_phone(app, app_server: str, page) -> None:
    from participa.core import db
    from tests.browser.test_vote import fits_the_width
    from tests.fixtures.registry import create_organisation

    with app.app_context():
        create_organisation(db.session(), legal_name="Junta de Vecinos Cerro Navia Alto", comuna_cut=13103)
        db.session.remove()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/organizaciones?q=Cerro+Navia+Alto")
    cells = page.evaluate(
        """() => [...document.querySelectorAll('table.stacked tbody tr:first-child td')].map((td) => {
             const box = td.getBoundingClientRect();
             return {text: td.innerText, label: getComputedStyle(td, '::before').content,
                     inside: box.width > 0 && box.left >= 0 && box.right <= window.innerWidth};
           })"""
    )
    assert [c["label"] for c in cells] == ['"Nombre: "', '"RUT: "', '"Tipo: "', '"Comuna: "', '"Estado: "']
    assert all(c["inside"] for c in cells), cells
    assert cells[3]["text"] == "Cerro Navia"
    assert fits_the_width(page), "the directory scrolls sideways on a phone"


def test_the_open_data_catalogue_reads_on_a_phone(app_server: str, page) -> None:
    from tests.browser.test_vote import fits_the_width

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/datos")
    page.get_by_role("heading", name="Datos abiertos", exact=True).wait_for()
    organisations = page.get_by_role("region", name="Organizaciones del catastro")
    organisations.locator("summary").click()
    assert organisations.get_by_role("cell", name="rut", exact=True).is_visible()
    assert fits_the_width(page), "the catalogue scrolls sideways on a phone"


def test_a_long_list_of_choices_is_checkboxes_with_a_filter(app, app_server: str, page) -> None:
    """The new-consultation form: comunas are checkboxes (no Ctrl-click) that a filter narrows."""
    import pyotp

    from participa.core import db
    from tests.fixtures.accounts import PASSWORD, create_user

    with app.app_context():
        manager = create_user(db.session(), roles=["manager"])
        email, secret = manager.email, manager.totp_secret
        db.session.remove()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{app_server}/cuenta/ingresar?next=/gore/consultas/nueva")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url(f"{app_server}/gore/consultas/nueva")
    comunas = page.get_by_role("group", name="Comunas cuyas organizaciones votan")
    assert comunas.get_by_role("checkbox").count() == 52
    comunas.get_by_label("Filtrar la lista").fill("renca")
    visible = [c for c in comunas.get_by_role("checkbox").all() if c.is_visible()]
    assert len(visible) == 1
    comunas.get_by_label("Renca").check()
    comunas.get_by_label("Filtrar la lista").fill("")
    assert comunas.get_by_label("Renca").is_checked()


@pytest.mark.parametrize("width", [360, 1280])
def test_help_accessibility_and_privacy_read_at_every_width(app_server: str, page, width: int) -> None:
    from tests.browser.test_vote import fits_the_width

    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{app_server}/")
    for name, heading in (
        ("Ayuda", "Ayuda"),
        ("Accesibilidad", "Declaración de accesibilidad"),
        ("Privacidad", "Aviso de privacidad"),
    ):
        page.get_by_role("contentinfo").get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=heading, level=1).wait_for()
        assert fits_the_width(page), f"{heading} scrolls sideways at {width} px"
