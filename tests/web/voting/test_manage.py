"""Consultation managers (GORE) through the real pages: the list, creating a consultation with
dates in Santiago time, the schedule-order message, advancing a phase; other roles refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from participa.accounts.rules import Role
from participa.consultations import operations as consultations
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db
from participa.projects.models import Project
from participa.projects.rules import ProjectState
from tests.fixtures.accounts import csrf_token
from tests.fixtures.consultations import admissible_project, consultation_data
from tests.web.support import location_path, text

NEW = "/gore/consultas/nueva"
SCHEDULE_ORDER = "Las fechas deben seguir el orden: información, propuestas, apertura y cierre de la votación."


@pytest.fixture()
def manager(make_user):
    return make_user(name="Gabriela Gestora", roles=[Role.MANAGER])


@pytest.fixture()
def manager_client(sign_in, manager):
    return sign_in(manager)


@pytest.fixture()
def curator_client(sign_in, make_user):
    return sign_in(make_user(name="Carla Curadora", roles=[Role.CURATOR]))


@pytest.fixture()
def project(session, uploads):
    return admissible_project(session, title="Plaza activa Villa Esperanza")


@pytest.fixture()
def draft(session, manager, project) -> Consultation:
    consultation = consultations.create_consultation(
        session, actor=manager, data=consultation_data([project.id], title="Consulta Plaza Villa Esperanza")
    )
    session.commit()
    return consultation


def form(project_ids: list[int], **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Consulta Sede Social Los Aromos",
        "description": "Decida si se construye la sede.",
        "participation_level": "binding",
        "projects": project_ids,
        # Winter (UTC-4) and summer (UTC-3) time in Santiago.
        "information_at": "2030-07-01T09:00",
        "proposals_at": "2030-08-01T09:00",
        "voting_at": "2030-12-01T10:00",
        "voting_ends_at": "2031-01-15T18:00",
        "electorate_comunas": [13128],
        "cutoff_date": "2030-06-30",
        "weight_base": "equal",
        "quorum_percent": "30",
        "majority": "simple",
        "revote_policy": "last",
        "secrecy": "secret",
    }
    values.update(overrides)
    return values


def titled(title: str) -> list[Consultation]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Consultation).where(Consultation.title == title)).scalars())


def test_the_manager_list_shows_consultations_with_their_phase(manager_client, draft):
    page = manager_client.get("/gore/consultas")
    assert page.status_code == 200
    assert re.search(
        rf'<a href="/gore/consultas/{draft.id}">Consulta Plaza Villa Esperanza</a></td><td>Borrador', text(page)
    )


def test_the_new_consultation_form_offers_admissible_projects_only(manager_client, project, session, make_user):
    from participa.projects import operations as projects
    from tests.fixtures.consultations import project_data

    staff = make_user(roles=[Role.MUNICIPAL_STAFF], comuna_cut=13128)
    projects.create_project(session, actor=staff, data=project_data(title="Borrador no admisible"))
    session.commit()
    page = manager_client.get(NEW)
    assert page.status_code == 200
    assert f'value="{project.id}"' in text(page)
    assert "Renca: Plaza activa Villa Esperanza" in text(page)
    assert "Borrador no admisible" not in text(page)


def test_a_manager_creates_a_consultation_with_santiago_times_stored_in_utc(manager_client, manager, project):
    response = manager_client.post(NEW, data={**form([project.id]), "csrf_token": csrf_token(manager_client, NEW)})
    assert response.status_code == 302, text(response)

    (created,) = titled("Consulta Sede Social Los Aromos")
    assert location_path(response) == f"/gore/consultas/{created.id}"
    assert created.phase == Phase.DRAFT
    assert created.created_by_id == manager.id
    assert created.participation_level == "binding"
    assert [q.project_id for q in created.questions] == [project.id]
    assert created.information_at == datetime(2030, 7, 1, 13, 0, tzinfo=UTC)
    assert created.proposals_at == datetime(2030, 8, 1, 13, 0, tzinfo=UTC)
    assert created.voting_at == datetime(2030, 12, 1, 13, 0, tzinfo=UTC)
    assert created.voting_ends_at == datetime(2031, 1, 15, 21, 0, tzinfo=UTC)
    assert created.electorate_comunas == [13128]
    assert created.electorate_types == []
    assert created.cutoff_date == date(2030, 6, 30)
    assert created.weight_scheme["base"] == "equal"
    assert created.quorum == Decimal("0.3")
    assert (created.majority_numerator, created.majority_denominator, created.majority_strict) == (1, 2, True)
    assert (created.revote_policy, created.secrecy) == ("last", "secret")
    assert db.session.get(Project, project.id).state == ProjectState.ADMISSIBLE, "only opening puts it in consultation"

    page = text(manager_client.get(location_path(response)))
    assert "Consulta creada como borrador." in page
    assert "Etapa actual: <strong>Borrador</strong>" in page


def test_dates_out_of_order_are_refused_with_a_message_and_nothing_is_stored(manager_client, project):
    data = form([project.id], voting_at="2031-02-01T10:00")  # opens after it closes
    response = manager_client.post(NEW, data={**data, "csrf_token": csrf_token(manager_client, NEW)})
    assert response.status_code == 400
    assert SCHEDULE_ORDER in text(response)
    assert titled("Consulta Sede Social Los Aromos") == []


def test_a_form_without_projects_is_refused_with_a_message(manager_client, project):
    response = manager_client.post(NEW, data={**form([]), "csrf_token": csrf_token(manager_client, NEW)})
    assert response.status_code == 400
    assert "Elija al menos un proyecto." in text(response)
    assert titled("Consulta Sede Social Los Aromos") == []


def test_a_curator_cannot_see_or_use_the_manager_pages(curator_client, draft, project):
    token = csrf_token(curator_client, "/cuenta/")
    assert curator_client.get("/gore/consultas").status_code == 403
    assert curator_client.get(NEW).status_code == 403
    assert curator_client.post(NEW, data={**form([project.id]), "csrf_token": token}).status_code == 403
    assert curator_client.get(f"/gore/consultas/{draft.id}").status_code == 403
    assert curator_client.post(f"/gore/consultas/{draft.id}/avanzar", data={"csrf_token": token}).status_code == 403
    assert titled("Consulta Sede Social Los Aromos") == []
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.DRAFT


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    for path in ("/gore/consultas", NEW, f"/gore/consultas/{draft.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert location_path(response) == "/cuenta/ingresar"


def test_advancing_a_draft_opens_the_information_phase_and_puts_its_projects_in_consultation(
    manager_client, draft, project
):
    manage = f"/gore/consultas/{draft.id}"
    assert "Pasar a la etapa: Información" in text(manager_client.get(manage))
    confirm = text(manager_client.get(f"{manage}/avanzar"))
    assert "¿Pasar a la etapa «Información» ahora?" in confirm and "quedan «en consulta»" in confirm
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.DRAFT  # the page alone changes nothing
    token = csrf_token(manager_client, f"{manage}/avanzar")
    response = manager_client.post(f"{manage}/avanzar", data={"csrf_token": token, "target": "information"})
    assert response.status_code == 302
    assert location_path(response) == manage

    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.INFORMATION
    assert db.session.get(Project, project.id).state == ProjectState.IN_CONSULTATION
    page = text(manager_client.get(manage))
    assert "Etapa cambiada a: Información." in page
    assert "Etapa actual: <strong>Información</strong>" in page


def test_advancing_without_the_csrf_token_changes_nothing(manager_client, draft, project):
    response = manager_client.post(f"/gore/consultas/{draft.id}/avanzar")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.DRAFT
    assert db.session.get(Project, project.id).state == ProjectState.ADMISSIBLE


def test_the_manager_cannot_advance_past_counting_by_hand(manager_client, session, manager, draft):
    for target in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING, Phase.COUNTING):
        consultations.change_phase(session, actor=manager, consultation=draft, target=target, now=datetime.now(UTC))
    session.commit()
    manage = f"/gore/consultas/{draft.id}"
    assert "Pasar a la etapa" not in text(manager_client.get(manage))
    response = manager_client.post(f"{manage}/avanzar", data={"csrf_token": csrf_token(manager_client, manage)})
    assert response.status_code == 302
    assert "Ese cambio de etapa no está permitido." in text(manager_client.get(manage))
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.COUNTING


# --- the roll preview and what a secret ballot's totals could reveal ---------------------------


def test_before_voting_the_manager_previews_the_roll_and_is_warned_of_distinct_weights(
    manager_client, manager, session, project
):
    from tests.fixtures.registry import create_organisation

    for members in (4, 9, 16):
        create_organisation(session, members_count=members)
    draft = consultations.create_consultation(
        session, actor=manager, data=consultation_data([project.id], weight_scheme={"base": "sqrt_members"})
    )
    session.commit()
    page = manager_client.get(f"/gore/consultas/{draft.id}/padron")
    assert page.status_code == 200
    body = text(page)
    assert "Padrón previo" in body
    assert "raíz cuadrada de 9 socios: 3,000000" in body
    assert "3 de 3 organizaciones tienen un peso que ninguna otra tiene" in body
    assert "Puede reducir el riesgo" in body
    assert "3 de 3 organizaciones tienen un peso" in text(manager_client.get(f"/gore/consultas/{draft.id}"))
    assert db.session.get(Consultation, draft.id).roll_frozen_at is None, "a preview freezes nothing"


def test_equal_weights_bring_no_warning(manager_client, manager, session, project):
    from tests.fixtures.registry import create_organisation

    for _ in range(3):
        create_organisation(session)
    draft = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    session.commit()
    body = text(manager_client.get(f"/gore/consultas/{draft.id}/padron"))
    assert "Padrón previo" in body and "igual para todas: 1" in body
    assert "Secreto del voto" not in body


def test_a_named_consultation_brings_no_secrecy_warning(manager_client, manager, session, project):
    from tests.fixtures.registry import create_organisation

    for members in (4, 9):
        create_organisation(session, members_count=members)
    draft = consultations.create_consultation(
        session,
        actor=manager,
        data=consultation_data([project.id], weight_scheme={"base": "sqrt_members"}, secrecy="named"),
    )
    session.commit()
    assert "Secreto del voto" not in text(manager_client.get(f"/gore/consultas/{draft.id}/padron"))


def test_the_roll_preview_is_for_staff_only(client, curator_client, draft):
    assert client.get(f"/gore/consultas/{draft.id}/padron").status_code == 302
    assert curator_client.get(f"/gore/consultas/{draft.id}/padron").status_code == 403


def test_a_second_click_on_a_confirmation_changes_nothing_more(manager_client, draft):
    manage = f"/gore/consultas/{draft.id}"
    token = csrf_token(manager_client, f"{manage}/avanzar")
    first = manager_client.post(f"{manage}/avanzar", data={"csrf_token": token, "target": "information"})
    again = manager_client.post(f"{manage}/avanzar", data={"csrf_token": token, "target": "information"})
    assert first.status_code == again.status_code == 302
    assert "ya había cambiado de etapa" in text(manager_client.get(manage))
    db.session.expire_all()
    assert db.session.get(Consultation, draft.id).phase == Phase.INFORMATION


def test_opening_the_vote_early_says_so_and_moves_the_published_date(manager_client, session, manager, draft):
    for target in (Phase.INFORMATION, Phase.PROPOSALS):
        consultations.change_phase(session, actor=manager, consultation=draft, target=target, now=datetime.now(UTC))
    draft.voting_at = datetime.now(UTC) + timedelta(days=5)
    draft.voting_ends_at = datetime.now(UTC) + timedelta(days=9)
    session.commit()
    manage = f"/gore/consultas/{draft.id}"
    confirm = text(manager_client.get(f"{manage}/avanzar"))
    assert "Es antes de lo publicado" in confirm and "Se congela el padrón" in confirm
    token = csrf_token(manager_client, f"{manage}/avanzar")
    manager_client.post(f"{manage}/avanzar", data={"csrf_token": token, "target": "voting"})
    db.session.expire_all()
    opened = db.session.get(Consultation, draft.id)
    assert opened.phase == Phase.VOTING
    assert opened.voting_at <= datetime.now(UTC)  # the published date says what happened
    from participa.consultations.operations import schedule_of
    from participa.consultations.rules import voting_open

    # The ballot page agrees: voting is open (before, it said closed until the old date). The
    # roll is frozen by a worker once the change commits (in-process on the embedded leg).
    assert voting_open(opened.phase, schedule_of(opened), datetime.now(UTC), True)
