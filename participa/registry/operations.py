"""Registry use cases: imports processed in chunks by a worker, curator decisions and
representatives (the reads behind the pages are in queries.py). Each operation takes the acting
person, checks permission, writes, appends its audit event and flushes; the caller commits."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import RoleAssignment, User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.core import db, storage
from participa.core.db import utcnow
from participa.core.rut import InvalidRut, normalize_rut
from participa.core.text import fold
from participa.registry import files, rules
from participa.registry.models import ImportBatch, ImportRow, Organisation, Representation
from participa.registry.rules import CuratorAction, OrgStatus, StructureError
from participa.territory.models import Comuna

IMPORT_KIND = "registry"
DOCUMENT_KIND = "representations"
MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
CHUNK_ROWS = 10_000

# Spellings of comunas seen in municipal lists, beyond the official names.
COMUNA_ALIASES = {"santiago centro": 13101, "stgo": 13101, "pac": 13121, "est central": 13106}


class RegistryError(Exception):
    """A registry operation or read refused; ``code`` names why (``forbidden`` for permission)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _require(actor: User, *roles: str) -> None:
    if not actor.has_role(*roles):
        raise RegistryError("forbidden")


def comuna_lookup(session: Session) -> dict[str, int]:
    """Folded names, CUT codes as text and known aliases -> CUT code."""
    lookup: dict[str, int] = dict(COMUNA_ALIASES)
    for cut, name in session.execute(sa.select(Comuna.cut, Comuna.name)):
        lookup[fold(name)] = cut
        lookup[str(cut)] = cut
    return lookup


# --- imports --------------------------------------------------------------------------------


def start_import(session: Session, *, actor: User, stream: BinaryIO, filename: str) -> ImportBatch:
    """Store an uploaded file and queue it. The structure is checked first: a refused file
    raises StructureError and leaves nothing behind (no batch, no file, no row)."""
    _require(actor, Role.CURATOR)
    try:
        stored = storage.save_upload(stream, IMPORT_KIND, suffix=".csv", max_bytes=MAX_IMPORT_BYTES)
    except storage.UploadError as error:
        raise StructureError(error.code) from error
    try:
        shape = files.inspect_file(stored.path)
    except StructureError:
        stored.path.unlink(missing_ok=True)
        raise
    batch = ImportBatch(
        uploaded_by_id=actor.id,
        filename=os.path.basename(filename or "archivo.csv")[:255],
        stored_name=stored.name,
        sha256=stored.sha256,
        size_bytes=stored.size,
        encoding=shape.encoding,
        delimiter=shape.delimiter,
        total_rows=shape.total_rows,
        column_map=shape.mapping,
        repeated_ruts=shape.repeated_ruts,
        next_offset=shape.data_offset,
    )
    session.add(batch)
    session.flush()
    audit.record(
        "registry.import_uploaded",
        actor=actor,
        object_type="import_batch",
        object_id=batch.id,
        payload={
            "filename": batch.filename,
            "sha256": batch.sha256,
            "rows": batch.total_rows,
            "encoding": shape.encoding,
            "delimiter": shape.delimiter,
        },
    )
    return batch


@dataclass(frozen=True)
class ChunkResult:
    """Whether the batch is finished, and how many rows this chunk read."""

    finished: bool
    rows: int


