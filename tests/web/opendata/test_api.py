"""The read-only JSON API (issue #15): filters, cursor pages, ETags, CORS, JSON errors (400 for a
bad parameter, 404 for an unknown object, never 500), and an OpenAPI 3.1 document that validates
and that every answer matches."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.fixtures.consultations import admissible_project, consultation_data, voting_consultation
from tests.fixtures.registry import create_organisation


@pytest.fixture()
def spec(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    return document


def body_schema(spec: dict, path: str, status: str = "200") -> dict:
    schema = spec["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def matches(spec: dict, path: str, body: dict, status: str = "200") -> None:
    resolver_schema = body_schema(spec, path, status)
    jsonschema.validate(body, resolver_schema, cls=jsonschema.Draft202012Validator)


def test_the_openapi_document_validates_and_names_every_operation(spec) -> None:
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {
        "/api/v1/comunas",
        "/api/v1/organizaciones",
        "/api/v1/organizaciones/{rut}",
        "/api/v1/proyectos",
        "/api/v1/proyectos/{project_id}",
        "/api/v1/proyectos-admisibilidad",
        "/api/v1/consultas",
        "/api/v1/consultas/{consultation_id}",
        "/api/v1/consultas/{consultation_id}/padron",
        "/api/v1/consultas/{consultation_id}/comprobantes",
        "/api/v1/consultas/{consultation_id}/votos",
        "/api/v1/consultas/{consultation_id}/resultado",
        "/api/v1/propuestas",
        "/api/v1/compromisos",
        "/api/v1/compromisos/{commitment_id}",
        "/api/v1/compromisos/{commitment_id}/versiones",
        "/api/v1/auditoria/bloques",
        "/api/v1/solicitudes-de-datos",
    }


def test_organisations_page_by_cursor_with_filters_and_match_their_schema(client, session, spec) -> None:
    made = [create_organisation(session, legal_name=f"Club API {i}", comuna_cut=13605) for i in range(5)]
    create_organisation(session, legal_name="Club API pendiente", comuna_cut=13605, status="pending")
    seen, cursor = [], None
    while True:
        query = {"comuna": "13605", "limite": "2", **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/organizaciones", query_string=query)
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.get_json()
        matches(spec, "/api/v1/organizaciones", body)
        assert len(body["items"]) <= 2
        seen += [item["rut"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [o.rut for o in made]  # every one once, in order; the pending one never
    one = client.get(f"/api/v1/organizaciones/{made[0].rut}")
    assert one.status_code == 200 and one.get_json()["legal_name"] == "Club API 0"
    matches(spec, "/api/v1/organizaciones/{rut}", one.get_json())


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"limite": "0"}, "limite"),
        ({"limite": "101"}, "limite"),
        ({"limite": "muchos"}, "limite"),
        ({"comuna": "-3"}, "comuna"),
        ({"comuna": "99999999999999"}, "comuna"),
        ({"tipo": "secta"}, "tipo"),
        ({"estado": "pending"}, "estado"),
        ({"cursor": "%%%"}, "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(client, spec, query, parameter) -> None:
    response = client.get("/api/v1/organizaciones", query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "bad_parameter" and body["error"]["parameter"] == parameter
    matches(spec, "/api/v1/organizaciones", body, "400")


def test_unknown_parameters_objects_and_addresses_are_json_errors(client, session) -> None:
    assert (
        client.get("/api/v1/compromisos", query_string={"orden": "x"}).get_json()["error"]["code"]
        == "unknown_parameter"
    )
    for path in (
        "/api/v1/organizaciones/11111111-1",
        "/api/v1/compromisos/999999",
        "/api/v1/compromisos/abc",
        "/api/v1/nada",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found", path


def test_an_unchanged_answer_is_a_304_for_its_etag(client) -> None:
    first = client.get("/api/v1/compromisos", query_string={"limite": "5"})
    etag = first.headers["ETag"]
    again = client.get("/api/v1/compromisos", query_string={"limite": "5"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_commitments_filter_by_axis_and_status(client, spec) -> None:
    body = client.get("/api/v1/compromisos", query_string={"eje": "INSEGURIDAD", "limite": "100"}).get_json()
    matches(spec, "/api/v1/compromisos", body)
    assert len(body["items"]) == 20 and {c["axis"] for c in body["items"]} == {"INSEGURIDAD"}
    none = client.get("/api/v1/compromisos", query_string={"estado": "fulfilled"}).get_json()
    assert none == {"items": [], "next_cursor": None}
    one = client.get(f"/api/v1/compromisos/{body['items'][0]['id']}").get_json()
    matches(spec, "/api/v1/compromisos/{commitment_id}", one)


def test_consultations_are_public_once_opened_never_as_drafts(client, session, spec) -> None:
    from participa.consultations import operations as consultations
    from tests.fixtures.accounts import create_user

    opened, _manager, _people = voting_consultation(session, organisations=1, title="Consulta por la API")
    manager = create_user(session, roles=["manager"])
    draft = consultations.create_consultation(
        session, actor=manager, data=consultation_data([admissible_project(session).id])
    )
    session.commit()
    body = client.get("/api/v1/consultas", query_string={"limite": "100"}).get_json()
    matches(spec, "/api/v1/consultas", body)
    ids = [c["id"] for c in body["items"]]
    assert opened.id in ids and draft.id not in ids
    assert client.get(f"/api/v1/consultas/{draft.id}").status_code == 404
    one = client.get(f"/api/v1/consultas/{opened.id}").get_json()
    matches(spec, "/api/v1/consultas/{consultation_id}", one)
    assert one["phase"] == "voting"


def test_the_api_page_documents_each_operation(client) -> None:
    from tests.web.support import text

    page = text(client.get("/api/v1/"))
    assert "GET /api/v1/organizaciones" in page and "next_cursor" in page and "limite" in page
