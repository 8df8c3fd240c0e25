"""Helpers of the voting web tests."""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from participa.core import db
from participa.voting.models import Ballot, Vote
from tests.fixtures.accounts import csrf_token

NOT_AUTHORISED = "Usted no está autorizado para votar por esa organización."
NOT_ON_ROLL = "Esa organización no está en el padrón de esta consulta."
CLOSED = "La votación no está abierta: revise las fechas de la consulta."
INCOMPLETE = "Responda todas las preguntas: aprobar, rechazar o abstenerse."
NO_ORGANISATION = "No representa a ninguna organización del padrón de esta consulta."
NOT_RECORDED = "No se registró el voto"
UNKNOWN_RECEIPT = "No hay un comprobante con ese código en esta consulta."
CHOICE_LABELS = ("Aprobar", "Rechazar", "Abstenerse")


def post_vote(
    client: FlaskClient,
    consultation_id: int,
    organisation: Any,
    answers: dict[int, str],
    *,
    confirm: bool = False,
    **extra: Any,
) -> Any:
    """Post the ballot form (the review step, or the confirmation with ``confirm``)."""
    path = f"/consultas/{consultation_id}/votar"
    data: dict[str, Any] = {"csrf_token": csrf_token(client, path), **{f"q-{q}": c for q, c in answers.items()}}
    if organisation is not None:
        data["organisation"] = organisation
    if confirm:
        data["step"] = "confirm"
        # What the review page hands out: one token per reviewed ballot.
        data["submission"] = secrets.token_urlsafe(24)
    data.update(extra)
    return client.post(path, data=data)


def ballots(consultation_id: int, organisation_id: int | None = None) -> list[Ballot]:
    db.session.expire_all()
    query = sa.select(Ballot).where(Ballot.consultation_id == consultation_id)
    if organisation_id is not None:
        query = query.where(Ballot.organisation_id == organisation_id)
    return list(db.session.execute(query.order_by(Ballot.id)).scalars())


def effective_votes(consultation_id: int, organisation_id: int) -> list[Vote]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Vote)
            .where(Vote.consultation_id == consultation_id, Vote.organisation_id == organisation_id, Vote.effective)
            .order_by(Vote.question_id)
        ).scalars()
    )


def table_body(page: str) -> str:
    """The <tbody> of the (first) data table of a page."""
    match = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert match, "no table body on the page"
    return match.group(1)


def table_rows(page: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", table_body(page), re.S)


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