def process_next_chunk(session: Session, batch_id: int, *, max_rows: int = CHUNK_ROWS) -> ChunkResult:
    """Import the next chunk of a batch in the caller's transaction.

    Safe to run twice and concurrently: the batch row is locked, and the chunk starts where the
    last committed one ended, so a re-delivered task after a killed worker resumes exactly and
    writes no duplicate. Idempotent by RUT: a row equal to the registry is 'unchanged'
    (DESIGN §3, registry; the rules are :func:`rules.sort_rows` and :func:`rules.plan_import`).
    """
    batch = session.execute(
        sa.select(ImportBatch).where(ImportBatch.id == batch_id).with_for_update()
    ).scalar_one_or_none()
    if batch is None or batch.status in ("done", "failed"):
        return ChunkResult(True, 0)
    now = utcnow()
    if batch.status == "queued":
        batch.status = "running"
        batch.started_at = now

    chunk = files.read_chunk(
        storage.path_of(IMPORT_KIND, batch.stored_name),
        encoding=batch.encoding,
        delimiter=batch.delimiter,
        offset=batch.next_offset,
        first_row=batch.next_row,
        max_rows=max_rows,
    )
    rows = rules.sort_rows(chunk.rows, batch.column_map, comuna_lookup(session), batch.repeated_ruts)
    earlier = rules.drop_earlier_duplicates(rows.clean, _seen_in_batch(session, batch.id, rows.clean))
    plan = rules.plan_import(earlier.clean, _registry_values(session, earlier.clean))
    accepted = _insert_organisations(session, batch.id, plan.new, now)
    _update_organisations(session, batch.id, plan.changed, now)
    outcomes = [*rows.rejected, *earlier.rejected, *plan.report, *accepted]
    for outcome in outcomes:
        outcome["batch_id"] = batch.id
    db.bulk_insert(session, ImportRow.__table__, outcomes)
    _count_chunk(session, batch, chunk, outcomes)
    session.flush()
    return ChunkResult(chunk.at_end, len(chunk.rows))


def _seen_in_batch(session: Session, batch_id: int, clean: Mapping[str, object]) -> dict[str, int]:
    """RUTs among ``clean`` that an earlier chunk of the batch took in, with their row number."""
    if not clean:
        return {}
    return dict(
        session.execute(
            sa.select(ImportRow.rut, ImportRow.row_number).where(
                ImportRow.batch_id == batch_id,
                ImportRow.rut.in_(list(clean)),
                ImportRow.outcome != "rejected",
            )
        ).all()
    )


def _registry_values(session: Session, clean: Mapping[str, object]) -> dict[str, dict[str, Any]]:
    """The registry's current record of each RUT in ``clean`` that it holds: id and the fields an
    import sets."""
    if not clean:
        return {}
    found = session.execute(
        sa.select(
            Organisation.id,
            Organisation.rut,
            Organisation.legal_name,
            Organisation.registry_number,
            Organisation.org_type,
            Organisation.comuna_cut,
            Organisation.address,
            Organisation.members_count,
            Organisation.board_term_start,
            Organisation.board_term_end,
        ).where(Organisation.rut.in_(list(clean)))
    ).all()
    return {org.rut: org._asdict() for org in found}


def _insert_organisations(
    session: Session, batch_id: int, new: list[tuple[int, rules.CleanRow]], now: datetime
) -> list[rules.Outcome]:
    """Create the new records, pending until a curator verifies them, with their provenance;
    returns their report lines (accepted)."""
    if not new:
        return []
    inserts: list[dict[str, Any]] = [
        {
            "rut": row.rut,
            **row.values(),
            "name_folded": fold(row.legal_name),
            "status": OrgStatus.PENDING.value,
            "created_at": now,
            "updated_at": now,
            "source_batch_id": batch_id,
            "source_row": row_number,
        }
        for row_number, row in new
    ]
    table = Organisation.__table__
    ids = db.next_ids(session, table, len(inserts))
    if ids is not None:
        for org_id, values in zip(ids, inserts, strict=True):
            values["id"] = org_id
        db.bulk_insert(session, table, inserts)
    else:
        returning = sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True)
        created = session.execute(returning, inserts).scalars().all()
        for org_id, values in zip(created, inserts, strict=True):
            values["id"] = org_id
    return [
        rules.row_report(values["source_row"], values["rut"], "accepted", organisation_id=values["id"])
        for values in inserts
    ]


def _update_organisations(session: Session, batch_id: int, changed: list[rules.Change], now: datetime) -> None:
    """Write the changed fields of existing records, with the batch and row that changed them."""
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changed:
        update = {
            "id": change.organisation_id,
            **{field: values[1] for field, values in change.diff.items()},
            "updated_at": now,
            "source_batch_id": batch_id,
            "source_row": change.row_number,
        }
        if "legal_name" in change.diff:
            update["name_folded"] = fold(change.row.legal_name)
        # One executemany per set of columns.
        by_keys.setdefault(tuple(sorted(update)), []).append(update)
    for group in by_keys.values():
        session.execute(sa.update(Organisation), group)


