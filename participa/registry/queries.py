"""Registry reads: the lists, pages and downloads behind the registry's views.

Each read that is not public takes the acting person and checks their permission itself, as the
operations do, so that a view's decorator is not the only guard (DESIGN.md, "Reads belong beside
the operations, with their permission checks"). A refusal raises ``RegistryError("forbidden")``.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit.models import AuditEvent
from participa.core import db, storage
from participa.core.rut import InvalidRut, normalize_rut
from participa.core.tabular import csv_chunks, safe_text_sql, utc_seconds
from participa.core.text import fold
from participa.registry import rules
from participa.registry.models import ImportBatch, ImportRow, Organisation, Representation
from participa.registry.operations import DOCUMENT_KIND, RegistryError
from participa.registry.rules import OrgStatus
from participa.territory.models import Comuna

RECENT_IMPORTS = 30
RECENT_DECISIONS = 30
HISTORY_EVENTS = 50
REPORT_PAGE_ROWS = 5000
DOWNLOAD_PAGE_ROWS = 2000


def _require_curator(actor: User) -> None:
    if not actor.has_role(Role.CURATOR):
        raise RegistryError("forbidden")


# --- imports (curators) ---------------------------------------------------------------------


def recent_imports(session: Session, *, actor: User) -> list[ImportBatch]:
    """The latest import batches, newest first; for curators."""
    _require_curator(actor)
    query = sa.select(ImportBatch).order_by(ImportBatch.id.desc()).limit(RECENT_IMPORTS)
    return list(session.execute(query).scalars())


def import_batch(session: Session, *, actor: User, batch_id: int) -> ImportBatch | None:
    """One import batch, or ``None``; for curators."""
    _require_curator(actor)
    return session.get(ImportBatch, batch_id)


def batch_progress(batch: ImportBatch) -> dict[str, object]:
    """What the import page and its progress bar show of a batch: state, rows and counts."""
    return {
        "status": batch.status,
        "rows_processed": batch.rows_processed,
        "total_rows": batch.total_rows,
        "percent": rules.progress_percent(batch.status, batch.rows_processed, batch.total_rows),
        "accepted": batch.accepted,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "rejected": batch.rejected,
    }


def rejected_rows(session: Session, *, actor: User, batch: ImportBatch, limit: int) -> list[ImportRow]:
    """The first ``limit`` rejected rows of a finished batch, by row number (none before it
    finishes); for curators."""
    _require_curator(actor)
    if batch.status != "done":
        return []
    query = (
        sa.select(ImportRow)
        .where(ImportRow.batch_id == batch.id, ImportRow.outcome == "rejected")
        .order_by(ImportRow.row_number)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def report_rows(session: Session, *, actor: User, batch: ImportBatch) -> Iterator[sa.Row[Any]]:
    """Every row of a batch's report (row number, RUT, outcome, reason, detail) in row order,
    read in pages so that a large report streams; for curators, checked before the first row."""
    _require_curator(actor)

    def rows() -> Iterator[sa.Row[Any]]:
        last = 0
        while True:
            page = session.execute(
                sa.select(ImportRow.row_number, ImportRow.rut, ImportRow.outcome, ImportRow.reason, ImportRow.detail)
                .where(ImportRow.batch_id == batch.id, ImportRow.row_number > last)
                .order_by(ImportRow.row_number)
                .limit(REPORT_PAGE_ROWS)
            ).all()
            if not page:
                return
            yield from page
            last = page[-1].row_number

    return rows()


# --- organisations --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFilter:
    """What a list of organisations is filtered by; ``public`` for the public directory."""

    text: str = ""
    comuna_cut: int | None = None
    org_type: str | None = None
    status: str | None = None
    board_expiring_days: int | None = None
    public: bool = False


_RUT_LIKE = re.compile(r"^[0-9.\s]+(-?\s*[0-9kK])?$")


def rut_conditions(text: str) -> sa.ColumnElement[bool] | None:
    """When the text reads as a RUT, with or without dots, dash or check digit, the conditions
    that find it: the full RUT if the text is one, and the number alone (a bare number may end
    in what looks like a check digit, so both readings are searched)."""
    compact = re.sub(r"[.\s]", "", text)
    if len(re.sub(r"\D", "", compact)) < 6 or not _RUT_LIKE.match(text.strip()):
        return None
    readings = []
    with contextlib.suppress(InvalidRut):
        readings.append(Organisation.rut == normalize_rut(compact))
    if "-" not in compact and compact.isdigit():
        readings.append(Organisation.rut.like(f"{compact}-_"))
    return sa.or_(*readings) if readings else sa.false()


def organisation_query(criteria: OrgFilter, *, today: date | None = None) -> sa.Select[tuple[Organisation]]:
    """The organisations that match ``criteria``, by name then id: text as a RUT when it reads as
    one, else as part of the name (accents and case ignored). The public directory leaves out
    pending records: it shows what the registry vouches for."""
    query = sa.select(Organisation)
    text = criteria.text.strip()
    if text:
        by_rut = rut_conditions(text)
        if by_rut is not None:
            query = query.where(by_rut)
        else:
            like = "%" + fold(text).replace("%", "").replace("_", "") + "%"
            query = query.where(Organisation.name_folded.like(like))
    if criteria.comuna_cut:
        query = query.where(Organisation.comuna_cut == criteria.comuna_cut)
    if criteria.org_type:
        query = query.where(Organisation.org_type == criteria.org_type)
    if criteria.public:
        query = query.where(Organisation.status != OrgStatus.PENDING.value)
    if criteria.status:
        query = query.where(Organisation.status == criteria.status)
    if criteria.board_expiring_days is not None:
        today = today or db.today_santiago()
        query = query.where(
            Organisation.board_term_end.is_not(None),
            Organisation.board_term_end >= today,
            Organisation.board_term_end <= today + timedelta(days=criteria.board_expiring_days),
        )
    return query.order_by(Organisation.legal_name, Organisation.id)


def search_organisations(
    session: Session, *, actor: User | None, criteria: OrgFilter, page: int, page_size: int
) -> tuple[list[Organisation], int]:
    """One page of the organisations matching ``criteria`` and how many match in all. A search
    of the public directory is open to anyone; any other is for curators."""
    if not criteria.public:
        if actor is None:
            raise RegistryError("forbidden")
        _require_curator(actor)
    query = organisation_query(criteria)
    total = session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.execute(query.limit(page_size).offset((page - 1) * page_size)).scalars())
    return items, total


def organisation(session: Session, *, actor: User, org_id: int) -> Organisation | None:
    """One organisation, pending ones included, or ``None``; for curators."""
    _require_curator(actor)
    return session.get(Organisation, org_id)


def organisation_history(session: Session, *, actor: User, organisation: Organisation) -> list[AuditEvent]:
    """The latest audit events about an organisation, newest first; for curators."""
    _require_curator(actor)
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "organisation", AuditEvent.object_id == str(organisation.id))
        .order_by(AuditEvent.id.desc())
        .limit(HISTORY_EVENTS)
    )
    return list(session.execute(query).scalars())


def organisation_representations(session: Session, *, actor: User, organisation: Organisation) -> list[Representation]:
    """Every representation of an organisation, whatever its state, newest first; for curators."""
    _require_curator(actor)
    query = (
        sa.select(Representation)
        .where(Representation.organisation_id == organisation.id)
        .order_by(Representation.id.desc())
    )
    return list(session.execute(query).scalars())


# --- representatives ------------------------------------------------------------------------


def own_representations(session: Session, *, actor: User) -> list[Representation]:
    """The acting person's own requests and representations, newest first."""
    query = sa.select(Representation).where(Representation.user_id == actor.id).order_by(Representation.id.desc())
    return list(session.execute(query).scalars())


