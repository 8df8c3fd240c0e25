"""Representatives through the real pages: a person asks to represent an organisation with a
supporting document, a curator approves, rejects or revokes, and the representative role follows."""

from __future__ import annotations

import hashlib
import itertools

import pytest
import sqlalchemy as sa

from participa.accounts.rules import Role
from participa.core.rut import check_digit
from participa.registry.models import Representation
from tests.fixtures.registry import create_organisation, rut
from tests.web.registry.helpers import (
    decide,
    events,
    make_representation,
    pdf_bytes,
    post_request,
    representation,
    representations,
    revoke,
    roles_of,
)
from tests.web.support import location_path, text

REQUEST_SENT = "Solicitud enviada. El equipo del catastro la revisará y le avisaremos por correo."
REASON_REQUIRED = "Escriba el motivo (al menos 3 caracteres)."
OWN_REQUEST = "No puede resolver una solicitud propia: otra persona del equipo debe hacerlo."

# A RUT number whose check digit is K, to prove that a lowercase k is accepted.
K_NUMBER = next(n for n in itertools.count(76_000_000) if check_digit(n) == "K")


@pytest.fixture()
def org(session):
    return create_organisation(session, rut=rut(K_NUMBER), legal_name="Junta de Vecinos Villa Los Copihues")


def approved(person_client, curator_client, person, org) -> int:
    """Request through the form and have the curator approve; the representation's id."""
    assert post_request(person_client, org.rut).status_code == 302
    rep_id = [r for r in representations(person.id) if r.organisation_id == org.id][-1].id
    assert decide(curator_client, rep_id, "approve").status_code == 302
    assert representation(rep_id).status == "approved"
    return rep_id


# --- request --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda n: " " + rut(n, dots=True).lower(), id="dots-lowercase-k-leading-space"),
        pytest.param(lambda n: rut(n, dots=True).replace(".", " ").lower() + " ", id="spaces-instead-of-dots"),
        pytest.param(lambda n: rut(n).replace("-", "").lower(), id="no-dash-lowercase-k"),
    ],
)
def test_request_with_any_usual_rut_spelling_stores_a_requested_representation(
    spelling, person_client, person, org, uploads
):
    content = pdf_bytes()
    response = post_request(
        person_client, spelling(K_NUMBER), content=content, filename="acta directorio.pdf", position="tesorero"
    )
    assert response.status_code == 302
    assert location_path(response) == "/mis-organizaciones"
    page = person_client.get("/mis-organizaciones")
    assert REQUEST_SENT in text(page)
    assert "Junta de Vecinos Villa Los Copihues" in text(page)
    assert "En revisión" in text(page)

    (rep,) = representations(person.id)
    assert rep.status == "requested"
    assert rep.organisation_id == org.id
    assert rep.position == "tesorero"
    assert rep.document_name == "acta directorio.pdf"
    assert rep.document_type == "application/pdf"
    assert rep.document_sha256 == hashlib.sha256(content).hexdigest()
    assert rep.decided_at is None and rep.decided_by_id is None
    assert (uploads / "representations" / rep.document_stored).read_bytes() == content
    (event,) = events("registry.representation_requested", "representation", rep.id)
    assert event.actor_id == person.id
    assert event.payload["organisation"] == f"{K_NUMBER}-K"
    # Asking is not holding: no role yet.
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)


@pytest.mark.parametrize(
    ("content", "mime"),
    [(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"), (b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg")],
)
def test_request_accepts_png_and_jpeg_documents_by_their_content(content, mime, person_client, person, org):
    response = post_request(person_client, org.rut, content=content, filename="foto")
    assert response.status_code == 302
    (rep,) = representations(person.id)
    assert rep.document_type == mime


# --- approval -------------------------------------------------------------------------------


def test_curator_approval_makes_the_person_a_representative(person_client, curator_client, person, curator, org):
    assert post_request(person_client, org.rut).status_code == 302
    (rep,) = representations(person.id)

    response = decide(curator_client, rep.id, "approve")
    assert response.status_code == 302
    assert location_path(response) == "/catastro/representantes"
    assert "Solicitud resuelta." in text(curator_client.get("/catastro/representantes"))

    rep = representation(rep.id)
    assert rep.status == "approved"
    assert rep.decided_by_id == curator.id
    assert rep.decided_at is not None
    assert Role.REPRESENTATIVE.value in roles_of(person.id)
    (approval,) = events("registry.representation_approved", "representation", rep.id)
    assert approval.actor_id == curator.id
    (grant,) = events("role.granted", "user", person.id)
    assert grant.actor_id == curator.id
    assert grant.payload["role"] == Role.REPRESENTATIVE.value
    assert "Aprobada" in text(person_client.get("/mis-organizaciones"))


