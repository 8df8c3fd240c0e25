"""Who may open the registry import page, and what it explains to curators."""

from __future__ import annotations

import io

import pytest

from participa.accounts.rules import Role
from participa.registry.models import ImportBatch
from participa.registry.rules import COLUMN_ALIASES
from tests.fixtures.accounts import csrf_token
from tests.fixtures.registry import csv_bytes, row
from tests.web.registry.helpers import MY_ORGS, files_in
from tests.web.support import fresh_client, location_path, text

IMPORTS = "/catastro/importaciones"


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param([], id="no-role"),
        pytest.param([Role.REPRESENTATIVE], id="representative"),
        pytest.param([Role.MANAGER], id="manager"),
        pytest.param([Role.MUNICIPAL_STAFF], id="municipal-staff"),
        pytest.param([Role.ADMIN], id="admin"),
    ],
)
def test_a_non_curator_gets_403_on_the_import_page(roles, make_user, sign_in):
    browser = sign_in(make_user(roles=roles, comuna_cut=13128 if Role.MUNICIPAL_STAFF in roles else None))
    response = browser.get(IMPORTS)
    assert response.status_code == 403
    assert "Columnas que se reconocen" not in text(response)


@pytest.mark.parametrize("roles", [[], [Role.REPRESENTATIVE], [Role.MANAGER]], ids=["no-role", "rep", "manager"])
def test_a_non_curator_cannot_upload_a_registry_file(roles, session, make_user, sign_in, uploads):
    browser = sign_in(make_user(roles=roles))
    token = csrf_token(browser, MY_ORGS)
    response = browser.post(
        IMPORTS,
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes([row()])), "n.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert session.query(ImportBatch).count() == 0
    assert files_in(uploads / "registry") == set()


def test_an_anonymous_visitor_is_sent_to_login(app, session):
    response = fresh_client(app).get(IMPORTS)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"


def test_a_curator_sees_the_upload_form_and_the_accepted_column_names(curator_client):
    response = curator_client.get(IMPORTS)
    assert response.status_code == 200
    page = text(response)
    assert "Importar al catastro" in page
    assert 'enctype="multipart/form-data"' in page
    assert "Columnas que se reconocen" in page
    for aliases in COLUMN_ALIASES.values():
        assert ", ".join(aliases) in page
    for example in (
        "rut organizacion",
        "nombre de la organizacion",
        "tipo de organizacion",
        "fecha termino directorio",
        "n socios",
    ):
        assert example in page
    assert page.count("(obligatoria)") == 4
    assert "Aún no hay importaciones." in page


@pytest.mark.parametrize(
    ("data", "shown", "hidden"),
    [
        # A spreadsheet (or any binary file) saved with a .csv name.
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00binary", "No es un archivo CSV", "Faltan columnas"),
        # Columns named as people call them, never the internal field names.
        (
            b"RUT;Nombre;Direccion\r\n65000001-1;X;Y\r\n",
            "Faltan columnas obligatorias: Tipo, Comuna",
            "org_type",
        ),
    ],
    ids=["binary", "missing-columns"],
)
def test_a_refused_file_is_explained_in_plain_words(curator_client, session, data, shown, hidden):
    before = session.query(ImportBatch).count()
    token = csrf_token(curator_client, IMPORTS)
    response = curator_client.post(
        IMPORTS,
        data={"csrf_token": token, "file": (io.BytesIO(data), "catastro.csv")},
        content_type="multipart/form-data",
    )
    page = text(response)
    assert response.status_code == 400 and shown in page and hidden not in page
    assert session.query(ImportBatch).count() == before
