"""Casting an organisation's vote through the real pages: review, confirm, receipt and e-mail;
and every refusal (DESIGN §4): wrong organisation, not on the roll, outside the window,
incomplete answers, no representation, not signed in. Refused ballots store nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from participa.consultations import operations as consultations
from participa.consultations.models import RollEntry
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.voting.rules import normalise_receipt, tracker_of
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.consultations import admissible_project, consultation_data, open_for_voting, representative_of
from tests.fixtures.registry import create_organisation
from tests.web.support import assert_no_mail, location_path, text, wait_for_mail
from tests.web.voting.conftest import Open
from tests.web.voting.helpers import (
    CLOSED,
    INCOMPLETE,
    NO_ORGANISATION,
    NOT_AUTHORISED,
    NOT_ON_ROLL,
    NOT_RECORDED,
    ballots,
    effective_votes,
    post_vote,
)


@pytest.fixture()
def org_a(voting: Open):
    return voting.people[0][0]


@pytest.fixture()
def rep_a(voting: Open):
    return voting.people[0][1]


@pytest.fixture()
def browser_a(sign_in, rep_a):
    return sign_in(rep_a)


def approve_all(voting: Open) -> dict[int, str]:
    return {q: "approve" for q in voting.question_ids}


def assert_nothing_stored(voting: Open) -> None:
    assert ballots(voting.id) == []


# --- the happy path -------------------------------------------------------------------------


def test_the_ballot_page_offers_the_organisations_the_person_represents(browser_a, voting: Open, org_a):
    page = browser_a.get(f"/consultas/{voting.id}/votar")
    assert page.status_code == 200
    body = text(page)
    assert f'<option value="{org_a.id}"' in body
    for other, _person in voting.people[1:]:
        assert f'<option value="{other.id}"' not in body
    assert "Aprobar" in body and "Rechazar" in body and "Abstenerse" in body


def test_the_first_post_shows_the_confirmation_page_and_stores_nothing(browser_a, voting: Open, org_a):
    response = post_vote(browser_a, voting.id, org_a.id, {q: "reject" for q in voting.question_ids})
    assert response.status_code == 200
    page = text(response)
    assert "Confirme su voto" in page
    assert f"Va a votar por {org_a.legal_name}:" in page
    assert "<strong>Rechazar</strong>" in page
    assert 'name="step" value="confirm"' in page
    assert_nothing_stored(voting)


def test_confirming_stores_the_ballot_and_shows_its_code_once_never_in_an_address(
    browser_a, voting: Open, org_a, rep_a
):
    response = post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    assert response.status_code == 302

    (ballot,) = ballots(voting.id)
    assert (ballot.organisation_id, ballot.cast_by_id, ballot.channel) == (org_a.id, rep_a.id, "online")
    assert [(v.question_id, v.choice, v.effective) for v in ballot.votes] == [
        (q, "approve", True) for q in voting.question_ids
    ]
    assert ballot.tracker == tracker_of(ballot.receipt_code)
    # The code never travels in an address, where access logs and histories would keep it.
    assert location_path(response) == f"/consultas/{voting.id}/comprobante/nuevo"
    assert ballot.receipt_code not in response.headers["Location"]

    receipt = browser_a.get(response.headers["Location"])
    assert receipt.status_code == 200
    page = text(receipt)
    assert f'<strong id="receipt-code">{ballot.receipt_code}</strong>' in page
    assert "<dt>Peso de la organización</dt><dd>1,000000</dd>" in page
    assert ballot.tracker in page
    assert "<dd>Aprobar</dd>" in page  # the voter sees what they just voted

    again = browser_a.get(response.headers["Location"])
    assert again.status_code == 404, "the code is shown once"
    assert ballot.receipt_code not in text(again)
    assert "se muestra una sola vez" in text(again)


def test_the_one_time_receipt_is_not_shown_to_someone_else(browser_a, voting: Open, org_a, sign_in):
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    other = sign_in(voting.people[1][1])
    page = other.get(f"/consultas/{voting.id}/comprobante/nuevo")
    assert page.status_code == 404
    (ballot,) = ballots(voting.id)
    assert ballot.receipt_code not in text(page)


@pytest.mark.commits  # on the PostgreSQL leg a worker process delivers the e-mail, for real
def test_the_receipt_code_is_sent_by_email_to_every_representative_of_the_organisation(
    browser_a, voting: Open, org_a, rep_a, mail_delivery, session
):
    colleague = representative_of(session, org_a)
    stranger = voting.people[1][1]
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    (ballot,) = ballots(voting.id)
    mail_delivery()

    for person in (rep_a, colleague):
        [mail] = wait_for_mail(person.email)
        assert mail.subject == "Comprobante de voto: Consulta de prueba"
        assert f"Código del comprobante: {ballot.receipt_code}" in mail.body
        assert org_a.legal_name in mail.body
        assert f"/consultas/{voting.id}/comprobante\n" in mail.body
        assert "codigo=" not in mail.body
        assert "Aprobar" not in mail.body and "approve" not in mail.body
    assert_no_mail(stranger.email)


def test_voting_again_supersedes_the_earlier_ballot_and_keeps_it(browser_a, voting: Open, org_a):
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    post_vote(browser_a, voting.id, org_a.id, {q: "abstain" for q in voting.question_ids}, confirm=True)

    first, second = ballots(voting.id, org_a.id)
    assert first.receipt_code != second.receipt_code
    assert [v.effective for v in first.votes] == [False] * len(voting.question_ids)
    assert [(v.choice, v.effective) for v in effective_votes(voting.id, org_a.id)] == [("abstain", True)] * len(
        voting.question_ids
    )


def test_before_voting_again_the_page_says_the_new_vote_replaces_the_first(browser_a, voting: Open, org_a):
    path = f"/consultas/{voting.id}/votar"
    assert "ya votó" not in text(browser_a.get(path))
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    page = text(browser_a.get(path))
    assert f"{org_a.legal_name} ya votó: si vota de nuevo, el nuevo voto reemplaza al anterior" in page
    assert f"{org_a.legal_name} (ya votó)</option>" in page


def test_an_incomplete_ballot_marks_each_unanswered_question_where_it_is(browser_a, voting: Open, org_a):
    first, *rest = voting.question_ids
    response = post_vote(browser_a, voting.id, org_a.id, dict.fromkeys(rest, "approve"))
    page = text(response)
    assert response.status_code == 400 and INCOMPLETE in page
    assert f'<a href="#q-{first}-approve">{INCOMPLETE}</a>' in page  # the summary leads to it
    assert re.search(rf'id="q-{first}-approve" name="q-{first}" value="approve" required\s+aria-invalid="true"', page)
    for answered in rest:
        assert not re.search(rf'name="q-{answered}" value="approve" required\s+checked\s*aria-invalid', page)


def test_forged_weight_fields_have_no_effect_on_the_stored_ballot(browser_a, voting: Open, org_a, session):
    response = post_vote(
        browser_a,
        voting.id,
        org_a.id,
        approve_all(voting),
        confirm=True,
        weight="1000",
        peso="1000",
        **{"weight-" + str(org_a.id): "1000"},
    )
    assert response.status_code == 302
    (ballot,) = ballots(voting.id)
    receipt = text(browser_a.get(response.headers["Location"]))
    assert "<dt>Peso de la organización</dt><dd>1,000000</dd>" in receipt
    assert session.get(RollEntry, (voting.id, org_a.id)).weight == Decimal("1.000000")
    listed = text(browser_a.get(f"/consultas/{voting.id}/comprobantes"))
    assert re.search(rf'<code class="tracker">{ballot.tracker}</code></td><td>1,000000</td>', listed)


# --- refusals -------------------------------------------------------------------------------


def test_a_representative_cannot_vote_for_another_organisation(browser_a, voting: Open):
    org_b = voting.people[1][0]
    for confirm in (False, True):
        response = post_vote(browser_a, voting.id, org_b.id, approve_all(voting), confirm=confirm)
        assert response.status_code == 403
        assert NOT_AUTHORISED in text(response)
        assert NOT_RECORDED in text(response)
    assert_nothing_stored(voting)


def test_an_organisation_not_on_the_roll_is_refused_even_for_its_representative(
    browser_a, voting: Open, rep_a, session
):
    # Verified and represented by the same person, but of a comuna outside the electorate.
    outside = create_organisation(session, legal_name="Junta de Vecinos de Santiago", comuna_cut=13101)
    representative_of(session, outside, rep_a)
    response = post_vote(browser_a, voting.id, outside.id, approve_all(voting), confirm=True)
    assert response.status_code == 403
    assert NOT_ON_ROLL in text(response)
    assert_nothing_stored(voting)


def test_an_organisation_registered_after_the_roll_froze_is_not_on_it(browser_a, voting: Open, rep_a, session):
    late = create_organisation(session, legal_name="Junta de Vecinos Recién Verificada")
    representative_of(session, late, rep_a)
    response = post_vote(browser_a, voting.id, late.id, approve_all(voting), confirm=True)
    assert response.status_code == 403
    assert NOT_ON_ROLL in text(response)
    assert_nothing_stored(voting)


@pytest.mark.parametrize(
    ("organisation", "message"),
    [
        ("999999999", NOT_ON_ROLL),
        ("-1", NOT_ON_ROLL),
        ("abc", NOT_AUTHORISED),
        ("", NOT_AUTHORISED),
    ],
)
def test_an_organisation_id_that_does_not_exist_is_refused(browser_a, voting: Open, organisation, message):
    response = post_vote(browser_a, voting.id, organisation, approve_all(voting), confirm=True)
    assert response.status_code == 403
    assert message in text(response)
    assert_nothing_stored(voting)


def test_voting_after_the_window_is_refused_and_nothing_is_stored(browser_a, voting: Open, org_a, session):
    voting.consultation.voting_ends_at = utcnow() - timedelta(minutes=1)
    session.commit()
    for confirm in (False, True):
        response = post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=confirm)
        assert response.status_code == 400
        assert CLOSED in text(response)
    assert_nothing_stored(voting)


def test_voting_in_the_counting_phase_is_refused_and_nothing_is_stored(browser_a, voting: Open, org_a, session):
    consultations.change_phase(
        session, actor=voting.manager, consultation=voting.consultation, target=Phase.COUNTING, now=utcnow()
    )
    session.commit()
    response = post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    assert response.status_code == 400
    assert CLOSED in text(response)
    assert_nothing_stored(voting)


def test_voting_before_the_roll_is_frozen_is_refused(sign_in, session, uploads):
    project = admissible_project(session)
    org = create_organisation(session)
    person = representative_of(session, org)
    manager = create_user(session, roles=["manager"])
    consultation = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    for target in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING):
        consultations.change_phase(session, actor=manager, consultation=consultation, target=target, now=utcnow())
    session.commit()
    browser = sign_in(person)
    response = post_vote(
        browser, consultation.id, org.id, {q.id: "approve" for q in consultation.questions}, confirm=True
    )
    assert response.status_code == 400
    assert CLOSED in text(response)
    assert ballots(consultation.id) == []


def test_a_missing_answer_is_refused_with_a_message(sign_in, session, uploads):
    """Two projects, one answered."""
    first = admissible_project(session, title="Plaza Villa Esperanza")
    second = admissible_project(session, title="Sede social Los Aromos")
    org = create_organisation(session)
    person = representative_of(session, org)
    manager = create_user(session, roles=["manager"])
    consultation = consultations.create_consultation(
        session, actor=manager, data=consultation_data([first.id, second.id])
    )
    session.commit()
    open_for_voting(session, consultation, manager)
    browser = sign_in(person)
    q1, q2 = (q.id for q in consultation.questions)

    for confirm in (False, True):
        response = post_vote(browser, consultation.id, org.id, {q1: "approve"}, confirm=confirm)
        assert response.status_code == 400
        assert INCOMPLETE in text(response)
        assert 'value="approve" required checked' in text(response), "the given answer is kept"
    assert ballots(consultation.id) == []
    response = post_vote(browser, consultation.id, org.id, {q1: "approve", q2: "maybe"}, confirm=True)
    assert response.status_code == 400
    assert "Una de las respuestas no es válida." in text(response)
    assert ballots(consultation.id) == []


def test_no_answers_at_all_are_refused(browser_a, voting: Open, org_a):
    response = post_vote(browser_a, voting.id, org_a.id, {}, confirm=True)
    assert response.status_code == 400
    assert INCOMPLETE in text(response)
    assert_nothing_stored(voting)


def test_a_person_who_represents_no_organisation_is_told_so_and_cannot_vote(sign_in, make_user, voting: Open):
    browser = sign_in(make_user(name="Vecina sin organización"))
    page = browser.get(f"/consultas/{voting.id}/votar")
    assert page.status_code == 200
    assert NO_ORGANISATION in text(page)
    assert 'name="organisation"' not in text(page)

    org = voting.people[0][0]
    response = post_vote(browser, voting.id, org.id, approve_all(voting), confirm=True)
    assert response.status_code == 403
    assert NOT_AUTHORISED in text(response)
    assert_nothing_stored(voting)


def test_anonymous_visitors_are_sent_to_sign_in(client, voting: Open):
    response = client.get(f"/consultas/{voting.id}/votar")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"

    org = voting.people[0][0]
    response = client.post(
        f"/consultas/{voting.id}/votar",
        data={
            "csrf_token": csrf_token(client),
            "organisation": org.id,
            "step": "confirm",
            **{f"q-{q}": "approve" for q in voting.question_ids},
        },
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert_nothing_stored(voting)


@pytest.mark.parametrize("change", ["password_changed_elsewhere", "account_deactivated"])
def test_a_session_ended_elsewhere_cannot_confirm_a_vote(browser_a, session, voting: Open, org_a, rep_a, change):
    """The confirm step reads the person from the session without loading them; the database
    call still refuses a session whose account changed since (and the person is signed out)."""
    path = f"/consultas/{voting.id}/votar"
    token = csrf_token(browser_a, path)
    if change == "password_changed_elsewhere":
        rep_a.session_version += 1
    else:
        rep_a.active = False
    session.commit()
    response = browser_a.post(
        path,
        data={
            "csrf_token": token,
            "organisation": org_a.id,
            "step": "confirm",
            "submission": "s" * 32,
            **{f"q-{q}": "approve" for q in voting.question_ids},
        },
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert_nothing_stored(voting)
    assert browser_a.get(path).status_code == 302, "signed out"


def test_a_ballot_without_the_csrf_token_is_refused(browser_a, voting: Open, org_a):
    response = browser_a.post(
        f"/consultas/{voting.id}/votar",
        data={"organisation": org_a.id, "step": "confirm", **{f"q-{q}": "approve" for q in voting.question_ids}},
    )
    assert response.status_code == 400
    assert_nothing_stored(voting)


def test_a_receipt_code_is_found_whatever_its_spelling(browser_a, voting: Open, org_a, client):
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    (ballot,) = ballots(voting.id)
    spelled = ballot.receipt_code.replace("-", " ").lower()
    assert normalise_receipt(spelled) == ballot.receipt_code
    path = f"/consultas/{voting.id}/comprobante"
    page = client.post(path, data={"codigo": spelled, "csrf_token": csrf_token(client, path)})
    assert page.status_code == 200
    assert ballot.tracker in text(page)
    assert "Recibido" in text(page)


# --- the same confirmation sent twice ------------------------------------------------------------


def test_a_confirmation_sent_again_casts_one_ballot_and_says_so(browser_a, voting: Open, org_a):
    """A double click, or a request the browser retries: the review page's one-time token makes
    the second one find the first ballot instead of casting another (issue #11)."""
    answers = approve_all(voting)
    first = post_vote(browser_a, voting.id, org_a.id, answers, confirm=True, submission="t" * 32)
    assert first.status_code == 302
    for _ in range(9):
        again = post_vote(browser_a, voting.id, org_a.id, answers, confirm=True, submission="t" * 32)
        assert again.status_code == 302
        assert location_path(again) == f"/consultas/{voting.id}/comprobante/nuevo"
    (ballot,) = ballots(voting.id)
    page = text(browser_a.get(f"/consultas/{voting.id}/comprobante/nuevo", follow_redirects=True))
    assert "Ese voto ya estaba registrado: no se registró dos veces." in page or ballot.receipt_code in page


def test_a_confirmation_without_its_token_is_refused_and_stores_nothing(browser_a, voting: Open, org_a):
    response = post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True, submission="")
    assert response.status_code == 400
    assert "Revise su voto otra vez" in text(response)
    assert_nothing_stored(voting)


def test_two_confirmations_with_different_tokens_are_two_ballots(browser_a, voting: Open, org_a):
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    post_vote(browser_a, voting.id, org_a.id, approve_all(voting), confirm=True)
    assert len(ballots(voting.id)) == 2
