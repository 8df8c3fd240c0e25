"""Who may do what with a project: only staff of its comuna draft, edit, submit and attach;
GORE staff read it; others are refused and nothing changes."""

from __future__ import annotations

import pytest

from participa.accounts.rules import Role
from participa.projects.rules import ProjectState
from tests.fixtures.accounts import csrf_token
from tests.web.projects.helpers import (
    attach,
    attachments,
    create,
    edit,
    form_data,
    pdf_bytes,
    project,
    submit,
)
from tests.web.support import location_path, text


@pytest.fixture()
def project_a(staff_a_client) -> int:
    return create(staff_a_client, title="Proyecto de Renca")


def unchanged(project_id: int) -> None:
    stored = project(project_id)
    assert stored.title == "Proyecto de Renca"
    assert stored.state == ProjectState.DRAFT
    assert stored.submitted_at is None
    assert attachments(project_id) == []


# --- staff of another comuna --------------------------------------------------------------


def test_staff_of_another_comuna_cannot_open_the_edit_form(staff_b_client, project_a):
    assert staff_b_client.get(f"/comuna/proyectos/{project_a}/editar").status_code == 403


def test_staff_of_another_comuna_cannot_edit_and_nothing_changes(staff_b_client, project_a):
    response = edit(staff_b_client, project_a, title="Cambiado por otra comuna")
    assert response.status_code == 403
    unchanged(project_a)


def test_staff_of_another_comuna_cannot_submit_and_nothing_changes(staff_b_client, project_a):
    response = submit(staff_b_client, project_a, token_path="/comuna/proyectos")
    assert response.status_code == 403
    unchanged(project_a)


def test_staff_of_another_comuna_cannot_attach_a_document_and_nothing_is_stored(staff_b_client, project_a, uploads):
    response = attach(staff_b_client, project_a, pdf_bytes(), "ficha.pdf", token_path="/comuna/proyectos")
    assert response.status_code == 403
    unchanged(project_a)
    assert not (uploads / "projects").exists() or list((uploads / "projects").iterdir()) == []


def test_staff_of_another_comuna_cannot_read_a_draft(staff_b_client, project_a):
    assert staff_b_client.get(f"/proyectos/{project_a}").status_code == 403


def test_staff_of_another_comuna_do_not_see_it_in_their_list(staff_b_client, project_a):
    page = staff_b_client.get("/comuna/proyectos")
    assert page.status_code == 200
    assert "Proyecto de Renca" not in text(page)


# --- people without the municipal role ----------------------------------------------------


def test_a_representative_cannot_create_edit_or_submit(sign_in, make_user, project_a):
    browser = sign_in(make_user(roles=[Role.REPRESENTATIVE]))
    token = csrf_token(browser, "/cuenta/")
    assert browser.get("/comuna/proyectos/nuevo").status_code == 403
    assert browser.post("/comuna/proyectos/nuevo", data={**form_data(), "csrf_token": token}).status_code == 403
    assert browser.get(f"/comuna/proyectos/{project_a}/editar").status_code == 403
    assert browser.post(f"/comuna/proyectos/{project_a}/enviar", data={"csrf_token": token}).status_code == 403
    assert browser.get(f"/proyectos/{project_a}").status_code == 403, "a draft is not public"
    unchanged(project_a)


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, project_a):
    token = csrf_token(client)
    for response in (
        client.get(f"/comuna/proyectos/{project_a}/editar"),
        client.post(f"/comuna/proyectos/{project_a}/editar", data={**form_data(), "csrf_token": token}),
        client.post(f"/comuna/proyectos/{project_a}/enviar", data={"csrf_token": token}),
    ):
        assert response.status_code == 302
        assert location_path(response) == "/cuenta/ingresar"
    assert client.get(f"/proyectos/{project_a}").status_code == 404, "a draft does not exist for the public"
    unchanged(project_a)


def test_staff_without_a_comuna_cannot_create_a_project(sign_in, make_user, session):
    from participa.projects.models import Project

    person = make_user(roles=[Role.MUNICIPAL_STAFF], comuna_cut=None)
    browser = sign_in(person)
    response = browser.post(
        "/comuna/proyectos/nuevo", data={**form_data(), "csrf_token": csrf_token(browser, "/comuna/proyectos/nuevo")}
    )
    assert response.status_code == 400
    assert "Solo el personal municipal de la comuna del proyecto puede hacer esto." in text(response)
    assert session.query(Project).filter_by(created_by_id=person.id).count() == 0


# --- GORE staff -----------------------------------------------------------------------------


def test_a_manager_can_read_a_draft_but_not_edit_or_submit_it(sign_in, make_user, project_a):
    browser = sign_in(make_user(roles=[Role.MANAGER]))
    page = browser.get(f"/proyectos/{project_a}")
    assert page.status_code == 200
    assert "Proyecto de Renca" in text(page)
    assert "Enviar a revisión de admisibilidad" not in text(page), "no actions for someone who may not act"

    token = csrf_token(browser, f"/proyectos/{project_a}")
    assert browser.get(f"/comuna/proyectos/{project_a}/editar").status_code == 403
    assert (
        browser.post(
            f"/comuna/proyectos/{project_a}/editar",
            data={**form_data(title="Cambiado por el GORE"), "csrf_token": token},
        ).status_code
        == 403
    )
    assert browser.post(f"/comuna/proyectos/{project_a}/enviar", data={"csrf_token": token}).status_code == 403
    unchanged(project_a)


def test_a_manager_sees_a_submitted_project_in_the_gore_list(sign_in, make_user, staff_a_client, project_a):
    submit(staff_a_client, project_a)
    browser = sign_in(make_user(roles=[Role.MANAGER]))
    page = browser.get("/gore/proyectos")
    assert page.status_code == 200
    assert "Proyecto de Renca" in text(page)
