"""A request to represent an organisation that cannot be accepted gets a 400, a clear Spanish
message, and leaves nothing behind: no row, no audit event, no file."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from participa.core import db
from participa.registry.models import Representation
from tests.fixtures.accounts import csrf_token
from tests.fixtures.registry import create_organisation, rut, wrong_check_digit
from tests.web.registry.helpers import (
    MY_ORGS,
    decide,
    events,
    files_in,
    pdf_bytes,
    post_request,
    representations,
)
from tests.web.support import fresh_client, location_path, text


@pytest.fixture()
def org(session):
    return create_organisation(session, legal_name="Agrupación Cultural Raíces")


@pytest.fixture()
def folder(uploads):
    return uploads / "representations"


def assert_nothing_stored(person_id: int, folder, before: set[str]) -> None:
    assert representations(person_id) == []
    assert events("registry.representation_requested") == []
    assert files_in(folder) == before


def representation_count() -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(Representation)).scalar_one()


def test_a_wrong_check_digit_is_refused_with_a_message_about_it(person_client, person, org, folder):
    before = files_in(folder)
    number = int(org.rut.split("-")[0])
    response = post_request(person_client, wrong_check_digit(number))
    assert response.status_code == 400
    assert "El RUT no es válido: revise el dígito verificador." in text(response)
    assert_nothing_stored(person.id, folder, before)


@pytest.mark.parametrize("bad", ["hola", "12.345.678-", "0-0", "1234567-85"])
def test_text_that_is_not_a_rut_is_refused(bad, person_client, person, folder):
    before = files_in(folder)
    response = post_request(person_client, bad)
    assert response.status_code == 400
    assert "Escriba un RUT, por ejemplo 65.123.456-7." in text(response)
    assert_nothing_stored(person.id, folder, before)


def test_an_organisation_missing_from_the_registry_is_refused(person_client, person, org, folder):
    before = files_in(folder)
    response = post_request(person_client, rut(77_123_456, dots=True))
    assert response.status_code == 400
    assert "No hay una organización con ese RUT en el catastro." in text(response)
    assert_nothing_stored(person.id, folder, before)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        pytest.param(b"Acta de eleccion del directorio, texto plano.\n", "acta.pdf", id="text-renamed-pdf"),
        pytest.param(b"<html><body>acta</body></html>", "acta.png", id="html-renamed-png"),
        pytest.param(b"PK\x03\x04 word document", "acta.jpg", id="zip-renamed-jpg"),
    ],
)
def test_a_document_that_is_not_pdf_jpg_or_png_is_refused_and_leaves_no_file(
    content, filename, person_client, person, org, folder
):
    before = files_in(folder)
    response = post_request(person_client, org.rut, content=content, filename=filename)
    assert response.status_code == 400
    assert "El documento debe ser PDF, JPG o PNG." in text(response)
    assert_nothing_stored(person.id, folder, before)


def test_an_empty_document_is_refused(person_client, person, org, folder):
    before = files_in(folder)
    response = post_request(person_client, org.rut, content=b"", filename="acta.pdf")
    assert response.status_code == 400
    assert "El documento está vacío." in text(response)
    assert_nothing_stored(person.id, folder, before)


def test_a_request_without_a_document_is_refused(person_client, person, org, folder):
    before = files_in(folder)
    token = csrf_token(person_client, MY_ORGS)
    response = person_client.post(
        MY_ORGS,
        data={"csrf_token": token, "rut": org.rut, "position": "presidente"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Adjunte el documento." in text(response)
    assert_nothing_stored(person.id, folder, before)


def test_an_unknown_position_is_refused(person_client, person, org, folder):
    before = files_in(folder)
    response = post_request(person_client, org.rut, position="dueño")
    assert response.status_code == 400
    assert_nothing_stored(person.id, folder, before)


def test_a_second_request_while_one_is_pending_is_refused(person_client, person, org, folder):
    assert post_request(person_client, org.rut).status_code == 302
    before = files_in(folder)
    assert len(before) == 1

    response = post_request(person_client, rut(int(org.rut.split("-")[0]), dots=True))
    assert response.status_code == 400
    assert "Ya tiene una solicitud en revisión o aprobada para esa organización." in text(response)
    assert len(representations(person.id)) == 1
    assert len(events("registry.representation_requested")) == 1
    assert files_in(folder) == before


def test_a_second_request_after_approval_is_refused(person_client, curator_client, person, org, folder):
    assert post_request(person_client, org.rut).status_code == 302
    (rep,) = representations(person.id)
    assert decide(curator_client, rep.id, "approve").status_code == 302
    response = post_request(person_client, org.rut)
    assert response.status_code == 400
    assert "Ya tiene una solicitud en revisión o aprobada para esa organización." in text(response)
    assert len(representations(person.id)) == 1


def test_two_people_may_ask_to_represent_the_same_organisation(make_user, sign_in, person_client, person, org):
    assert post_request(person_client, org.rut).status_code == 302
    other = make_user(name="Segunda Persona")
    assert post_request(sign_in(other), org.rut, position="secretario").status_code == 302
    assert representation_count() == 2


def test_a_dissolved_organisation_is_refused(session, person_client, person, folder):
    dissolved = create_organisation(session, status="dissolved", legal_name="Junta Disuelta")
    before = files_in(folder)
    response = post_request(person_client, dissolved.rut)
    assert response.status_code == 400
    assert "La organización figura como disuelta." in text(response)
    assert_nothing_stored(person.id, folder, before)


def test_an_anonymous_visitor_is_sent_to_login_before_asking(app, org):
    anonymous = fresh_client(app)
    token = csrf_token(anonymous, "/cuenta/ingresar")
    response = anonymous.post(
        MY_ORGS,
        data={
            "csrf_token": token,
            "rut": org.rut,
            "position": "presidente",
            "document": (io.BytesIO(pdf_bytes()), "acta.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert representation_count() == 0