def _count_chunk(session: Session, batch: ImportBatch, chunk: files.Chunk, outcomes: list[rules.Outcome]) -> None:
    """Add the chunk's outcomes to the batch's counts and move its position on; at the end of the
    file the batch is done and the import audited."""
    counts = {"accepted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome["outcome"]] += 1
    batch.accepted += counts["accepted"]
    batch.updated += counts["updated"]
    batch.unchanged += counts["unchanged"]
    batch.rejected += counts["rejected"]
    batch.rows_processed += len(chunk.rows)
    batch.next_offset = chunk.next_offset
    batch.next_row = chunk.next_row
    if not chunk.at_end:
        return
    batch.status = "done"
    batch.finished_at = utcnow()
    audit.record(
        "registry.import_finished",
        actor=batch.uploaded_by_id,
        object_type="import_batch",
        object_id=batch.id,
        payload={
            "rows": batch.rows_processed,
            "accepted": batch.accepted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "rejected": batch.rejected,
        },
        session=session,
    )


# --- curator decisions ----------------------------------------------------------------------


def change_status(
    session: Session, *, actor: User, organisation: Organisation, action: CuratorAction, reason: str
) -> None:
    """Verify, suspend, reinstate or dissolve, always with a reason (DESIGN §3)."""
    _require(actor, Role.CURATOR)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise RegistryError("reason_required")
    target = rules.next_status(organisation.status, action)
    if target is None:
        raise RegistryError("transition_not_allowed", organisation.status)
    previous = organisation.status
    organisation.status = target.value
    organisation.status_reason = reason[:2000]
    organisation.status_changed_at = utcnow()
    organisation.updated_at = organisation.status_changed_at
    audit.record(
        f"registry.organisation_{action.value}",
        actor=actor,
        object_type="organisation",
        object_id=organisation.id,
        payload={"from": previous, "to": target.value, "reason": reason[:2000]},
    )
    session.flush()
    if target is OrgStatus.DISSOLVED:
        _close_representations(session, actor=actor, organisation=organisation)


def _close_representations(session: Session, *, actor: User, organisation: Organisation) -> None:
    """A dissolved organisation has nobody acting for it: open requests are rejected and
    approvals revoked, each audited, and the people's representative role follows."""
    open_ones = (
        session.execute(
            sa.select(Representation).where(
                Representation.organisation_id == organisation.id, Representation.status.in_(["requested", "approved"])
            )
        )
        .scalars()
        .all()
    )
    for representation in open_ones:
        status = "revoked" if representation.status == "approved" else "rejected"
        _decide(representation, status, actor=actor, reason="organisation dissolved")
        _record_decision(session, representation, actor=actor, reason="organisation dissolved")
    session.flush()


# --- representatives ------------------------------------------------------------------------


def request_representation(
    session: Session, *, actor: User, org_rut: str, position: str, stream: BinaryIO, filename: str
) -> Representation:
    """A signed-in person asks to represent an organisation, with a supporting document."""
    try:
        rut = normalize_rut(org_rut)
    except InvalidRut as error:
        raise RegistryError("invalid_rut" if error.reason == "check_digit" else "invalid_rut_format") from error
    organisation = session.execute(sa.select(Organisation).where(Organisation.rut == rut)).scalar_one_or_none()
    if organisation is None:
        raise RegistryError("organisation_not_found")
    if organisation.status == OrgStatus.DISSOLVED.value:
        raise RegistryError("organisation_dissolved")
    open_request = session.execute(
        sa.select(Representation.id).where(
            Representation.user_id == actor.id,
            Representation.organisation_id == organisation.id,
            Representation.status.in_(["requested", "approved"]),
        )
    ).scalar()
    if open_request is not None:
        raise RegistryError("already_requested")
    try:
        stored, mime = storage.save_document(stream, DOCUMENT_KIND, max_bytes=MAX_DOCUMENT_BYTES)
    except storage.UploadError as error:
        raise RegistryError(f"document_{error.code}") from error
    representation = Representation(
        user_id=actor.id,
        organisation_id=organisation.id,
        position=position,
        document_name=os.path.basename(filename or "documento")[:255],
        document_stored=stored.name,
        document_type=mime,
        document_sha256=stored.sha256,
    )
    session.add(representation)
    session.flush()
    audit.record(
        "registry.representation_requested",
        actor=actor,
        object_type="representation",
        object_id=representation.id,
        payload={"organisation": organisation.rut, "position": position, "document_sha256": stored.sha256},
    )
    return representation


def _sync_representative_role(session: Session, user: User, actor: User) -> None:
    """The representative role is held exactly while the person has an approved representation."""
    approved = session.execute(
        sa.select(sa.func.count())
        .select_from(Representation)
        .where(Representation.user_id == user.id, Representation.status == "approved")
    ).scalar_one()
    has_role = Role.REPRESENTATIVE.value in user.role_names()
    if approved and not has_role:
        user.roles.append(RoleAssignment(role=Role.REPRESENTATIVE.value, granted_by_id=actor.id))
        audit.record(
            "role.granted",
            actor=actor,
            object_type="user",
            object_id=user.id,
            payload={"role": Role.REPRESENTATIVE.value, "via": "representation"},
        )
    elif not approved and has_role:
        user.roles[:] = [r for r in user.roles if r.role != Role.REPRESENTATIVE.value]
        user.session_version += 1  # a role taken away ends the person's sessions
        audit.record(
            "role.revoked",
            actor=actor,
            object_type="user",
            object_id=user.id,
            payload={"role": Role.REPRESENTATIVE.value, "via": "representation"},
        )


def decide_representation(
    session: Session, *, actor: User, representation: Representation, approve: bool, reason: str
) -> None:
    """A curator approves or rejects a pending request (a rejection needs a reason); nobody
    decides their own, and a dissolved organisation's request can only be rejected. The
    representative role follows the approvals (DESIGN §2)."""
    _require(actor, Role.CURATOR)
    if representation.status != "requested":
        raise RegistryError("not_pending")
    reason = (reason or "").strip()
    if not approve and len(reason) < 3:
        raise RegistryError("reason_required")
    if representation.user_id == actor.id:
        # Nobody approves their own authority.
        raise RegistryError("own_request")
    if approve and representation.organisation.status == OrgStatus.DISSOLVED.value:
        # Dissolved while the request waited: it can only be rejected now.
        raise RegistryError("organisation_dissolved")
    _decide(representation, "approved" if approve else "rejected", actor=actor, reason=reason[:2000] or None)
    _record_decision(session, representation, actor=actor, reason=reason[:2000])


def revoke_representation(session: Session, *, actor: User, representation: Representation, reason: str) -> None:
    """A curator revokes an approved representation, with a reason. The approval time stays, so
    votes cast while it held still count (DESIGN §4, Votes)."""
    _require(actor, Role.CURATOR)
    if representation.status != "approved":
        raise RegistryError("not_approved")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise RegistryError("reason_required")
    _decide(representation, "revoked", actor=actor, reason=reason[:2000])
    _record_decision(session, representation, actor=actor, reason=reason[:2000])


def _decide(representation: Representation, status: str, *, actor: User, reason: str | None) -> None:
    """A decision on a representation: its status, when, by whom and why. An approval records
    its time and a revocation its own, leaving the approval's: votes are judged by both (DESIGN §4)."""
    representation.status = status
    representation.decided_at = utcnow()
    if status == "approved":
        representation.approved_at = representation.decided_at
    elif status == "revoked":
        representation.revoked_at = representation.decided_at
    representation.decided_by_id = actor.id
    representation.reason = reason


def _record_decision(session: Session, representation: Representation, *, actor: User, reason: str) -> None:
    """Audit a decision on a representation; the person's representative role then follows."""
    session.flush()
    audit.record(
        f"registry.representation_{representation.status}",
        actor=actor,
        object_type="representation",
        object_id=representation.id,
        payload={"reason": reason},
    )
    _sync_representative_role(session, representation.user, actor)
    session.flush()


def represented_organisations(session: Session, user: User) -> list[Organisation]:
    """The organisations a person is approved to act for now, by name."""
    return list(
        session.execute(
            sa.select(Organisation)
            .join(Representation, Representation.organisation_id == Organisation.id)
            .where(Representation.user_id == user.id, Representation.status == "approved")
            .order_by(Organisation.legal_name)
        ).scalars()
    )
