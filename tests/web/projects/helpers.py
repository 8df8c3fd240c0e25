"""Helpers of the project web tests: the project form as a browser posts it, and reading back
what the database holds."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient

from participa.admissibility.models import AdmissibilityDecision
from participa.commitments.models import Commitment
from participa.core import db
from participa.projects.models import Project, ProjectAttachment
from participa.projects.operations import evaluate_project, policy_from_config
from tests.fixtures.accounts import csrf_token
from tests.web.support import location_path, text

NEW = "/comuna/proyectos/nuevo"
AXIS = "DESIGUALDAD"
TYPE_REFUSED = "El archivo debe ser PDF, JPG o PNG."
ONLY_OWN_COMUNA = "Solo el personal municipal de la comuna del proyecto puede hacer esto."

RULES = {
    "required_fields": "Datos obligatorios completos",
    "bip_format": "Código BIP con formato válido (8 dígitos, guion y dígito)",
    "amount_bounds": "Monto dentro de los límites del fondo",
    "technical_status": "Evaluación técnica RS vigente",
    "comuna_matches_submitter": "La comuna del proyecto es la de quien lo presenta",
    "commitment_linked": "Vinculado a compromisos del programa que existen",
}


def commitment_ids(axis: str = AXIS, n: int = 2) -> list[int]:
    return list(
        db.session.execute(
            sa.select(Commitment.id).where(Commitment.axis == axis).order_by(Commitment.id).limit(n)
        ).scalars()
    )


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, admissible project as the form posts it."""
    values: dict[str, Any] = {
        "title": "Plaza activa Villa Esperanza",
        "summary": "Recuperar la plaza con juegos, luminarias y árboles para las familias del barrio.",
        "description": "Obras de mejoramiento de la plaza:\ncambio de luminarias y juegos infantiles.",
        "bip_code": "40012345-6",
        "amount_clp": "150000000",
        "axis": AXIS,
        "commitments": commitment_ids(),
        "rate_status": "RS",
        "rate_date": (date.today() - timedelta(days=30)).isoformat(),
    }
    values.update(overrides)
    return values


INVALID = {"bip_code": "123", "amount_clp": "10", "rate_status": "FI", "commitments": []}


def post_new(client: FlaskClient, **overrides: Any) -> Any:
    data = form_data(**overrides)
    data["csrf_token"] = csrf_token(client, NEW)
    return client.post(NEW, data=data)


def create(client: FlaskClient, **overrides: Any) -> int:
    """Create a draft through the form; its id."""
    response = post_new(client, **overrides)
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/proyectos/(\d+)", location_path(response))
    assert match, location_path(response)
    return int(match.group(1))


def submit(client: FlaskClient, project_id: int, *, token_path: str | None = None) -> Any:
    token = csrf_token(client, token_path or f"/proyectos/{project_id}")
    return client.post(f"/comuna/proyectos/{project_id}/enviar", data={"csrf_token": token})


def edit(client: FlaskClient, project_id: int, *, token_path: str | None = None, **overrides: Any) -> Any:
    data = form_data(**overrides)
    data["csrf_token"] = csrf_token(client, token_path or NEW)
    return client.post(f"/comuna/proyectos/{project_id}/editar", data=data)


def attach(
    client: FlaskClient, project_id: int, content: bytes, filename: str, *, token_path: str | None = None
) -> Any:
    token = csrf_token(client, token_path or f"/proyectos/{project_id}")
    return client.post(
        f"/comuna/proyectos/{project_id}/adjuntos",
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def evaluate(project_id: int) -> None:
    """What the worker does after a submission. On the embedded leg the task already ran in the
    request and this changes nothing; on the PostgreSQL leg no worker runs in web tests."""
    evaluate_project(db.session(), project_id, policy=policy_from_config(current_app.config))
    db.session.commit()


def project(project_id: int) -> Project:
    db.session.expire_all()
    found = db.session.get(Project, project_id)
    assert found is not None
    return found


def attachments(project_id: int) -> list[ProjectAttachment]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(ProjectAttachment)
            .where(ProjectAttachment.project_id == project_id)
            .order_by(ProjectAttachment.id)
        ).scalars()
    )


def decisions(project_id: int) -> list[AdmissibilityDecision]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(AdmissibilityDecision)
            .where(AdmissibilityDecision.subject_type == "project", AdmissibilityDecision.subject_id == project_id)
            .order_by(AdmissibilityDecision.id)
        ).scalars()
    )


def rule_rows(page: str) -> dict[str, tuple[str, str]]:
    """The admissibility table of a project page: rule label -> (complies, reason)."""
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    return {label: (ok, reason) for label, ok, reason in rows}


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n% ficha " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
