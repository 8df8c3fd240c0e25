"""The public record of a consultation (DESIGN §4, Votes): the trackers list and the lookup by
code (status and weight, never the choice), the frozen roll, the named votes, the result with
its canonical JSON, and the downloads anyone can recount from."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
import sqlalchemy as sa

from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.canonical import canonical_json
from participa.core.db import utcnow
from participa.registry import operations as registry
from participa.registry.models import Representation
from participa.voting import operations as voting_ops
from participa.voting.models import Ballot, TallyResult
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.consultations import admissible_project, consultation_data, voting_consultation
from tests.web.support import text
from tests.web.voting.conftest import Open
from tests.web.voting.helpers import CHOICE_LABELS, UNKNOWN_RECEIPT, cells, table_body, table_rows

SECRET = "test-secret-key-not-for-production"
CHOICES = ("approve", "reject", "abstain")


def cast(session, voting: Open, index: int, choice: str) -> Ballot:
    org, person = voting.people[index]
    ballot = voting_ops.cast_ballot(
        session,
        actor=person,
        consultation=voting.consultation,
        organisation_id=org.id,
        answers={q: choice for q in voting.question_ids},
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    return ballot


def close(session, voting: Open) -> TallyResult:
    consultations.change_phase(
        session, actor=voting.manager, consultation=voting.consultation, target=Phase.COUNTING, now=utcnow()
    )
    session.commit()
    result = voting_ops.close_consultation(session, voting.id)
    session.commit()
    return result


def revoke_before_close(session, voting: Open, index: int) -> None:
    """The representative's authorisation is revoked after the vote (the vote still counts)."""
    org, person = voting.people[index]
    curator = create_user(session, roles=["curator"])
    representation = session.execute(
        sa.select(Representation).where(Representation.user_id == person.id, Representation.organisation_id == org.id)
    ).scalar_one()
    registry.revoke_representation(session, actor=curator, representation=representation, reason="cambio de directiva")
    session.commit()


def lookup(client, consultation_id: int, code: str):
    path = f"/consultas/{consultation_id}/comprobante"
    return client.post(path, data={"codigo": code, "csrf_token": csrf_token(client, path)})


def tracker_rows(client, consultation_id: int) -> dict[str, list[str]]:
    page = text(client.get(f"/consultas/{consultation_id}/comprobantes"))
    return {row[0]: row[1:] for row in (cells(r) for r in table_rows(page))}


def download(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data()


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV files start with a byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline=""), delimiter=";"))


# --- the trackers list ----------------------------------------------------------------------


def test_the_trackers_list_shows_tracker_weight_and_status_never_code_organisation_or_choice(
    client, voting: Open, session
):
    ballots = [cast(session, voting, i, choice) for i, choice in enumerate(CHOICES)]

    page = client.get(f"/consultas/{voting.id}/comprobantes")
    assert page.status_code == 200
    rows = tracker_rows(client, voting.id)
    assert rows == {b.tracker: ["1,000000", "Recibido (se revisa al cierre)"] for b in ballots}
    body = table_body(text(page))
    for ballot in ballots:
        assert ballot.receipt_code not in text(page)
    for org, _person in voting.people:
        assert org.legal_name not in body and org.rut not in body
    for word in (*CHOICE_LABELS, *CHOICES):
        assert word not in body


def test_the_tracker_is_the_sha256_of_the_code_as_printed(voting: Open, session):
    ballot = cast(session, voting, 0, "approve")
    assert ballot.tracker == hashlib.sha256(ballot.receipt_code.encode()).hexdigest()


def test_a_superseded_ballot_stays_listed_as_replaced(client, voting: Open, session):
    first = cast(session, voting, 0, "reject").tracker
    second = cast(session, voting, 0, "approve").tracker
    assert tracker_rows(client, voting.id) == {
        first: ["1,000000", "Reemplazado"],
        second: ["1,000000", "Recibido (se revisa al cierre)"],
    }


def test_after_close_each_ballot_is_counted_superseded_or_not_admitted_with_its_reason(client, voting: Open, session):
    first = cast(session, voting, 0, "reject")
    second = cast(session, voting, 0, "approve")
    refused = cast(session, voting, 1, "approve")
    session.execute(  # authorised only after the vote: not admitted at close
        sa.update(Representation)
        .where(Representation.user_id == voting.people[1][1].id)
        .values(approved_at=utcnow(), decided_at=utcnow())
    )
    session.commit()
    close(session, voting)
    assert tracker_rows(client, voting.id) == {
        first.tracker: ["1,000000", "Reemplazado"],
        second.tracker: ["1,000000", "Contado"],
        refused.tracker: [
            "1,000000",
            "No admitido: quien votó no estaba autorizado por la organización en ese momento",
        ],
    }


