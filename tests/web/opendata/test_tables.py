"""The tables that live only as open data (issue #15): comunas, projects and their admissibility,
consultations and their rules, results, proposals with the comuna's answers and the audit chain's
block heads, as CSV, JSON and API pages that say the same, and never more than is public."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from participa.consultations import operations as consultations
from participa.core.db import utcnow
from participa.proposals.models import ProposalSupport
from participa.voting.models import TallyResult
from tests.fixtures.accounts import create_user
from tests.fixtures.certification import closed_consultation
from tests.fixtures.consultations import admissible_project, consultation_data, voting_consultation
from tests.fixtures.proposals import proposal
from tests.fixtures.registry import create_organisation
from tests.web.support import text

TABLES = ("comunas", "proyectos", "proyectos-admisibilidad", "consultas", "resultados", "propuestas")


def csv_rows(client, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def api_items(client, path: str, **query: str) -> list[dict]:
    """Every item of an API list, following the cursor with pages of 2."""
    found, cursor = [], None
    while True:
        response = client.get(path, query_string={**query, "limite": "2", **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture()
def counted(session):
    closed = closed_consultation(session, choices=("approve", "approve", "reject"))
    session.commit()
    return closed


def test_each_table_downloads_as_csv_and_json_with_the_same_rows(client, session, counted) -> None:
    proposal(session, counted, counted.people[0][0])
    session.commit()
    for name in TABLES:
        rows = csv_rows(client, f"/datos/{name}.csv")
        response = client.get(f"/datos/{name}.json")
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        document = json.loads(response.data)
        assert document["dataset"] == name and document["licence"] == "CC-BY-4.0"
        assert len(document["items"]) == len(rows), name
        assert rows and set(rows[0]) == set(document["items"][0]), name
    comunas = csv_rows(client, "/datos/comunas.csv")
    assert len(comunas) == 52 and {"cut": "13101", "name": "Santiago", "province": "Santiago"} in comunas
    assert client.get("/datos/nada.csv").status_code == 404


def test_only_projects_under_consultation_are_published_with_their_decisions(client, session, counted) -> None:
    hidden = admissible_project(session, title="Proyecto aún no consultado")
    session.commit()
    projects = csv_rows(client, "/datos/proyectos.csv")
    assert [p["id"] for p in projects] == [str(counted.project.id)]
    assert projects[0]["state"] == "in_consultation" and projects[0]["comuna"] == "Renca"
    assert projects[0]["amount_clp"].isdigit()
    decisions = csv_rows(client, "/datos/proyectos-admisibilidad.csv")
    assert decisions and {d["project_id"] for d in decisions} == {str(counted.project.id)}
    assert decisions[0]["admissible"] == "sí" and json.loads(decisions[0]["verdicts"])
    assert client.get(f"/api/v1/proyectos/{hidden.id}").status_code == 404
    assert client.get(f"/api/v1/proyectos/{counted.project.id}").get_json()["title"] == counted.project.title
    assert api_items(client, "/api/v1/proyectos-admisibilidad", proyecto=str(hidden.id)) == []


def test_consultations_publish_their_rules_never_a_draft(client, session, counted) -> None:
    manager = create_user(session, roles=["manager"])
    draft = consultations.create_consultation(
        session, actor=manager, data=consultation_data([admissible_project(session).id], title="Borrador secreto")
    )
    session.commit()
    rows = {r["id"]: r for r in csv_rows(client, "/datos/consultas.csv")}
    assert str(draft.id) not in rows and "Borrador secreto" not in client.get("/datos/consultas.json").get_data(True)
    row = rows[str(counted.consultation.id)]
    assert row["phase"] == "certification" and row["secrecy"] == "secret"
    assert json.loads(row["weight_scheme"]) == counted.consultation.weight_scheme
    assert row["quorum"] == format(counted.consultation.quorum, "f").replace(".", ",")
    assert row["roll_hash"] == counted.consultation.roll_hash
    one = client.get(f"/api/v1/consultas/{counted.consultation.id}").get_json()
    assert one["weight_scheme"] == counted.consultation.weight_scheme and one["majority_strict"] is True


def test_results_are_the_stored_count_question_by_question(client, session, counted) -> None:
    stored = session.query(TallyResult).filter_by(consultation_id=counted.consultation.id).one()
    rows = csv_rows(client, "/datos/resultados.csv")
    assert len(rows) == 1
    row = rows[0]
    assert (row["approve_heads"], row["reject_heads"], row["abstain_heads"]) == ("2", "1", "0")
    assert row["result_sha256"] == stored.sha256 and row["certified_at"] == ""
    assert row["verdict"] == json.loads(stored.canonical_json)["questions"][0]["verdict"]
    body = client.get(f"/api/v1/consultas/{counted.consultation.id}/resultado").get_json()
    assert body["items"][0]["approve_weight"] == json.loads(stored.canonical_json)["questions"][0]["approve"]["weight"]
    assert body["items"][0]["approved"] in (True, False)


def test_a_result_and_a_roll_do_not_exist_before_their_time(client, session) -> None:
    opened, _manager, _people = voting_consultation(session, organisations=2)
    session.commit()
    assert client.get(f"/api/v1/consultas/{opened.id}/resultado").status_code == 404
    roll = api_items(client, f"/api/v1/consultas/{opened.id}/padron")
    assert len(roll) == 2 and all(entry["weight"] for entry in roll)
    assert client.get("/api/v1/consultas/999999/padron").status_code == 404


def test_proposals_publish_the_admitted_and_of_a_hidden_one_only_the_reason(client, session, counted) -> None:
    author = counted.people[0][0]
    shown = proposal(session, counted, author, title="Más luminarias", answer="Se incluirá en 2027.")
    session.add(
        ProposalSupport(
            proposal_id=shown.id, organisation_id=counted.people[1][0].id, supported_by_id=counted.people[1][1].id
        )
    )
    proposal(session, counted, author, title="Texto ofensivo oculto", body="Insulto", hidden=True,
             hidden_reason="Lenguaje ofensivo", answer="Respuesta a lo oculto")  # fmt: skip
    proposal(session, counted, author, title="Propuesta en revisión", status="pending")
    session.commit()
    rows = csv_rows(client, "/datos/propuestas.csv")
    assert [r["title"] for r in rows] == ["Más luminarias", ""]
    assert rows[0]["supports"] == "1" and rows[0]["answer"] == "Se incluirá en 2027."
    assert rows[1]["hidden"] == "sí" and rows[1]["hidden_reason"] == "Lenguaje ofensivo"
    for path in ("/datos/propuestas.csv", "/datos/propuestas.json", "/api/v1/propuestas"):
        body = client.get(path).get_data(as_text=True)
        for secret in ("Texto ofensivo oculto", "Insulto", "Respuesta a lo oculto", "Propuesta en revisión"):
            assert secret not in body, (path, secret)
    assert len(api_items(client, "/api/v1/propuestas", consulta=str(counted.consultation.id))) == 2
    assert api_items(client, "/api/v1/propuestas", consulta="999999") == []


def test_date_filters_narrow_by_whole_days_and_refuse_what_is_not_a_date(client, session, counted) -> None:
    today = utcnow().date()
    assert len(api_items(client, "/api/v1/proyectos", desde=today.isoformat())) == 1
    assert api_items(client, "/api/v1/proyectos", desde=(today + timedelta(days=1)).isoformat()) == []
    assert api_items(client, "/api/v1/proyectos", hasta=(today - timedelta(days=1)).isoformat()) == []
    assert len(api_items(client, "/api/v1/proyectos", comuna="13128", estado="in_consultation")) == 1
    for bad in ("2026-13-01", "ayer", "2026-1-1", "20261201"):
        response = client.get("/api/v1/proyectos", query_string={"desde": bad})
        assert response.status_code == 400 and response.get_json()["error"]["parameter"] == "desde", bad
    assert client.get("/api/v1/proyectos", query_string={"estado": "draft"}).status_code == 400


def test_commitment_versions_and_audit_blocks_page_through_the_api(client, session) -> None:
    versions = api_items(client, "/api/v1/compromisos/1/versiones")
    assert versions and versions[0]["version"] == 1 and len(versions[0]["sha256"]) == 64
    assert client.get("/api/v1/compromisos/999/versiones").status_code == 404
    blocks = client.get("/api/v1/auditoria/bloques").get_json()
    assert set(blocks) == {"items", "next_cursor"}


def test_the_catalogue_lists_every_table_with_its_size(client, session, counted) -> None:
    create_organisation(session, legal_name="Club del catálogo")
    session.commit()
    page = text(client.get("/datos"))
    for name in TABLES:
        assert f"/datos/{name}.csv" in page, name
    assert "52 filas" in page and "Resultados de las consultas" in page


def test_trackers_page_by_tracker_and_votes_only_under_a_named_ballot(client, session) -> None:
    secret = closed_consultation(session, choices=("approve", "reject", "approve"))
    named = closed_consultation(session, choices=("approve", "reject"), secrecy="named")
    session.commit()
    trackers = api_items(client, f"/api/v1/consultas/{secret.consultation.id}/comprobantes")
    assert len(trackers) == 3 and [t["tracker"] for t in trackers] == sorted(t["tracker"] for t in trackers)
    assert all(set(t) == {"tracker", "weight", "status", "reason"} for t in trackers)  # never who, never what
    assert client.get(f"/api/v1/consultas/{secret.consultation.id}/votos").status_code == 404
    votes = api_items(client, f"/api/v1/consultas/{named.consultation.id}/votos")
    assert sorted(v["choice"] for v in votes) == ["approve", "reject"]
    bad = client.get(f"/api/v1/consultas/{secret.consultation.id}/comprobantes", query_string={"cursor": "zz"})
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "cursor"
