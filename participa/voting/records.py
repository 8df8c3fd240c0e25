"""The public record of a consultation, from which anyone can recount (DESIGN §4, Votes): the
frozen roll, the trackers list and, under a named ballot, every vote. Each is a dataset with
stable fields, downloadable as CSV (for spreadsheets) and as canonical JSON (for programs), and
both files are produced byte for byte the same way every time from data that no longer
changes once voting has closed, so that the result can name their SHA-256.

The canonical forms are documented on the public page "Cómo verificar" and checked by the
standalone verifier (``static/verificar.py``); a change here is a change of ``FORMAT``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.consultations.models import Consultation, RollEntry
from participa.core.tabular import canonical_chunks, csv_chunks
from participa.territory.models import Comuna
from participa.voting import rules
from participa.voting.models import Ballot, Vote

FORMAT = 1
PAGE = 5000


@dataclass(frozen=True)
class Dataset:
    """One public dataset: its file name, the JSON key of its rows, and its fields as (JSON key,
    CSV column) pairs, in order."""

    name: str
    list_key: str
    fields: tuple[tuple[str, str], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _column in self.fields)

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column for _key, column in self.fields)


ROLL = Dataset(
    "padron",
    "organisations",
    (
        ("organisation_id", "organizacion_id"),
        ("rut", "rut"),
        ("name", "nombre"),
        ("comuna_cut", "cut_comuna"),
        ("comuna", "comuna"),
        ("weight", "peso"),
        ("inputs", "entradas_del_peso"),
    ),
)
TRACKERS = Dataset(
    "comprobantes",
    "trackers",
    (("tracker", "seguimiento"), ("weight", "peso"), ("status", "estado"), ("reason", "motivo")),
)
VOTES = Dataset(
    "votos",
    "votes",
    (
        ("ballot", "papeleta"),
        ("tracker", "seguimiento"),
        ("organisation_id", "organizacion_id"),
        ("rut", "rut"),
        ("name", "nombre"),
        ("weight", "peso"),
        ("question_id", "pregunta_id"),
        ("choice", "opcion"),
        ("channel", "canal"),
        ("cast_at", "emitido_utc"),
        ("status", "estado"),
        ("reason", "motivo"),
    ),
)
DATASETS = {dataset.name: dataset for dataset in (ROLL, TRACKERS, VOTES)}


def datasets_of(consultation: Consultation) -> list[Dataset]:
    """What a consultation publishes: roll and trackers always, every vote when named."""
    return [ROLL, TRACKERS, VOTES] if consultation.secrecy == "named" else [ROLL, TRACKERS]


def weight_text(weight: Any) -> str | None:
    return None if weight is None else f"{weight:.6f}"


def _timestamp(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- rows --------------------------------------------------------------------------------------


def roll_query(consultation_id: int) -> sa.Select[Any]:
    """The frozen roll's entries with their comuna, by organisation id."""
    return (
        sa.select(
            RollEntry.organisation_id,
            RollEntry.rut,
            RollEntry.legal_name,
            RollEntry.comuna_cut,
            Comuna.name,
            RollEntry.weight,
            RollEntry.inputs,
        )
        .join(Comuna, Comuna.cut == RollEntry.comuna_cut)
        .where(RollEntry.consultation_id == consultation_id)
        .order_by(RollEntry.organisation_id)
    )


def roll_item(row: Any) -> dict[str, Any]:
    org_id, rut, name, cut, comuna, weight, inputs = row
    return {
        "organisation_id": org_id,
        "rut": rut,
        "name": name,
        "comuna_cut": cut,
        "comuna": comuna,
        "weight": weight_text(weight),
        "inputs": inputs,
    }


def roll_items(session: Session, consultation_id: int) -> Iterator[dict[str, Any]]:
    """The frozen roll by organisation id, as it stood when frozen."""
    last = 0
    while True:
        page = session.execute(roll_query(consultation_id).where(RollEntry.organisation_id > last).limit(PAGE)).all()
        for row in page:
            yield roll_item(row)
        if len(page) < PAGE:
            return
        last = page[-1][0]


def effective_column() -> Any:
    """Whether any vote of the ballot is still effective (not superseded by a later ballot)."""
    return sa.exists().where(Vote.ballot_id == Ballot.id, Vote.effective).label("effective")


def status_of(effective: Any, verdict: str | None, refusal: str | None) -> tuple[str, str | None]:
    """A ballot's public status: before close from whether it was superseded, after close from
    the verdict copied onto it."""
    return rules.ballot_status(bool(effective), None if verdict is None else verdict == rules.COUNTED, refusal)


def tracker_query(consultation_id: int) -> sa.Select[Any]:
    """Ballots of a consultation with their weight and status, by tracker."""
    return (
        sa.select(Ballot.tracker, RollEntry.weight, Ballot.verdict, Ballot.refusal, effective_column())
        .outerjoin(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Ballot.consultation_id, RollEntry.organisation_id == Ballot.organisation_id
            ),
        )
        .where(Ballot.consultation_id == consultation_id)
        .order_by(Ballot.tracker)
    )


