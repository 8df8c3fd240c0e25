"""Public receipts (code and weight, never the choice), the receipt lookup, and the result page
with head counts and weight sums side by side (DESIGN §4)."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.voting import operations as voting_ops
from participa.voting.models import Ballot, TallyResult
from tests.fixtures.consultations import admissible_project, consultation_data
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


# --- public receipts ------------------------------------------------------------------------


def test_the_public_receipts_list_shows_codes_and_weights_but_never_the_choice(client, voting: Open, session):
    codes = {cast(session, voting, i, choice).receipt_code for i, choice in enumerate(CHOICES)}

    page = client.get(f"/consultas/{voting.id}/comprobantes")
    assert page.status_code == 200
    rows = [cells(row) for row in table_rows(text(page))]
    assert sorted(rows) == sorted([code, "1.000000", "Vigente"] for code in codes)
    body = table_body(text(page))
    for word in (*CHOICE_LABELS, *CHOICES):
        assert word not in body


def test_a_superseded_ballot_stays_listed_as_replaced(client, voting: Open, session):
    first = cast(session, voting, 0, "reject").receipt_code
    second = cast(session, voting, 0, "approve").receipt_code
    rows = {
        row[0]: row[1:]
        for row in (cells(r) for r in table_rows(text(client.get(f"/consultas/{voting.id}/comprobantes"))))
    }
    assert rows == {first: ["1.000000", "Reemplazado"], second: ["1.000000", "Vigente"]}


def test_the_receipts_list_says_when_there_are_no_votes_yet(client, voting: Open):
    page = client.get(f"/consultas/{voting.id}/comprobantes")
    assert page.status_code == 200
    assert "Aún no hay votos." in table_body(text(page))


def test_a_draft_consultation_has_no_public_receipts_list(client, session, make_user):
    project = admissible_project(session)
    manager = make_user(roles=["manager"])
    draft = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    session.commit()
    assert client.get(f"/consultas/{draft.id}/comprobantes").status_code == 404


def test_whoever_holds_a_code_sees_the_choice_recorded_under_it(client, voting: Open, session):
    ballot = cast(session, voting, 1, "reject")
    page = client.get(f"/consultas/{voting.id}/comprobante", query_string={"codigo": ballot.receipt_code})
    assert page.status_code == 200
    assert "Rechazar" in text(page)
    assert "<dt>Peso</dt><dd>1.000000</dd>" in text(page)


def test_looking_up_a_wrong_code_answers_not_found_with_a_message(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    page = client.get(f"/consultas/{voting.id}/comprobante", query_string={"codigo": "AAAA-BBBB-CCCC-DDDD"})
    assert page.status_code == 404
    assert UNKNOWN_RECEIPT in text(page)
    assert "Aprobar" not in text(page).split("<main", 1)[-1].split("</main>")[0]


def test_a_code_of_another_consultation_is_not_found_here(client, voting: Open, session, make_user):
    ballot = cast(session, voting, 0, "approve")
    project = admissible_project(session)
    manager = make_user(roles=["manager"])
    other = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    consultations.change_phase(session, actor=manager, consultation=other, target=Phase.INFORMATION, now=utcnow())
    session.commit()
    page = client.get(f"/consultas/{other.id}/comprobante", query_string={"codigo": ballot.receipt_code})
    assert page.status_code == 404
    assert UNKNOWN_RECEIPT in text(page)


def test_the_lookup_page_without_a_code_shows_the_form(client, voting: Open):
    page = client.get(f"/consultas/{voting.id}/comprobante")
    assert page.status_code == 200
    assert 'name="codigo"' in text(page)
    assert UNKNOWN_RECEIPT not in text(page)


# --- the result -----------------------------------------------------------------------------


def test_there_is_no_result_page_while_voting(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    page = client.get(f"/consultas/{voting.id}/resultado")
    assert page.status_code == 404
    assert "El resultado se publica cuando termina el conteo." in text(page)


def test_there_is_no_result_page_in_counting_before_the_tally(client, voting: Open, session):
    cast(session, voting, 0, "approve")
    consultations.change_phase(
        session, actor=voting.manager, consultation=voting.consultation, target=Phase.COUNTING, now=utcnow()
    )
    session.commit()
    assert client.get(f"/consultas/{voting.id}/resultado").status_code == 404


def test_the_result_shows_the_verdict_head_counts_and_weight_sums_side_by_side_and_its_hash(
    client, voting: Open, session
):
    for index, choice in enumerate(("approve", "approve", "reject")):
        cast(session, voting, index, choice)
    stored = close(session, voting)
    data = json.loads(stored.canonical_json)
    assert data["roll_size"] == 3

    page = client.get(f"/consultas/{voting.id}/resultado")
    assert page.status_code == 200
    body = text(page)
    assert re.search(r'<p class="verdict verdict-approved"><strong>\s*Aprobado</strong>', body)
    assert "· Vinculante" in body
    assert "· Quórum alcanzado" in body
    assert f'<code class="hash">{stored.sha256}</code>' in body
    assert len(stored.sha256) == 64
    assert f'<code class="hash">{stored.receipts_hash}</code>' in body
    rows = [cells(row) for row in table_rows(body)]
    assert rows == [
        ["Aprobar", "2", "2.000000"],
        ["Rechazar", "1", "1.000000"],
        ["Abstenerse", "0", "0.000000"],
        ["Participación", "3", "3.000000"],
    ]
    assert "Pendiente de certificación por dos certificadores." in body


def test_under_a_secret_ballot_the_detail_by_weight_is_hidden_when_fewer_than_k_share_a_weight(
    client, voting: Open, session
):
    for index, choice in enumerate(("approve", "approve", "reject")):
        cast(session, voting, index, choice)
    close(session, voting)
    assert voting.consultation.secrecy == "secret" and voting.consultation.secrecy_k == 5
    assert "Detalle por peso" not in text(client.get(f"/consultas/{voting.id}/resultado"))


def test_without_any_vote_the_result_has_no_quorum(client, voting: Open, session):
    stored = close(session, voting)
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.consultation_id == voting.id)
        ).scalar_one()
        == 0
    )
    body = text(client.get(f"/consultas/{voting.id}/resultado"))
    assert "Sin quórum" in body
    assert "· Quórum no alcanzado" in body
    assert stored.sha256 in body
