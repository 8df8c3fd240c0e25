"""The public directory and its open data: verified, suspended and dissolved organisations are
public, pending ones are not, and representatives are never shown."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from participa.core import db
from participa.core.rut import check_digit
from participa.registry.models import Organisation
from participa.registry.queries import PUBLIC_FIELDS
from tests.fixtures.registry import create_organisation, rut
from tests.web.registry.helpers import make_representation
from tests.web.support import text

REP_NAME = "Hermenegilda Quilapán Soto"
REP_EMAIL = "hermenegilda.quilapan@ejemplo.cl"


@pytest.fixture()
def orgs(session) -> dict[str, dict[str, object]]:
    """Organisations in each status, as plain values (the open data views detach ORM objects)."""
    made = {
        "verified": create_organisation(
            session,
            legal_name="Junta de Vecinos El Roble",
            status="verified",
            address="Calle El Roble 456",
            members_count=132,
            registry_number="RE-7781",
            board_term_start=date(2024, 3, 1),
            board_term_end=date(2027, 2, 28),
        ),
        "suspended": create_organisation(
            session,
            legal_name="Club Adulto Mayor Los Años Dorados",
            status="suspended",
            status_reason="Directorio sin acreditar",
        ),
        "dissolved": create_organisation(session, legal_name="Centro Cultural La Chimba", status="dissolved"),
        "pending": create_organisation(session, legal_name="Comité Pendiente de Verificación", status="pending"),
    }
    return {key: {"id": o.id, "rut": o.rut, "legal_name": o.legal_name} for key, o in made.items()}


@pytest.fixture()
def representative(session, make_user, orgs):
    """A person with an approved representation of the verified organisation."""
    person = make_user(name=REP_NAME, email=REP_EMAIL, roles=["representative"])
    org = db.session.get(Organisation, orgs["verified"]["id"])
    make_representation(session, person, org, status="approved")
    return person


def public_names(orgs, *keys: str) -> list[str]:
    return [str(orgs[k]["legal_name"]) for k in keys]


def test_the_list_shows_verified_suspended_and_dissolved_but_never_pending(client, orgs):
    response = client.get("/organizaciones")
    assert response.status_code == 200
    page = text(response)
    for name in public_names(orgs, "verified", "suspended", "dissolved"):
        assert name in page
    assert "Comité Pendiente de Verificación" not in page
    assert str(orgs["pending"]["rut"]) not in page
    assert "3 organizaciones" in page


def test_a_search_does_not_reveal_a_pending_organisation(client, orgs):
    by_name = text(client.get("/organizaciones", query_string={"q": "Comité Pendiente"}))
    assert "Comité Pendiente de Verificación" not in by_name
    by_rut = text(client.get("/organizaciones", query_string={"q": str(orgs["pending"]["rut"])}))
    assert "Comité Pendiente de Verificación" not in by_rut
    assert "Ninguna organización coincide con la búsqueda." in by_rut


def test_the_public_search_finds_by_name_and_rut(client, orgs):
    page = text(client.get("/organizaciones", query_string={"q": "el roble"}))
    assert "Junta de Vecinos El Roble" in page
    assert "La Chimba" not in page
    number = int(str(orgs["dissolved"]["rut"]).split("-")[0])
    page = text(client.get("/organizaciones", query_string={"q": rut(number, dots=True)}))
    assert "Centro Cultural La Chimba" in page
    assert "El Roble" not in page


def test_the_organisation_page_shows_its_public_fields(client, orgs):
    response = client.get(f"/organizaciones/{orgs['verified']['rut']}")
    assert response.status_code == 200
    page = text(response)
    for value in (
        "Junta de Vecinos El Roble",
        str(orgs["verified"]["rut"]),
        "Calle El Roble 456",
        "132",
        "RE-7781",
        "Renca",
        "Junta de vecinos",
        "Verificada",
    ):
        assert value in page


@pytest.mark.parametrize("status", ["suspended", "dissolved"])
def test_suspended_and_dissolved_organisations_have_a_public_page_with_their_status(status, client, orgs):
    response = client.get(f"/organizaciones/{orgs[status]['rut']}")
    assert response.status_code == 200
    assert {"suspended": "Suspendida", "dissolved": "Disuelta"}[status] in text(response)


def test_a_pending_organisation_has_no_public_page(client, orgs):
    response = client.get(f"/organizaciones/{orgs['pending']['rut']}")
    assert response.status_code == 404
    assert "Comité Pendiente de Verificación" not in text(response)


def test_an_unknown_rut_has_no_public_page(client, orgs):
    assert client.get(f"/organizaciones/{rut(78_000_001)}").status_code == 404


def test_the_public_pages_never_show_representatives(client, orgs, representative):
    pages = [client.get("/organizaciones"), client.get(f"/organizaciones/{orgs['verified']['rut']}")]
    for response in pages:
        assert response.status_code == 200
        page = text(response)
        assert REP_NAME not in page and "Hermenegilda" not in page
        assert REP_EMAIL not in page and "quilapan" not in page.lower()
    # Searching for the person finds nothing (the search box echoes the words typed).
    search = text(client.get("/organizaciones", query_string={"q": "Hermenegilda"}))
    assert "Ninguna organización coincide con la búsqueda." in search
    assert REP_NAME not in search and REP_EMAIL not in search


def test_the_open_data_never_contains_representatives(client, orgs, representative):
    for path in ("/datos/organizaciones.csv", "/datos/organizaciones.json"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "Junta de Vecinos El Roble" in body
        assert "Hermenegilda" not in body and "Quilap" not in body
        assert REP_EMAIL not in body and "@" not in body


def test_the_csv_has_a_header_and_one_line_per_public_organisation(client, orgs):
    response = client.get("/datos/organizaciones.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data(as_text=True)
    assert data.startswith("\ufeff"), "UTF-8 with a byte-order mark, for spreadsheets"
    rows = list(csv.reader(io.StringIO(data[1:], newline=""), delimiter=";"))
    assert rows[0] == list(PUBLIC_FIELDS)
    assert len(rows) == 1 + 3
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {r["rut"] for r in records} == {str(orgs[k]["rut"]) for k in ("verified", "suspended", "dissolved")}
    roble = next(r for r in records if r["rut"] == orgs["verified"]["rut"])
    assert roble["legal_name"] == "Junta de Vecinos El Roble"
    assert roble["comuna"] == "Renca"
    assert roble["members_count"] == "132"
    assert roble["board_term_end"] == "2027-02-28"
    assert roble["status"] == "verified"
    assert "Comité Pendiente de Verificación" not in response.get_data(as_text=True)


def test_the_json_lists_public_organisations_and_excludes_pending(client, orgs):
    response = client.get("/datos/organizaciones.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert isinstance(data["organisations"], list)
    ruts = {o["rut"] for o in data["organisations"]}
    assert ruts == {orgs[k]["rut"] for k in ("verified", "suspended", "dissolved")}
    assert orgs["pending"]["rut"] not in ruts
    roble = next(o for o in data["organisations"] if o["rut"] == orgs["verified"]["rut"])
    assert roble["legal_name"] == "Junta de Vecinos El Roble"
    assert roble["members_count"] == 132
    assert roble["board_term_start"] == "2024-03-01"
    assert set(roble) == set(PUBLIC_FIELDS)


def test_the_json_is_valid_when_no_organisation_is_public(client, session):
    create_organisation(session, status="pending")
    data = json.loads(client.get("/datos/organizaciones.json").get_data(as_text=True))
    assert data["organisations"] == []


def test_the_status_reason_is_not_published(client, orgs):
    page = text(client.get(f"/organizaciones/{orgs['suspended']['rut']}"))
    assert "Directorio sin acreditar" not in page


def test_the_organisation_page_accepts_a_lowercase_k(client, session):
    number = next(n for n in range(76_100_000, 76_100_100) if check_digit(n) == "K")
    create_organisation(session, rut=rut(number), legal_name="Fundación Kintun", status="verified")
    response = client.get(f"/organizaciones/{number}-k")
    assert response.status_code == 200
    assert "Fundación Kintun" in text(response)
