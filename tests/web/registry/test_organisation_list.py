"""The curators' list GET /catastro/organizaciones: filters by comuna, type, status, board term
ending within N days, and search by name or RUT in any usual spelling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participa.accounts.rules import Role
from participa.core.db import utcnow
from participa.core.rut import check_digit
from tests.fixtures.registry import create_organisation, rut
from tests.web.support import fresh_client, location_path, text

LIST = "/catastro/organizaciones"
RENCA, SANTIAGO = 13128, 13101
VENCE_MESSAGE = "Escriba un número de días entre 0 y 3650."


def listed(response) -> str:
    """The table body of the list page (the filter form also names comunas and types)."""
    page = text(response)
    start = page.index("<tbody>")
    return page[start : page.index("</tbody>", start)]


@pytest.fixture()
def orgs(session):
    return {
        "renca": create_organisation(
            session,
            legal_name="Junta de Vecinos Renca Norte",
            comuna_cut=RENCA,
            org_type="junta_vecinos",
            status="verified",
        ),
        "santiago": create_organisation(
            session, legal_name="Fundación Barrio Yungay", comuna_cut=SANTIAGO, org_type="fundacion", status="pending"
        ),
        "club": create_organisation(
            session,
            legal_name="Club Deportivo Estrella de Renca",
            comuna_cut=RENCA,
            org_type="funcional",
            status="suspended",
        ),
    }


def test_without_filters_every_organisation_is_listed(curator_client, orgs):
    response = curator_client.get(LIST)
    assert response.status_code == 200
    body = listed(response)
    for org in orgs.values():
        assert org.legal_name in body
    assert "3 organizaciones" in text(response)


def test_filter_by_comuna(curator_client, orgs):
    response = curator_client.get(LIST, query_string={"comuna": str(SANTIAGO)})
    assert response.status_code == 200
    body = listed(response)
    assert "Fundación Barrio Yungay" in body
    assert "Renca Norte" not in body and "Estrella de Renca" not in body
    assert "1 organización" in text(response)


def test_filter_by_type(curator_client, orgs):
    response = curator_client.get(LIST, query_string={"tipo": "funcional"})
    assert response.status_code == 200
    body = listed(response)
    assert "Club Deportivo Estrella de Renca" in body
    assert "Renca Norte" not in body and "Yungay" not in body


def test_filter_by_status(curator_client, orgs):
    response = curator_client.get(LIST, query_string={"estado": "pending"})
    assert response.status_code == 200
    body = listed(response)
    assert "Fundación Barrio Yungay" in body
    assert "Renca Norte" not in body and "Estrella de Renca" not in body


def test_filters_combine(curator_client, orgs):
    response = curator_client.get(LIST, query_string={"comuna": str(RENCA), "estado": "verified"})
    body = listed(response)
    assert "Junta de Vecinos Renca Norte" in body
    assert "Estrella de Renca" not in body and "Yungay" not in body


def test_vence_lists_only_boards_ending_within_the_days_given(session, curator_client):
    today = utcnow().date()
    create_organisation(session, legal_name="Directorio Por Vencer", board_term_end=today + timedelta(days=10))
    create_organisation(session, legal_name="Directorio Largo", board_term_end=today + timedelta(days=400))
    create_organisation(session, legal_name="Directorio Ya Vencido", board_term_end=today - timedelta(days=5))
    create_organisation(session, legal_name="Directorio Sin Fecha", board_term_end=None)

    response = curator_client.get(LIST, query_string={"vence": "30"})
    assert response.status_code == 200
    body = listed(response)
    assert "Directorio Por Vencer" in body
    assert "Directorio Largo" not in body
    assert "Directorio Ya Vencido" not in body
    assert "Directorio Sin Fecha" not in body

    wide = listed(curator_client.get(LIST, query_string={"vence": "500"}))
    assert "Directorio Por Vencer" in wide and "Directorio Largo" in wide


@pytest.mark.parametrize("vence", ["-5", "abc", "3651", "1.5"])
def test_an_invalid_vence_is_refused_with_400_and_a_message(vence, curator_client, orgs):
    response = curator_client.get(LIST, query_string={"vence": vence})
    assert response.status_code == 400
    assert VENCE_MESSAGE in text(response)
    assert "Junta de Vecinos Renca Norte" not in listed(response)


@pytest.mark.parametrize("params", [{"comuna": "99999"}, {"comuna": "Renca"}, {"tipo": "club"}, {"estado": "borrada"}])
def test_an_unknown_comuna_type_or_status_is_refused_with_400(params, curator_client, orgs):
    response = curator_client.get(LIST, query_string=params)
    assert response.status_code == 400
    assert "Opción inválida." in text(response)
    assert "Junta de Vecinos Renca Norte" not in listed(response)


@pytest.mark.parametrize("query", ["renca norte", "RENCA NORTE", "Vecinos Renca", "enca nor"])
def test_search_by_name_is_a_case_insensitive_substring(query, curator_client, orgs):
    response = curator_client.get(LIST, query_string={"q": query})
    assert response.status_code == 200
    body = listed(response)
    assert "Junta de Vecinos Renca Norte" in body
    assert "Yungay" not in body and "Estrella" not in body


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda n: rut(n, dots=True), id="dots-and-dash"),
        pytest.param(lambda n: rut(n), id="dash-only"),
        pytest.param(lambda n: rut(n).replace("-", ""), id="no-dots-no-dash"),
        pytest.param(lambda n: str(n), id="number-only"),
        pytest.param(lambda n: f"{n:,}".replace(",", "."), id="number-with-dots"),
        pytest.param(lambda n: " " + rut(n, dots=True).lower() + " ", id="padded-lowercase"),
    ],
)
def test_search_by_rut_in_any_usual_spelling(spelling, session, curator_client, orgs):
    # Far from the factories' counter (65,000,001 upwards), which tests that commit leave behind.
    number = 79_000_123
    target = create_organisation(session, rut=rut(number), legal_name="Asociación Indígena Wechekeche")
    assert target.rut == f"79000123-{check_digit(number)}"
    response = curator_client.get(LIST, query_string={"q": spelling(number)})
    assert response.status_code == 200
    body = listed(response)
    assert "Asociación Indígena Wechekeche" in body
    assert "Renca Norte" not in body


# The first number from 79000100 whose first 7 digits plus its last digit also form a valid RUT:
# searching it bare must find it, not only the shorter RUT it also spells.
AMBIGUOUS = next(n for n in range(79_000_100, 79_001_000) if check_digit(n // 10) == str(n % 10))


@pytest.mark.parametrize(
    "spelling", [lambda n: str(n), lambda n: f"{n:,}".replace(",", ".")], ids=["number-only", "number-with-dots"]
)
def test_search_by_rut_number_finds_it_even_when_it_also_reads_as_a_shorter_valid_rut(
    spelling, session, curator_client
):
    create_organisation(session, rut=rut(AMBIGUOUS), legal_name="Comité de Adelanto Las Lilas")
    response = curator_client.get(LIST, query_string={"q": spelling(AMBIGUOUS)})
    assert response.status_code == 200
    assert "Comité de Adelanto Las Lilas" in listed(response)


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param([], id="no-role"),
        pytest.param([Role.REPRESENTATIVE], id="representative"),
        pytest.param([Role.MANAGER], id="manager"),
    ],
)
def test_the_list_is_for_curators_only(roles, make_user, sign_in, orgs):
    response = sign_in(make_user(roles=roles)).get(LIST)
    assert response.status_code == 403
    assert "Renca Norte" not in text(response)


def test_an_anonymous_visitor_is_sent_to_login(app, session):
    response = fresh_client(app).get(LIST)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"


def test_search_by_name_ignores_case_and_accents_even_in_capitals(session, curator_client):
    create_organisation(session, legal_name="JUNTA DE VECINOS VILLA SAN JOSÉ DE ÑUÑOA")
    create_organisation(session, legal_name="Junta de Vecinos Villa San Luis")
    for query in ("villa san josé de ñuñoa", "Villa San José", "jose de nunoa"):
        response = curator_client.get(LIST, query_string={"q": query})
        assert response.status_code == 200
        body = listed(response)
        assert "JUNTA DE VECINOS VILLA SAN JOSÉ DE ÑUÑOA" in body
        assert "San Luis" not in body
