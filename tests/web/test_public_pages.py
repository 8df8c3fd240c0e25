"""Help, accessibility statement and privacy notice (issue #16): linked from every page, in
clear Spanish and in English, naming the contact address the configuration gives."""

from __future__ import annotations

import pytest

from participa.accounts.rules import PASSWORD_MIN_LENGTH
from tests.web.support import text

PAGES = {
    "/ayuda": ("Ayuda", "Representar a una organización", "Help"),
    "/accesibilidad": ("Declaración de accesibilidad", "WCAG", "Accessibility statement"),
    "/privacidad": ("Aviso de privacidad", "Se borran a los 90 días", "Privacy notice"),
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_reads_in_spanish_and_english_and_names_the_contact(app, client, monkeypatch, path) -> None:
    monkeypatch.setitem(app.config, "CONTACT_EMAIL", "consultas@participa.example")
    title, phrase, english = PAGES[path]
    page = text(client.get(path))
    assert title in page and phrase in page
    assert "consultas@participa.example" in page
    english_page = text(client.get(path, headers={"Accept-Language": "en"}))
    assert english in english_page


def test_every_page_links_to_them(client) -> None:
    page = client.get("/").get_data(as_text=True)
    for path in PAGES:
        assert f'href="{path}"' in page


def test_the_help_states_the_real_password_length(client) -> None:
    assert f"al menos {PASSWORD_MIN_LENGTH} caracteres" in text(client.get("/ayuda"))
