"""'Mis votos': the only page where a choice is shown, to the organisation's own signed-in
representatives, for ballots cast while they were authorised (DESIGN §4)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participa.core.db import utcnow
from participa.registry.models import Representation
from participa.voting import operations as voting_ops
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import representative_of
from tests.web.support import location_path, text
from tests.web.voting.conftest import Open

SECRET = "test-secret-key-not-for-production"


def cast(session, voting: Open, index: int, choice: str, *, by=None):
    org, person = voting.people[index]
    ballot = voting_ops.cast_ballot(
        session,
        actor=by or person,
        consultation=voting.consultation,
        organisation_id=org.id,
        answers={q: choice for q in voting.question_ids},
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    return ballot


def main(page) -> str:
    return text(page).split("<main", 1)[1].split("</main>", 1)[0]


def test_a_representative_sees_each_ballot_of_their_organisation_with_its_choice(sign_in, voting: Open, session):
    cast(session, voting, 0, "reject")
    cast(session, voting, 0, "approve")
    page = sign_in(voting.people[0][1]).get("/mis-votos")
    assert page.status_code == 200
    body = main(page)
    assert voting.people[0][0].legal_name in body
    assert body.count(voting.consultation.title) == 2
    assert "<strong>Rechazar</strong>" in body and "<strong>Aprobar</strong>" in body
    assert "Reemplazado" in body and "Recibido" in body


def test_a_colleague_authorised_at_the_time_also_sees_the_choice(sign_in, voting: Open, session):
    org = voting.people[0][0]
    colleague = representative_of(session, org)
    cast(session, voting, 0, "abstain")
    assert "<strong>Abstenerse</strong>" in main(sign_in(colleague).get("/mis-votos"))


def test_a_representative_of_another_organisation_never_sees_it(sign_in, voting: Open, session):
    cast(session, voting, 0, "reject")
    body = main(sign_in(voting.people[1][1]).get("/mis-votos"))
    assert voting.people[0][0].legal_name not in body
    assert "Rechazar" not in body
    assert "Esta organización aún no ha votado." in body


def test_someone_authorised_after_the_ballot_sees_its_status_not_its_choice(sign_in, voting: Open, session):
    cast(session, voting, 0, "reject")
    newcomer = representative_of(session, voting.people[0][0])
    session.execute(
        sa.update(Representation)
        .where(Representation.user_id == newcomer.id)
        .values(approved_at=utcnow() + timedelta(seconds=1), decided_at=utcnow())
    )
    session.commit()
    body = main(sign_in(newcomer).get("/mis-votos"))
    assert voting.people[0][0].legal_name in body
    assert "Rechazar" not in body
    assert "Emitida cuando usted no estaba autorizado" in body


def test_a_revoked_representative_no_longer_sees_the_organisation(sign_in, voting: Open, session):
    cast(session, voting, 0, "reject")
    person = voting.people[0][1]
    browser = sign_in(person)
    session.execute(
        sa.update(Representation)
        .where(Representation.user_id == person.id)
        .values(status="revoked", revoked_at=utcnow(), decided_at=utcnow())
    )
    session.commit()
    body = main(browser.get("/mis-votos"))
    assert "Rechazar" not in body and voting.people[0][0].legal_name not in body


def test_staff_without_a_representation_see_no_ballot(sign_in, voting: Open, session):
    cast(session, voting, 0, "reject")
    for role in ("manager", "curator", "certifier", "admin", "municipal_staff"):
        staff = create_user(session, roles=[role], comuna_cut=13128 if role == "municipal_staff" else None)
        body = main(sign_in(staff).get("/mis-votos"))
        assert "Rechazar" not in body and voting.people[0][0].legal_name not in body, role
        assert "No representa a ninguna organización." in body


def test_someone_not_signed_in_is_sent_to_sign_in(client):
    response = client.get("/mis-votos")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
