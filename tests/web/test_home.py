"""The home page says what is open for voting now, and to a representative which of their
organisations have voted (issue #16: "a representative is never told what to vote on")."""

from __future__ import annotations

from flask import current_app

from participa.core.db import utcnow
from participa.voting import operations as voting
from tests.fixtures.consultations import voting_consultation
from tests.web.support import text


def test_a_visitor_sees_the_open_consultations_and_is_asked_to_sign_in_to_vote(client, session) -> None:
    consultation, _manager, _people = voting_consultation(
        session, organisations=1, title="Consulta abierta de la plaza"
    )
    page = text(client.get("/"))
    assert "Consulta abierta de la plaza" in page
    assert f"/cuenta/ingresar?next=/consultas/{consultation.id}/votar" in page and "Ingrese para votar" in page


def test_a_representative_sees_which_of_their_organisations_have_voted(sign_in, session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2, title="Consulta de las luminarias")
    (org_a, person_a), (org_b, _person_b) = people
    browser = sign_in(person_a)
    page = text(browser.get("/"))
    assert f"{org_a.legal_name}: <strong>aún no vota</strong>" in page
    assert org_b.legal_name not in page  # another organisation's is not theirs to see here
    voting.cast_ballot(
        session,
        actor=person_a,
        consultation=consultation,
        organisation_id=org_a.id,
        answers={q.id: "approve" for q in consultation.questions},
        now=utcnow(),
        secret_key=current_app.config["SECRET_KEY"],
    )
    session.commit()
    assert f"{org_a.legal_name}: <strong>ya votó</strong>" in text(browser.get("/"))


def test_a_consultation_not_yet_open_is_not_offered(client, session) -> None:
    from datetime import timedelta

    consultation, _manager, _people = voting_consultation(session, organisations=1, title="Consulta que abre mañana")
    consultation.voting_at = utcnow() + timedelta(days=1)
    consultation.voting_ends_at = utcnow() + timedelta(days=2)
    session.commit()
    assert "Consulta que abre mañana" not in text(client.get("/"))
