"""Municipal staff draft a project through the real pages, submit it, and read the
admissibility verdict rule by rule; an inadmissible project is corrected and submitted again."""

from __future__ import annotations

import os

from participa.projects.rules import ProjectState
from tests.web.projects.helpers import (
    INVALID,
    RULES,
    commitment_ids,
    create,
    decisions,
    edit,
    evaluate,
    post_new,
    project,
    rule_rows,
    submit,
)
from tests.web.support import location_path, text

LEG = os.environ.get("PARTICIPA_TEST_LEG", "embedded")
DRAFT_SAVED = "Borrador guardado. Revíselo y envíelo cuando esté completo."
SUBMITTED = "Proyecto enviado. La revisión de admisibilidad se hace en segundo plano."


def test_staff_create_a_draft_of_their_own_comuna_with_every_field_stored(staff_a_client, staff_a):
    response = post_new(staff_a_client, rate_date="2026-01-15")
    assert response.status_code == 302
    project_id = int(location_path(response).rsplit("/", 1)[1])

    stored = project(project_id)
    assert stored.state == ProjectState.DRAFT
    assert stored.comuna_cut == 13128
    assert stored.created_by_id == staff_a.id
    assert stored.title == "Plaza activa Villa Esperanza"
    assert stored.bip_code == "40012345-6"
    assert stored.amount_clp == 150_000_000
    assert stored.axis == "DESIGUALDAD"
    assert [c.id for c in stored.commitments] == commitment_ids()
    assert stored.rate_status == "RS"
    assert stored.rate_date.isoformat() == "2026-01-15"

    page = text(staff_a_client.get(location_path(response)))
    assert DRAFT_SAVED in page
    assert "Borrador" in page
    assert "Renca" in page


def test_a_form_without_title_is_refused_with_a_message_and_stores_nothing(staff_a_client, staff_a, session):
    from participa.projects.models import Project

    response = post_new(staff_a_client, title="")
    assert response.status_code == 400
    assert "Título: Este campo es obligatorio." in text(response)
    assert session.query(Project).filter_by(created_by_id=staff_a.id).count() == 0


def test_submitting_a_complete_project_makes_it_admissible_and_shows_each_rule(staff_a_client):
    project_id = create(staff_a_client)

    response = submit(staff_a_client, project_id)
    assert response.status_code == 302
    assert location_path(response) == f"/proyectos/{project_id}"
    assert project(project_id).submitted_at is not None
    if LEG == "embedded":
        # Tasks run in-process: the verdict is there when the request returns.
        assert project(project_id).state == ProjectState.ADMISSIBLE
    else:
        # A worker gives the verdict; none runs in the web tests.
        assert project(project_id).state == ProjectState.SUBMITTED
    evaluate(project_id)

    assert project(project_id).state == ProjectState.ADMISSIBLE
    (decision,) = decisions(project_id)
    assert decision.admissible is True
    assert {v["rule"] for v in decision.verdicts} == set(RULES)

    page = text(staff_a_client.get(f"/proyectos/{project_id}"))
    assert SUBMITTED in page
    assert "Resultado: <strong>Admisible</strong>" in page
    rows = rule_rows(page)
    assert {label: ok for label, (ok, _reason) in rows.items()} == {label: "Sí" for label in RULES.values()}


def test_an_invalid_project_becomes_inadmissible_with_the_reason_of_each_failed_rule(staff_a_client):
    project_id = create(staff_a_client, **INVALID)

    assert submit(staff_a_client, project_id).status_code == 302
    evaluate(project_id)

    assert project(project_id).state == ProjectState.INADMISSIBLE
    (decision,) = decisions(project_id)
    assert decision.admissible is False
    failed = {v["rule"]: v["reason"] for v in decision.verdicts if not v["ok"]}
    assert failed == {
        "bip_format": "bad_format",
        "amount_bounds": "out_of_bounds",
        "technical_status": "not_rs",
        "commitment_linked": "none_linked",
    }

    page = text(staff_a_client.get(f"/proyectos/{project_id}"))
    assert "Inadmisible: requiere correcciones" in page
    assert "Resultado: <strong>Inadmisible</strong>" in page
    rows = rule_rows(page)
    assert rows[RULES["bip_format"]] == ("No", "El código «123» no tiene el formato 12345678-9.")
    assert rows[RULES["amount_bounds"]] == ("No", "El monto debe estar entre 5.000.000 – 5.000.000.000 pesos.")
    assert rows[RULES["technical_status"]] == ("No", "La evaluación técnica es «FI»; se requiere RS.")
    assert rows[RULES["commitment_linked"]] == ("No", "Vincule al menos un compromiso del programa.")
    assert rows[RULES["required_fields"]] == ("Sí", "")
    assert rows[RULES["comuna_matches_submitter"]] == ("Sí", "")


def test_an_inadmissible_project_can_be_corrected_and_submitted_again_to_become_admissible(staff_a_client):
    project_id = create(staff_a_client, **INVALID)
    submit(staff_a_client, project_id)
    evaluate(project_id)
    assert project(project_id).state == ProjectState.INADMISSIBLE

    form = staff_a_client.get(f"/comuna/proyectos/{project_id}/editar")
    assert form.status_code == 200
    assert 'value="123"' in text(form), "the form shows what was stored"
    response = edit(staff_a_client, project_id, token_path=f"/comuna/proyectos/{project_id}/editar")
    assert response.status_code == 302
    corrected = project(project_id)
    assert (corrected.bip_code, corrected.amount_clp, corrected.rate_status) == ("40012345-6", 150_000_000, "RS")
    assert [c.id for c in corrected.commitments] == commitment_ids()
    assert corrected.state == ProjectState.INADMISSIBLE, "a correction alone gives no new verdict"

    assert submit(staff_a_client, project_id).status_code == 302
    evaluate(project_id)

    assert project(project_id).state == ProjectState.ADMISSIBLE
    first, second = decisions(project_id)
    assert (first.admissible, second.admissible) == (False, True)
    assert first.run != second.run
    page = text(staff_a_client.get(f"/proyectos/{project_id}"))
    assert "Resultado: <strong>Admisible</strong>" in page
    assert all(ok == "Sí" for ok, _reason in rule_rows(page).values())


def test_a_submitted_project_cannot_be_submitted_twice(staff_a_client):
    project_id = create(staff_a_client)
    submit(staff_a_client, project_id)
    evaluate(project_id)
    before = decisions(project_id)

    response = submit(staff_a_client, project_id)
    assert response.status_code == 302
    assert "El proyecto ya fue enviado." in text(staff_a_client.get(location_path(response)))
    assert project(project_id).state == ProjectState.ADMISSIBLE
    assert len(decisions(project_id)) == len(before)