def test_the_receipts_list_says_when_there_are_no_votes_yet(client, voting: Open):
    page = client.get(f"/consultas/{voting.id}/comprobantes")
    assert page.status_code == 200
    assert "Aún no hay votos." in table_body(text(page))


def test_a_draft_consultation_has_no_public_record(client, session, make_user):
    project = admissible_project(session)
    manager = make_user(roles=["manager"])
    draft = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    session.commit()
    for path in ("comprobantes", "comprobante", "padron", "padron.csv", "resultado", "resultado.json", "votos"):
        assert client.get(f"/consultas/{draft.id}/{path}").status_code == 404, path


# --- the lookup by code ---------------------------------------------------------------------


def test_whoever_holds_a_code_learns_status_and_weight_never_the_choice(client, voting: Open, session):
    ballot = cast(session, voting, 1, "reject")
    page = lookup(client, voting.id, ballot.receipt_code)
    assert page.status_code == 200
    body = text(page).split("<main", 1)[1]
    assert ballot.tracker in body
    assert "<dt>Peso</dt><dd>1,000000</dd>" in body
    assert "Recibido" in body
    for word in (*CHOICE_LABELS, *CHOICES):
        assert word not in body


def test_a_not_admitted_vote_is_reported_as_such_by_the_lookup(client, voting: Open, session):
    ballot = cast(session, voting, 0, "approve")
    session.execute(
        sa.update(Representation)
        .where(Representation.user_id == voting.people[0][1].id)
        .values(approved_at=utcnow(), decided_at=utcnow())
    )
    session.commit()
    close(session, voting)
    body = text(lookup(client, voting.id, ballot.receipt_code))
    assert "No admitido" in body and "no estaba autorizado" in body
    assert "Contado" not in body


def test_the_code_is_never_looked_up_from_the_address(client, voting: Open, session):
    ballot = cast(session, voting, 0, "approve")
    page = client.get(f"/consultas/{voting.id}/comprobante", query_string={"codigo": ballot.receipt_code})
    assert page.status_code == 200
    assert ballot.tracker not in text(page), "a GET shows the empty form only"
    assert 'method="post"' in text(page)


def test_a_lookup_without_its_form_token_is_refused(client, voting: Open, session):
    ballot = cast(session, voting, 0, "approve")
    page = client.post(f"/consultas/{voting.id}/comprobante", data={"codigo": ballot.receipt_code})
    assert page.status_code == 400
    assert ballot.tracker not in text(page)