def test_curator_rejection_with_reason_rejects_and_grants_no_role(person_client, curator_client, person, org):
    assert post_request(person_client, org.rut).status_code == 302
    (rep,) = representations(person.id)

    response = decide(curator_client, rep.id, "reject", "El documento no corresponde al directorio vigente")
    assert response.status_code == 302
    rep = representation(rep.id)
    assert rep.status == "rejected"
    assert rep.reason == "El documento no corresponde al directorio vigente"
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)
    assert len(events("registry.representation_rejected", "representation", rep.id)) == 1
    assert events("role.granted", "user", person.id) == []
    page = text(person_client.get("/mis-organizaciones"))
    assert "Rechazada: El documento no corresponde al directorio vigente" in page


def test_a_resolved_request_cannot_be_decided_again(person_client, curator_client, person, org):
    rep_id = approved(person_client, curator_client, person, org)
    response = decide(curator_client, rep_id, "reject", "Cambio de opinión")
    assert response.status_code == 303
    assert "La solicitud ya fue resuelta." in text(curator_client.get("/catastro/representantes"))
    assert representation(rep_id).status == "approved"
    assert events("registry.representation_rejected", "representation", rep_id) == []


# --- revocation -----------------------------------------------------------------------------


def test_revocation_with_reason_revokes_and_removes_the_role(person_client, curator_client, person, curator, org):
    rep_id = approved(person_client, curator_client, person, org)

    response = revoke(curator_client, rep_id, "Ya no integra el directorio")
    assert response.status_code == 302
    assert location_path(response) == f"/catastro/organizaciones/{org.id}"
    assert "Representación revocada." in text(curator_client.get(f"/catastro/organizaciones/{org.id}"))

    rep = representation(rep_id)
    assert rep.status == "revoked"
    assert rep.reason == "Ya no integra el directorio"
    assert rep.decided_by_id == curator.id
    assert Role.REPRESENTATIVE.value not in roles_of(person.id)
    (event,) = events("registry.representation_revoked", "representation", rep_id)
    assert event.actor_id == curator.id
    assert event.payload["reason"] == "Ya no integra el directorio"
    (role_event,) = events("role.revoked", "user", person.id)
    assert role_event.payload["role"] == Role.REPRESENTATIVE.value


def test_revocation_keeps_the_role_while_another_approved_representation_remains(
    session, person_client, curator_client, person, org
):
    other = create_organisation(session, legal_name="Club Deportivo Estrella")
    first = approved(person_client, curator_client, person, org)
    approved(person_client, curator_client, person, other)

    assert revoke(curator_client, first, "Renunció a la presidencia").status_code == 302
    assert representation(first).status == "revoked"
    assert Role.REPRESENTATIVE.value in roles_of(person.id)
    assert events("role.revoked", "user", person.id) == []
    assert len(events("registry.representation_revoked", "representation", first)) == 1


@pytest.mark.parametrize("reason", ["", "   ", "ab"])
def test_revocation_without_reason_is_refused_and_changes_nothing(reason, person_client, curator_client, person, org):
    rep_id = approved(person_client, curator_client, person, org)

    response = revoke(curator_client, rep_id, reason)
    assert response.status_code == 302
    assert REASON_REQUIRED in text(curator_client.get(location_path(response)))
    rep = representation(rep_id)
    assert rep.status == "approved"
    assert rep.reason is None
    assert Role.REPRESENTATIVE.value in roles_of(person.id)
    assert events("registry.representation_revoked", "representation", rep_id) == []


def test_only_an_approved_representation_can_be_revoked(person_client, curator_client, person, org):
    assert post_request(person_client, org.rut).status_code == 302
    (rep,) = representations(person.id)
    response = revoke(curator_client, rep.id, "Motivo suficiente")
    assert response.status_code == 302
    assert "Solo se puede revocar una representación aprobada." in text(curator_client.get(location_path(response)))
    assert representation(rep.id).status == "requested"


def test_a_revoked_person_may_ask_again_for_the_same_organisation(person_client, curator_client, person, org, sign_in):
    rep_id = approved(person_client, curator_client, person, org)
    assert revoke(curator_client, rep_id, "Directorio renovado").status_code == 302
    # Losing the representative role ended the person's sessions: they sign in again.
    assert person_client.get("/mis-organizaciones").status_code == 302
    assert post_request(sign_in(person), org.rut).status_code == 302
    assert [r.status for r in representations(person.id)] == ["revoked", "requested"]


def test_only_one_open_request_per_person_and_organisation_exists_in_the_database(session, person, org):
    make_representation(session, person, org)
    with pytest.raises(sa.exc.IntegrityError):
        make_representation(session, person, org, status="approved")
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(Representation)).scalar_one() == 1
