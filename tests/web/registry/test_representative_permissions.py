"""Who may decide on representations and see supporting documents: curators only, never their
own request; documents only to their owner and curators."""

from __future__ import annotations

import pytest

from participa.accounts.rules import Role
from tests.fixtures.accounts import csrf_token, login
from tests.fixtures.registry import create_organisation
from tests.web.registry.helpers import (
    change_status,
    decide,
    events,
    pdf_bytes,
    post_request,
    representation,
    representations,
    revoke,
    roles_of,
)
from tests.web.support import fresh_client, location_path, text

REASON_REQUIRED = "Escriba el motivo (al menos 3 caracteres)."
OWN_REQUEST = "No puede resolver una solicitud propia: otra persona del equipo debe hacerlo."
NON_CURATOR_ROLES = [
    pytest.param([], id="no-role"),
    pytest.param([Role.REPRESENTATIVE], id="representative"),
    pytest.param([Role.MANAGER], id="manager"),
    pytest.param([Role.CERTIFIER, Role.ADMIN], id="certifier-admin"),
]


@pytest.fixture()
def org(session):
    return create_organisation(session, legal_name="Centro de Padres Escuela Básica 12")


@pytest.fixture()
def pending(person_client, person, org) -> int:
    assert post_request(person_client, org.rut).status_code == 302
    (rep,) = representations(person.id)
    return rep.id


@pytest.mark.parametrize("roles", NON_CURATOR_ROLES)
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_non_curator_cannot_decide_a_representation(roles, decision, make_user, sign_in, pending, person):
    other = sign_in(make_user(roles=roles))
    response = decide(other, pending, decision, "Motivo de la decisión")
    assert response.status_code == 403
    assert representation(pending).status == "requested"
    assert events(f"registry.representation_{'approved' if decision == 'approve' else 'rejected'}") == []
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)


@pytest.mark.parametrize("roles", NON_CURATOR_ROLES)
def test_a_non_curator_cannot_revoke_a_representation(roles, make_user, sign_in, pending, curator_client, person):
    assert decide(curator_client, pending, "approve").status_code == 302
    other = sign_in(make_user(roles=roles))
    response = revoke(other, pending, "Motivo de la revocación")
    assert response.status_code == 403
    assert representation(pending).status == "approved"
    assert Role.REPRESENTATIVE.value in roles_of(person.id)


def test_the_person_cannot_approve_their_own_request_without_the_curator_role(person_client, pending, person):
    assert decide(person_client, pending, "approve").status_code == 403
    assert representation(pending).status == "requested"
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)


@pytest.mark.parametrize("action", ["decision", "revocar"])
def test_an_anonymous_post_is_sent_to_the_login_page(action, app, pending):
    anonymous = fresh_client(app)
    token = csrf_token(anonymous, "/cuenta/ingresar")
    response = anonymous.post(
        f"/catastro/representantes/{pending}/{action}",
        data={"csrf_token": token, "decision": "approve", "reason": "Motivo válido"},
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert f"/catastro/representantes/{pending}/{action}" in response.headers["Location"]
    assert representation(pending).status == "requested"


def test_a_curator_without_the_second_factor_cannot_decide(app, curator, pending):
    browser = fresh_client(app)
    response = login(browser, curator, second_factor=False)
    assert location_path(response) == "/cuenta/segundo-factor"
    token = csrf_token(browser, "/cuenta/segundo-factor")
    response = browser.post(
        f"/catastro/representantes/{pending}/decision", data={"csrf_token": token, "decision": "approve"}
    )
    assert response.status_code == 302
    # Until the code is entered the person is not signed in, or is sent back to the code page.
    assert location_path(response) in ("/cuenta/ingresar", "/cuenta/segundo-factor")
    assert representation(pending).status == "requested"


def test_a_curator_cannot_approve_their_own_request(curator_client, curator, org):
    assert post_request(curator_client, org.rut).status_code == 302
    (own,) = representations(curator.id)

    response = decide(curator_client, own.id, "approve")
    assert response.status_code == 303
    assert location_path(response) == "/catastro/representantes"
    assert OWN_REQUEST in text(curator_client.get("/catastro/representantes"))
    own = representation(own.id)
    assert own.status == "requested"
    assert own.decided_by_id is None
    assert Role.REPRESENTATIVE.value not in roles_of(curator.id)
    assert events("registry.representation_approved") == []


def test_another_curator_can_approve_a_curators_request(make_user, sign_in, curator_client, curator, org):
    assert post_request(curator_client, org.rut).status_code == 302
    (own,) = representations(curator.id)
    colleague = sign_in(make_user(roles=[Role.CURATOR]))
    assert decide(colleague, own.id, "approve").status_code == 302
    assert representation(own.id).status == "approved"
    assert Role.REPRESENTATIVE.value in roles_of(curator.id)


def test_dissolving_an_organisation_rejects_its_pending_requests(curator_client, pending, person, org):
    assert change_status(curator_client, org.id, "dissolve", "Disuelta por resolución municipal").status_code == 302
    rep = representation(pending)
    assert rep.status == "rejected"
    assert rep.reason == "organisation dissolved"
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)
    assert len(events("registry.representation_rejected")) == 1
    response = decide(curator_client, pending, "approve")
    assert response.status_code == 303
    assert "La solicitud ya fue resuelta." in text(curator_client.get(location_path(response)))
    assert representation(pending).status == "rejected"
    assert events("registry.representation_approved") == []


@pytest.mark.parametrize("reason", ["", "  ", "no"])
def test_rejecting_without_a_reason_is_refused(reason, curator_client, pending):
    response = decide(curator_client, pending, "reject", reason)
    assert response.status_code == 303
    assert REASON_REQUIRED in text(curator_client.get(location_path(response)))
    rep = representation(pending)
    assert rep.status == "requested"
    assert rep.decided_at is None
    assert events("registry.representation_rejected") == []


def test_an_unknown_decision_is_refused_with_400(curator_client, pending):
    response = decide(curator_client, pending, "maybe", "Motivo de la decisión")
    assert response.status_code == 400
    assert representation(pending).status == "requested"


# --- supporting document --------------------------------------------------------------------


def test_the_owner_downloads_the_exact_document(person_client, person, org):
    content = pdf_bytes()
    assert post_request(person_client, org.rut, content=content, filename="certificado.pdf").status_code == 302
    (rep,) = representations(person.id)
    response = person_client.get(f"/representaciones/{rep.id}/documento")
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == "application/pdf"
    assert "certificado.pdf" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]


def test_a_curator_downloads_the_document(curator_client, person_client, person, org):
    content = pdf_bytes()
    assert post_request(person_client, org.rut, content=content).status_code == 302
    (rep,) = representations(person.id)
    response = curator_client.get(f"/representaciones/{rep.id}/documento")
    assert response.status_code == 200
    assert response.data == content


@pytest.mark.parametrize("roles", NON_CURATOR_ROLES)
def test_another_person_cannot_see_the_document(roles, make_user, sign_in, pending):
    other = sign_in(make_user(roles=roles))
    response = other.get(f"/representaciones/{pending}/documento")
    assert response.status_code == 403
    assert b"%PDF" not in response.data


def test_an_anonymous_visitor_cannot_see_the_document(app, pending):
    response = fresh_client(app).get(f"/representaciones/{pending}/documento")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