def test_looking_up_a_wrong_code_answers_not_found_with_a_message(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    page = lookup(client, voting.id, "AAAA-BBBB-CCCC-DDDD")
    assert page.status_code == 404
    assert UNKNOWN_RECEIPT in text(page)


def test_a_malformed_code_gets_a_message_that_says_what_a_code_looks_like(client, voting: Open):
    page = lookup(client, voting.id, "ABC-123")
    assert page.status_code == 400
    assert "El código tiene 16 letras y números en cuatro grupos" in text(page)
    assert lookup(client, voting.id, "").status_code == 400


def test_a_code_of_another_consultation_is_not_found_here(client, voting: Open, session, make_user):
    ballot = cast(session, voting, 0, "approve")
    project = admissible_project(session)
    manager = make_user(roles=["manager"])
    other = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    consultations.change_phase(session, actor=manager, consultation=other, target=Phase.INFORMATION, now=utcnow())
    session.commit()
    page = lookup(client, other.id, ballot.receipt_code)
    assert page.status_code == 404
    assert UNKNOWN_RECEIPT in text(page)


# --- the result -----------------------------------------------------------------------------


def test_there_is_no_result_page_while_voting(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    page = client.get(f"/consultas/{voting.id}/resultado")
    assert page.status_code == 404
    assert "El resultado se publica cuando termina el conteo." in text(page)
    assert client.get(f"/consultas/{voting.id}/resultado.json").status_code == 404


def test_the_result_shows_verdict_counts_weights_superseded_votes_and_its_hashes(client, voting: Open, session):
    cast(session, voting, 0, "reject")
    for index, choice in enumerate(("approve", "approve", "reject")):
        cast(session, voting, index, choice)
    stored = close(session, voting)
    data = json.loads(stored.canonical_json)
    assert (data["roll_size"], data["counted"], data["superseded"], data["not_admitted"]) == (3, 3, 1, {})

    body = text(client.get(f"/consultas/{voting.id}/resultado"))
    # The verdict reads as a sentence first, the figures after (issue #16).
    assert re.search(r'<p class="verdict verdict-approved"><strong>\s*Aprobado:</strong>', body)
    assert (
        "66,7 % del peso a favor, con 100 % de participación; se necesitaba 30 % de participación y "
        "más de la mitad a favor." in body
    )
    assert f'<code class="hash" id="result-sha256">{stored.sha256}</code>' in body
    assert f'<code class="hash">{stored.trackers_hash}</code>' in body
    assert "<dt>Votos reemplazados por un voto posterior</dt><dd>1</dd>" in body
    rows = [cells(row) for row in table_rows(body)]
    assert rows == [
        ["Aprobar", "2", "2,000000"],
        ["Rechazar", "1", "1,000000"],
        ["Abstenerse", "0", "0,000000"],
        ["Participación", "3", "3,000000"],
    ]
    assert "Detalle por peso" not in body


def test_the_result_json_is_exactly_the_bytes_whose_hash_is_published(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    stored = close(session, voting)
    response = client.get(f"/consultas/{voting.id}/resultado.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert hashlib.sha256(response.get_data()).hexdigest() == stored.sha256
    data = json.loads(response.get_data())
    assert canonical_json(data) == response.get_data()
    assert data["consultation"]["secrecy"] == "secret"
    assert data["roll_hash"] == voting.consultation.roll_hash
    assert data["trackers_hash"] == stored.trackers_hash
    assert set(data["files"]) == {"padron.csv", "padron.json", "comprobantes.csv", "comprobantes.json"}
    assert (
        client.get(
            f"/consultas/{voting.id}/resultado.json", headers={"If-None-Match": f'"{stored.sha256}"'}
        ).status_code
        == 304
    )


def test_every_file_named_by_the_result_has_the_hash_it_names(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    cast(session, voting, 1, "reject")
    stored = close(session, voting)
    files = json.loads(stored.canonical_json)["files"]
    for name, digest in files.items():
        data = download(client, f"/consultas/{voting.id}/{name}")
        assert hashlib.sha256(data).hexdigest() == digest, name
        etagged = client.get(f"/consultas/{voting.id}/{name}", headers={"If-None-Match": f'"{digest}"'})
        assert etagged.status_code == 304, name
    assert files["comprobantes.json"] == stored.trackers_hash


def test_a_vote_whose_authorisation_is_revoked_after_it_was_cast_still_counts(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    cast(session, voting, 1, "reject")
    revoke_before_close(session, voting, 0)
    data = json.loads(close(session, voting).canonical_json)
    question = data["questions"][0]
    assert (question["approve"]["heads"], question["reject"]["heads"]) == (1, 1)
    assert data["not_admitted"] == {}


# --- the roll -------------------------------------------------------------------------------


def test_the_frozen_roll_is_public_with_weights_and_a_hash_recomputable_from_the_download(
    client, voting: Open, session
):
    page = client.get(f"/consultas/{voting.id}/padron")
    assert page.status_code == 200
    body = text(page)
    for org, _person in voting.people:
        assert org.legal_name in body and org.rut in body
    assert voting.consultation.roll_hash in body

    document = json.loads(download(client, f"/consultas/{voting.id}/padron.json"))
    entries = document["organisations"]
    recomputed = hashlib.sha256(
        canonical_json(
            [
                {"inputs": e["inputs"], "organisation": e["organisation_id"], "rut": e["rut"], "weight": e["weight"]}
                for e in sorted(entries, key=lambda e: e["organisation_id"])
            ]
        )
    ).hexdigest()
    assert recomputed == voting.consultation.roll_hash == document["roll_hash"]
    rows = parse_csv(download(client, f"/consultas/{voting.id}/padron.csv"))
    assert rows[0] == ["organizacion_id", "rut", "nombre", "cut_comuna", "comuna", "peso", "entradas_del_peso"]
    assert [r[1] for r in rows[1:]] == [e["rut"] for e in entries]
    assert {r[5] for r in rows[1:]} == {"1,000000"}, "decimals with a comma, for a Spanish-locale spreadsheet"


def test_a_later_registry_change_does_not_change_the_published_roll(client, voting: Open, session):
    before = download(client, f"/consultas/{voting.id}/padron.json")
    org = voting.people[0][0]
    org.legal_name = "Nombre cambiado después"
    session.commit()
    assert download(client, f"/consultas/{voting.id}/padron.json") == before


def test_there_is_no_roll_before_it_is_frozen(client, session, make_user):
    project = admissible_project(session)
    manager = make_user(roles=["manager"])
    consultation = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    consultations.change_phase(
        session, actor=manager, consultation=consultation, target=Phase.INFORMATION, now=utcnow()
    )
    session.commit()
    page = client.get(f"/consultas/{consultation.id}/padron")
    assert page.status_code == 404
    assert "El padrón se publica cuando se congela" in text(page)
    assert client.get(f"/consultas/{consultation.id}/padron.csv").status_code == 404


def test_csv_downloads_are_safe_from_formula_injection(client, session, uploads):
    consultation, _manager, _people = voting_consultation(session, organisations=1)
    from participa.consultations.models import RollEntry

    session.execute(
        sa.update(RollEntry)
        .where(RollEntry.consultation_id == consultation.id)
        .values(legal_name='=HYPERLINK("http://malo.example","clic")')
    )
    session.commit()
    rows = parse_csv(download(client, f"/consultas/{consultation.id}/padron.csv"))
    assert rows[1][2] == '\'=HYPERLINK("http://malo.example","clic")'


# --- named votes ----------------------------------------------------------------------------


def test_a_secret_consultation_never_publishes_votes(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    close(session, voting)
    page = client.get(f"/consultas/{voting.id}/votos")
    assert page.status_code == 404
    assert "voto secreto" in text(page)
    for extension in ("csv", "json"):
        assert client.get(f"/consultas/{voting.id}/votos.{extension}").status_code == 404


@pytest.fixture()
def named(session, uploads) -> Open:
    consultation, manager, people = voting_consultation(session, organisations=3, secrecy="named")
    return Open(consultation, manager, people)


def test_a_named_consultation_publishes_every_vote_once_counted(client, named: Open, session):
    cast(session, named, 0, "reject")
    cast(session, named, 0, "approve")
    cast(session, named, 1, "abstain")
    assert client.get(f"/consultas/{named.id}/votos").status_code == 404, "not before the count"
    stored = close(session, named)

    page = client.get(f"/consultas/{named.id}/votos")
    assert page.status_code == 200
    rows = [cells(r) for r in table_rows(text(page))]
    org_a, org_b = named.people[0][0], named.people[1][0]
    assert [(r[0], r[1], r[4], r[7]) for r in rows] == [
        (org_a.legal_name, org_a.rut, "Rechazar", "Reemplazado"),
        (org_a.legal_name, org_a.rut, "Aprobar", "Contado"),
        (org_b.legal_name, org_b.rut, "Abstenerse", "Contado"),
    ]
    document = json.loads(download(client, f"/consultas/{named.id}/votos.json"))
    assert [(v["organisation_id"], v["choice"], v["status"], v["reason"]) for v in document["votes"]] == [
        (org_a.id, "reject", "superseded", "superseded"),
        (org_a.id, "approve", "counted", None),
        (org_b.id, "abstain", "counted", None),
    ]
    files = json.loads(stored.canonical_json)["files"]
    assert {"votos.csv", "votos.json"} <= set(files)
    assert "Votos nominales" in text(client.get(f"/consultas/{named.id}/resultado"))


# --- what a secret ballot's totals can give away ------------------------------------------------


def test_the_result_warns_when_a_total_alone_identifies_who_chose_an_option(client, session, uploads):
    from tests.fixtures.consultations import weighted_consultation

    consultation, manager, people = weighted_consultation(session, [4, 9, 16])  # weights 2, 3, 4
    voting = Open(consultation, manager, people)
    cast(session, voting, 0, "approve")
    cast(session, voting, 1, "approve")
    cast(session, voting, 2, "reject")  # the only organisation of weight 4: its total names it
    close(session, voting)
    body = text(client.get(f"/consultas/{voting.id}/resultado"))
    assert "Aviso sobre el secreto del voto" in body
    assert "Rechazar" in body.split("Aviso sobre el secreto del voto", 1)[1].split("</p>", 1)[0]


def test_the_result_does_not_warn_when_totals_leave_several_possibilities(client, voting: Open, session):
    for index, choice in enumerate(("approve", "reject", "reject")):
        cast(session, voting, index, choice)
    close(session, voting)
    assert "Aviso sobre el secreto del voto" not in text(client.get(f"/consultas/{voting.id}/resultado"))
