"""The curator's status workflow through POST /catastro/organizaciones/<id>/estado: verify,
suspend, reinstate, dissolve, each with a reason and an audit event; refusals change nothing."""

from __future__ import annotations

import pytest

from participa.accounts.rules import Role
from tests.fixtures.accounts import csrf_token
from tests.fixtures.registry import create_organisation
from tests.web.registry.helpers import change_status, events, organisation
from tests.web.support import fresh_client, location_path, text

NOT_ALLOWED = "Esa acción no es posible en el estado actual de la organización."
STATUS_LABEL = {"verified": "Verificada", "suspended": "Suspendida", "dissolved": "Disuelta"}


@pytest.mark.parametrize(
    ("initial", "action", "target"),
    [
        ("pending", "verify", "verified"),
        ("pending", "suspend", "suspended"),
        ("pending", "dissolve", "dissolved"),
        ("verified", "suspend", "suspended"),
        ("verified", "dissolve", "dissolved"),
        ("suspended", "reinstate", "verified"),
        ("suspended", "dissolve", "dissolved"),
    ],
)
def test_a_curator_changes_the_status_with_a_reason_and_an_audit_event(
    initial, action, target, session, curator_client, curator
):
    org = create_organisation(session, status=initial)
    reason = f"Revisión documental: {action} según certificado municipal"

    response = change_status(curator_client, org.id, action, reason)
    assert response.status_code == 302
    assert location_path(response) == f"/catastro/organizaciones/{org.id}"
    page = text(curator_client.get(f"/catastro/organizaciones/{org.id}"))
    assert f"Estado actualizado: {STATUS_LABEL[target]}." in page
    assert reason in page

    changed = organisation(org.id)
    assert changed.status == target
    assert changed.status_reason == reason
    assert changed.status_changed_at is not None
    (event,) = events(f"registry.organisation_{action}", "organisation", org.id)
    assert event.actor_id == curator.id
    assert event.payload == {"from": initial, "to": target, "reason": reason}


def test_the_whole_life_of_an_organisation_is_recorded_in_order(session, curator_client):
    org = create_organisation(session, status="pending")
    steps = [("verify", "verified"), ("suspend", "suspended"), ("reinstate", "verified"), ("dissolve", "dissolved")]
    for action, target in steps:
        assert change_status(curator_client, org.id, action, f"Paso {action}").status_code == 302
        assert organisation(org.id).status == target
        assert organisation(org.id).status_reason == f"Paso {action}"
    trail = [events(f"registry.organisation_{a}", "organisation", org.id) for a, _ in steps]
    assert [len(t) for t in trail] == [1, 1, 1, 1]
    ids = [t[0].id for t in trail]
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Este campo es obligatorio."),
        ("   ", "Este campo es obligatorio."),
        ("ok", "Escriba entre 3 y 2000 caracteres."),
    ],
)
def test_a_missing_reason_is_refused_with_400_and_changes_nothing(reason, message, session, curator_client):
    org = create_organisation(session, status="pending")
    response = change_status(curator_client, org.id, "verify", reason)
    assert response.status_code == 400
    assert message in text(response)
    unchanged = organisation(org.id)
    assert unchanged.status == "pending"
    assert unchanged.status_reason is None
    assert unchanged.status_changed_at is None
    assert events("registry.organisation_verify") == []


@pytest.mark.parametrize(
    ("initial", "action"),
    [
        ("dissolved", "verify"),
        ("dissolved", "reinstate"),
        ("dissolved", "suspend"),
        ("dissolved", "dissolve"),
        ("verified", "verify"),
        ("verified", "reinstate"),
        ("pending", "reinstate"),
        ("suspended", "suspend"),
        ("suspended", "verify"),
    ],
)
def test_a_transition_that_is_not_allowed_is_refused_with_400_and_changes_nothing(
    initial, action, session, curator_client
):
    org = create_organisation(session, status=initial, status_reason="Motivo anterior")
    response = change_status(curator_client, org.id, action, "Intento de cambio")
    assert response.status_code == 400
    assert NOT_ALLOWED in text(response)
    unchanged = organisation(org.id)
    assert unchanged.status == initial
    assert unchanged.status_reason == "Motivo anterior"
    assert unchanged.status_changed_at is None
    assert events(f"registry.organisation_{action}") == []


def test_an_unknown_action_is_refused_with_400(session, curator_client):
    org = create_organisation(session, status="verified")
    response = change_status(curator_client, org.id, "delete", "Borrar la organización")
    assert response.status_code == 400
    assert organisation(org.id).status == "verified"


def test_an_unknown_organisation_gives_404(curator_client):
    assert change_status(curator_client, 999_999, "verify", "Motivo suficiente").status_code == 404


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param([], id="no-role"),
        pytest.param([Role.REPRESENTATIVE], id="representative"),
        pytest.param([Role.MANAGER], id="manager"),
        pytest.param([Role.ADMIN], id="admin"),
    ],
)
def test_a_non_curator_gets_403_and_changes_nothing(roles, session, make_user, sign_in):
    org = create_organisation(session, status="pending")
    browser = sign_in(make_user(roles=roles))
    response = change_status(browser, org.id, "verify", "Me parece bien")
    assert response.status_code == 403
    assert organisation(org.id).status == "pending"
    assert events("registry.organisation_verify") == []
    assert browser.get(f"/catastro/organizaciones/{org.id}").status_code == 403


def test_an_anonymous_post_is_sent_to_login(app, session):
    org = create_organisation(session, status="pending")
    anonymous = fresh_client(app)
    token = csrf_token(anonymous, "/cuenta/ingresar")
    response = anonymous.post(
        f"/catastro/organizaciones/{org.id}/estado",
        data={"csrf_token": token, "action": "verify", "reason": "Motivo suficiente"},
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert organisation(org.id).status == "pending"


def test_a_post_without_csrf_token_is_refused(session, curator_client):
    org = create_organisation(session, status="pending")
    response = curator_client.post(
        f"/catastro/organizaciones/{org.id}/estado", data={"action": "verify", "reason": "Motivo suficiente"}
    )
    assert response.status_code == 400
    assert organisation(org.id).status == "pending"
