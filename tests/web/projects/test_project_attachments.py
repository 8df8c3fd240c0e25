"""Project attachments: checked by content, stored outside static/, served only to whoever may
see the project (its comuna and GORE staff; everyone once it is under consultation)."""

from __future__ import annotations

import hashlib

import pytest

from participa.accounts.rules import Role
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.projects.rules import ProjectState
from tests.fixtures.consultations import consultation_data
from tests.web.projects.helpers import TYPE_REFUSED, attach, attachments, create, evaluate, pdf_bytes, project, submit
from tests.web.support import location_path, text


@pytest.fixture()
def project_a(staff_a_client) -> int:
    return create(staff_a_client)


@pytest.fixture()
def stored_pdf(staff_a_client, project_a) -> tuple[int, bytes]:
    content = pdf_bytes()
    response = attach(staff_a_client, project_a, content, "ficha técnica.pdf")
    assert response.status_code == 302
    (attachment,) = attachments(project_a)
    return attachment.id, content


def files(uploads) -> list:
    folder = uploads / "projects"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_pdf_is_accepted_and_stored_with_its_type_size_and_hash(staff_a_client, project_a, staff_a, uploads):
    content = pdf_bytes()
    response = attach(staff_a_client, project_a, content, "ficha técnica.pdf")
    assert response.status_code == 302
    assert location_path(response) == f"/proyectos/{project_a}"

    (attachment,) = attachments(project_a)
    assert attachment.filename == "ficha técnica.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by_id == staff_a.id
    (on_disk,) = files(uploads)
    assert on_disk.read_bytes() == content
    page = text(staff_a_client.get(location_path(response)))
    assert "Documento adjuntado." in page
    assert "ficha técnica.pdf" in page


def test_a_text_file_renamed_pdf_is_refused_and_leaves_no_row_and_no_file(staff_a_client, project_a, uploads):
    response = attach(staff_a_client, project_a, b"esto no es un PDF, solo texto\n", "ficha.pdf")
    assert response.status_code == 400
    assert TYPE_REFUSED in text(response)
    assert attachments(project_a) == []
    assert files(uploads) == []


def test_an_empty_file_is_refused_with_a_message(staff_a_client, project_a, uploads):
    response = attach(staff_a_client, project_a, b"", "vacio.pdf")
    assert response.status_code == 400
    assert attachments(project_a) == []
    assert files(uploads) == []


def test_the_comuna_staff_download_the_attachment(staff_a_client, project_a, stored_pdf):
    attachment_id, content = stored_pdf
    response = staff_a_client.get(f"/proyectos/{project_a}/adjuntos/{attachment_id}")
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_staff_of_another_comuna_cannot_download_it_before_the_consultation(staff_b_client, project_a, stored_pdf):
    attachment_id, _content = stored_pdf
    assert staff_b_client.get(f"/proyectos/{project_a}/adjuntos/{attachment_id}").status_code == 403


def test_anonymous_visitors_get_not_found_before_the_consultation(client, project_a, stored_pdf):
    attachment_id, _content = stored_pdf
    assert client.get(f"/proyectos/{project_a}/adjuntos/{attachment_id}").status_code == 404


def test_an_attachment_is_not_found_under_another_project(staff_a_client, project_a, stored_pdf):
    attachment_id, _content = stored_pdf
    other = create(staff_a_client, title="Otro proyecto")
    assert staff_a_client.get(f"/proyectos/{other}/adjuntos/{attachment_id}").status_code == 404


def test_once_the_project_is_in_consultation_anyone_downloads_it(
    staff_a_client, staff_b_client, client, stored_pdf, in_consultation
):
    attachment_id, content = stored_pdf
    for browser in (client, staff_b_client, staff_a_client):
        response = browser.get(f"/proyectos/{in_consultation}/adjuntos/{attachment_id}")
        assert response.status_code == 200
        assert response.data == content
    assert client.get(f"/proyectos/{in_consultation}").status_code == 200


@pytest.fixture()
def in_consultation(staff_a_client, project_a, make_user, session) -> int:
    submit(staff_a_client, project_a)
    evaluate(project_a)
    manager = make_user(roles=[Role.MANAGER])
    consultation = consultations.create_consultation(session, actor=manager, data=consultation_data([project_a]))
    consultations.change_phase(
        session, actor=manager, consultation=consultation, target=Phase.INFORMATION, now=utcnow()
    )
    session.commit()
    assert project(project_a).state == ProjectState.IN_CONSULTATION
    return project_a


def test_once_in_consultation_an_attachment_is_refused_and_nothing_is_stored(staff_a_client, in_consultation, uploads):
    response = attach(staff_a_client, in_consultation, pdf_bytes(), "tarde.pdf")
    assert response.status_code == 400
    assert attachments(in_consultation) == []
    assert files(uploads) == []


def test_once_in_consultation_a_refused_attachment_shows_why(staff_a_client, in_consultation):
    response = attach(staff_a_client, in_consultation, pdf_bytes(), "tarde.pdf")
    assert response.status_code == 400
    assert "El proyecto ya no se puede modificar en su estado actual." in text(response)


def test_a_pdf_uploaded_under_an_html_name_is_offered_as_a_pdf(staff_a_client, project_a, uploads):
    """A file is named by what it is: a PDF called 'acta.html' downloads as 'acta.pdf', so that no
    browser ever opens it as a page of the site (issue #10)."""
    assert attach(staff_a_client, project_a, pdf_bytes(), "acta.html").status_code == 302
    (attachment,) = attachments(project_a)
    response = staff_a_client.get(f"/proyectos/{project_a}/adjuntos/{attachment.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "acta.pdf" in disposition and ".html" not in disposition
    assert response.mimetype == "application/pdf"