def tracker_item(row: Any) -> dict[str, Any]:
    status, reason = status_of(row.effective, row.verdict, row.refusal)
    return {"tracker": row.tracker, "weight": weight_text(row.weight), "status": status, "reason": reason}


def tracker_items(session: Session, consultation_id: int) -> Iterator[dict[str, Any]]:
    """Every ballot's tracker, weight and status, by tracker: never the organisation, the code,
    the time or the choice."""
    last = ""
    while True:
        page = session.execute(tracker_query(consultation_id).where(Ballot.tracker > last).limit(PAGE)).all()
        for row in page:
            yield tracker_item(row)
        if len(page) < PAGE:
            return
        last = page[-1].tracker


def vote_query(consultation_id: int) -> sa.Select[Any]:
    """Every vote of a consultation with its ballot, organisation as on the roll and verdict,
    by vote id."""
    return (
        sa.select(
            Vote.id,
            Ballot.id.label("ballot"),
            Ballot.tracker,
            Vote.organisation_id,
            RollEntry.rut,
            RollEntry.legal_name,
            RollEntry.weight,
            Vote.question_id,
            Vote.choice,
            Ballot.channel,
            Ballot.cast_at,
            Vote.effective,
            Vote.admitted,
            Vote.refusal,
        )
        .join(Ballot, Ballot.id == Vote.ballot_id)
        .outerjoin(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Vote.consultation_id, RollEntry.organisation_id == Vote.organisation_id
            ),
        )
        .where(Vote.consultation_id == consultation_id)
        .order_by(Vote.id)
    )


def vote_item(row: Any) -> dict[str, Any]:
    status, reason = rules.ballot_status(row.effective, row.admitted, row.refusal)
    return {
        "ballot": row.ballot,
        "tracker": row.tracker,
        "organisation_id": row.organisation_id,
        "rut": row.rut,
        "name": row.legal_name,
        "weight": weight_text(row.weight),
        "question_id": row.question_id,
        "choice": row.choice,
        "channel": row.channel,
        "cast_at": _timestamp(row.cast_at),
        "status": status,
        "reason": reason,
    }


def vote_items(session: Session, consultation_id: int) -> Iterator[dict[str, Any]]:
    """Every vote of a named consultation, superseded and refused ones included, by vote id."""
    last = 0
    while True:
        page = session.execute(vote_query(consultation_id).where(Vote.id > last).limit(PAGE)).all()
        for row in page:
            yield vote_item(row)
        if len(page) < PAGE:
            return
        last = page[-1].id


def items(session: Session, consultation: Consultation, dataset: Dataset) -> Iterator[dict[str, Any]]:
    if dataset is ROLL:
        return roll_items(session, consultation.id)
    if dataset is TRACKERS:
        return tracker_items(session, consultation.id)
    return vote_items(session, consultation.id)


# --- files -------------------------------------------------------------------------------------


def document_head(consultation: Consultation, dataset: Dataset) -> dict[str, Any]:
    """What a JSON download holds besides its rows."""
    head: dict[str, Any] = {"consultation": consultation.id, "format": FORMAT}
    if dataset is ROLL:
        head["roll_hash"] = consultation.roll_hash
    return head


def json_chunks(session: Session, consultation: Consultation, dataset: Dataset) -> Iterator[bytes]:
    return canonical_chunks(
        document_head(consultation, dataset), dataset.list_key, items(session, consultation, dataset)
    )


def csv_row(dataset: Dataset, item: dict[str, Any]) -> list[Any]:
    """A row of the CSV file: the JSON item's values in field order, weights as decimals (which
    the CSV writes with a decimal comma)."""
    return [Decimal(item[key]) if key == "weight" and item[key] is not None else item[key] for key in dataset.keys]


def csv_file_chunks(session: Session, consultation: Consultation, dataset: Dataset) -> Iterator[bytes]:
    return csv_chunks(dataset.header, (csv_row(dataset, item) for item in items(session, consultation, dataset)))


def file_chunks(session: Session, consultation: Consultation, dataset: Dataset, extension: str) -> Iterator[bytes]:
    if extension == "json":
        return json_chunks(session, consultation, dataset)
    return csv_file_chunks(session, consultation, dataset)


def manifest(session: Session, consultation: Consultation) -> dict[str, str]:
    """SHA-256 of every public file of the consultation, by file name: computed at close,
    named by the result, so that any later change to a single byte of a download shows."""
    hashes: dict[str, str] = {}
    for dataset in datasets_of(consultation):
        for extension in ("csv", "json"):
            digest = hashlib.sha256()
            for chunk in file_chunks(session, consultation, dataset, extension):
                digest.update(chunk)
            hashes[f"{dataset.name}.{extension}"] = digest.hexdigest()
    return hashes
