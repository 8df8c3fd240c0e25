"""Proposals through the pages: published once admissible, moderation and answers refused with
a reason rather than a server error (issue #4, review findings)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participa.accounts.rules import Role
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.proposals import operations as proposals
from participa.proposals.models import Proposal
from tests.fixtures.accounts import csrf_token
from tests.fixtures.consultations import admissible_project, consultation_data, representative_of
from tests.fixtures.registry import create_organisation


def proposals_phase(session, make_user):
    project = admissible_project(session)
    manager = make_user(roles=[Role.MANAGER])
    now = utcnow()
    consultation = consultations.create_consultation(
        session,
        actor=manager,
        data=consultation_data(
            [project.id],
            information_at=now - timedelta(days=2),
            proposals_at=now - timedelta(days=1),
            voting_at=now + timedelta(days=1),
            voting_ends_at=now + timedelta(days=2),
        ),
    )
    for target in (Phase.INFORMATION, Phase.PROPOSALS):
        consultations.change_phase(session, actor=manager, consultation=consultation, target=target, now=now)
    session.commit()
    org = create_organisation(session)
    person = representative_of(session, org)
    proposal = proposals.file_proposal(
        session,
        actor=person,
        consultation=consultation,
        question_id=consultation.questions[0].id,
        organisation_id=org.id,
        kind="proposal",
        title="Bancas con sombra",
        body="Proponemos instalar bancas bajo los árboles del sector oriente.",
        now=utcnow(),
    )
    session.commit()
    return consultation, manager, project, proposal


def test_a_proposal_is_published_only_once_found_admissible(client, session, make_user) -> None:
    consultation, _manager, _project, proposal = proposals_phase(session, make_user)
    proposal.status = "pending"
    session.commit()
    page = client.get(f"/consultas/{consultation.id}/propuestas").get_data(as_text=True)
    assert "Bancas con sombra" not in page
    proposals.evaluate_proposal(session, proposal.id)
    session.commit()
    page = client.get(f"/consultas/{consultation.id}/propuestas").get_data(as_text=True)
    assert "Bancas con sombra" in page


def test_hiding_with_a_reason_that_is_only_markup_is_refused_with_a_message(sign_in, session, make_user) -> None:
    consultation, manager, _project, proposal = proposals_phase(session, make_user)
    browser = sign_in(manager)
    token = csrf_token(browser, f"/consultas/{consultation.id}/propuestas")
    response = browser.post(
        f"/propuestas/{proposal.id}/ocultar", data={"csrf_token": token, "reason": "<b></b>"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Escriba el motivo." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Proposal, proposal.id).hidden is False


def test_the_comunas_answer_is_never_replaced(session, make_user) -> None:
    _consultation, _manager, project, proposal = proposals_phase(session, make_user)
    staff = make_user(roles=[Role.MUNICIPAL_STAFF], comuna_cut=project.comuna_cut)
    proposals.evaluate_proposal(session, proposal.id)
    proposals.answer_proposal(session, actor=staff, proposal=proposal, text="Lo incluiremos en el diseño.")
    session.commit()
    try:
        proposals.answer_proposal(session, actor=staff, proposal=proposal, text="Otra respuesta")
    except proposals.ProposalError as error:
        assert error.code == "already_answered"
    else:
        raise AssertionError("a second answer was accepted")
    session.rollback()
    assert session.get(Proposal, proposal.id).answer == "Lo incluiremos en el diseño."


def test_a_draft_consultation_is_unknown_to_the_public_pages(client, session, make_user) -> None:
    project = admissible_project(session)
    manager = make_user(roles=[Role.MANAGER])
    draft = consultations.create_consultation(
        session, actor=manager, data=consultation_data([project.id], title="Borrador secreto")
    )
    session.commit()
    for path in ("comprobante?codigo=AAAA-BBBB-CCCC-DDDD", "resultado", "comprobantes", "propuestas", ""):
        response = client.get(f"/consultas/{draft.id}/{path}".rstrip("/"))
        assert response.status_code == 404, path
        assert "Borrador secreto" not in response.get_data(as_text=True), path
    assert session.execute(sa.select(Proposal)).first() is None