def pending_representations(session: Session, *, actor: User) -> list[Representation]:
    """Requests waiting for a curator's decision, oldest first; for curators."""
    _require_curator(actor)
    query = sa.select(Representation).where(Representation.status == "requested").order_by(Representation.id)
    return list(session.execute(query).scalars())


def recent_decisions(session: Session, *, actor: User) -> list[Representation]:
    """The latest decided representations, most recently decided first; for curators."""
    _require_curator(actor)
    query = (
        sa.select(Representation)
        .where(Representation.status != "requested")
        .order_by(Representation.decided_at.desc())
        .limit(RECENT_DECISIONS)
    )
    return list(session.execute(query).scalars())


def representation(session: Session, *, actor: User, rep_id: int) -> Representation | None:
    """One representation, or ``None``, for a curator to decide on or revoke."""
    _require_curator(actor)
    return session.get(Representation, rep_id)


def can_see_document(actor: User, representation: Representation) -> bool:
    """The supporting document may hold personal data: only its owner and curators see it."""
    return representation.user_id == actor.id or actor.has_role(Role.CURATOR)


def document(session: Session, *, actor: User, rep_id: int) -> tuple[Representation, Path] | None:
    """A representation's supporting document and where it is stored, or ``None`` when there is
    no such representation; refused to anyone but its owner and curators (:func:`can_see_document`)."""
    found = session.get(Representation, rep_id)
    if found is None:
        return None
    if not can_see_document(actor, found):
        raise RegistryError("forbidden")
    return found, storage.path_of(DOCUMENT_KIND, found.document_stored)


# --- public directory -----------------------------------------------------------------------

PUBLIC_FIELDS = (
    "rut",
    "legal_name",
    "registry_number",
    "org_type",
    "comuna_cut",
    "comuna",
    "address",
    "members_count",
    "board_term_start",
    "board_term_end",
    "status",
    "status_changed_at",
)


def public_organisation(session: Session, rut: str) -> Organisation | None:
    """An organisation of the public directory by its normalised RUT; pending ones are not public."""
    query = sa.select(Organisation).where(
        Organisation.rut == rut.upper(), Organisation.status != OrgStatus.PENDING.value
    )
    return session.execute(query).scalar_one_or_none()


@functools.cache
def public_select() -> sa.Select[Any]:
    """The public directory's columns (``id``, then those of :data:`PUBLIC_FIELDS`), by id:
    rows, not objects, so that a page of 100 or a file of 100,000 reads cheaply. Built once."""
    return (
        sa.select(
            Organisation.id,
            Organisation.rut,
            Organisation.legal_name,
            Organisation.registry_number,
            Organisation.org_type,
            Organisation.comuna_cut,
            Comuna.name.label("comuna"),
            Organisation.address,
            Organisation.members_count,
            Organisation.board_term_start,
            Organisation.board_term_end,
            Organisation.status,
            Organisation.status_changed_at,
        )
        .join(Comuna, Comuna.cut == Organisation.comuna_cut)
        .where(Organisation.status != OrgStatus.PENDING.value)
        .order_by(Organisation.id)
    )


def public_item(row: Any) -> dict[str, object]:
    """An organisation (a row of :func:`public_select`) as the public directory's downloads and
    API give it (no personal data)."""
    _id, rut, name, number, org_type, cut, comuna, address, members, start, end, status, changed = row
    return {
        "rut": rut,
        "legal_name": name,
        "registry_number": number,
        "org_type": org_type,
        "comuna_cut": cut,
        "comuna": comuna,
        "address": address,
        "members_count": members,
        "board_term_start": start.isoformat() if start else None,
        "board_term_end": end.isoformat() if end else None,
        "status": status,
        "status_changed_at": utc_seconds(changed),
    }


def public_entry(session: Session, rut: str) -> dict[str, object] | None:
    """One organisation of the public directory by its RUT, as the API gives it."""
    row = session.execute(public_select().where(Organisation.rut == rut.upper())).first()
    return public_item(row) if row else None


def public_page(
    session: Session,
    *,
    after_id: int,
    limit: int,
    comuna_cut: int | None = None,
    org_type: str | None = None,
    status: str | None = None,
) -> tuple[list[dict[str, object]], int | None]:
    """A page of the public directory after ``after_id``, by id, with the filters given; and
    the id to continue after when more follow (None at the end)."""
    query = public_select().where(Organisation.id > after_id)
    if comuna_cut is not None:
        query = query.where(Organisation.comuna_cut == comuna_cut)
    if org_type is not None:
        query = query.where(Organisation.org_type == org_type)
    if status is not None:
        query = query.where(Organisation.status == status)
    rows = session.execute(query.limit(limit + 1)).all()
    page = rows[:limit]
    return [public_item(row) for row in page], page[-1].id if len(rows) > limit else None


def public_csv_query() -> sa.Select[Any]:
    """The public directory's CSV rows as the database writes them (participa.core.db.
    copy_out_csv): the columns of :data:`PUBLIC_FIELDS`, texts safe from formula injection and
    times as :func:`public_item` gives them, by id. A parity test holds it to the Python path."""
    safe = safe_text_sql
    return (
        sa.select(
            safe(Organisation.rut),
            safe(Organisation.legal_name),
            safe(Organisation.registry_number),
            safe(Organisation.org_type),
            Organisation.comuna_cut,
            safe(Comuna.name),
            safe(Organisation.address),
            Organisation.members_count,
            Organisation.board_term_start,
            Organisation.board_term_end,
            safe(Organisation.status),
            db.utc_seconds_sql(Organisation.status_changed_at),
        )
        .join(Comuna, Comuna.cut == Organisation.comuna_cut)
        .where(Organisation.status != OrgStatus.PENDING.value)
        .order_by(Organisation.id)
    )


def public_csv_chunks(session: Session) -> Iterator[bytes]:
    """The public directory as CSV: written by the database where it can (COPY, PostgreSQL), by
    Python elsewhere; the same header, the same values."""
    header = csv_chunks(PUBLIC_FIELDS, ())
    copied = db.copy_out_csv(session, public_csv_query())
    if copied is not None:
        yield from header
        yield from copied
        return
    yield from csv_chunks(PUBLIC_FIELDS, ([row[f] for f in PUBLIC_FIELDS] for row in public_rows(session)))


def public_rows(session: Session) -> Iterator[dict[str, object]]:
    """The public directory as plain rows of :data:`PUBLIC_FIELDS`, by id, read a page at a time
    so that the whole registry streams in little memory."""
    last = 0
    while True:
        page = session.execute(public_select().where(Organisation.id > last).limit(DOWNLOAD_PAGE_ROWS)).all()
        for row in page:
            yield public_item(row)
        if len(page) < DOWNLOAD_PAGE_ROWS:
            return
        last = page[-1].id
