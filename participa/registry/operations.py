"""Registry use cases: imports processed in chunks by a worker, curator decisions,
representatives, and the searches behind the lists. Each operation takes the acting person,
checks permission, writes, appends its audit event and flushes; the caller commits."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
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
    finished: bool
    rows: int


def process_next_chunk(session: Session, batch_id: int, *, max_rows: int = CHUNK_ROWS) -> ChunkResult:
    """Import the next chunk of a batch in the caller's transaction.

    Safe to run twice and concurrently: the batch row is locked, and the chunk starts where the
    last committed one ended, so a re-delivered task after a killed worker resumes exactly and
    writes no duplicate. Idempotent by RUT: a row equal to the registry is 'unchanged'.
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
    comunas = comuna_lookup(session)

    outcomes: list[dict[str, Any]] = []
    clean: dict[str, tuple[int, rules.CleanRow]] = {}
    for row_number, cells in chunk.rows:
        result = rules.clean_row(cells, batch.column_map, comunas)
        if isinstance(result, rules.Rejection):
            outcomes.append(
                {
                    "row_number": row_number,
                    "rut": result.rut,
                    "outcome": "rejected",
                    "reason": result.reason,
                    "detail": result.detail,
                }
            )
        elif result.rut in clean:
            outcomes.append(
                {
                    "row_number": row_number,
                    "rut": result.rut,
                    "outcome": "rejected",
                    "reason": "duplicate_in_file",
                    "detail": str(clean[result.rut][0]),
                }
            )
        else:
            clean[result.rut] = (row_number, result)

    if clean:
        seen_before = dict(
            session.execute(
                sa.select(ImportRow.rut, ImportRow.row_number).where(
                    ImportRow.batch_id == batch.id,
                    ImportRow.rut.in_(list(clean)),
                    ImportRow.outcome != "rejected",
                )
            ).all()
        )
        for rut, first_row in seen_before.items():
            row_number, _ = clean.pop(rut)
            outcomes.append(
                {
                    "row_number": row_number,
                    "rut": rut,
                    "outcome": "rejected",
                    "reason": "duplicate_in_file",
                    "detail": str(first_row),
                }
            )

    existing = (
        {
            org.rut: org
            for org in session.execute(
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
        }
        if clean
        else {}
    )

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for rut, (row_number, row) in clean.items():
        values = row.values()
        current = existing.get(rut)
        if current is None:
            inserts.append(
                {
                    "rut": rut,
                    **values,
                    "name_folded": fold(row.legal_name),
                    "status": OrgStatus.PENDING.value,
                    "created_at": now,
                    "updated_at": now,
                    "source_batch_id": batch.id,
                    "source_row": row_number,
                }
            )
            continue
        diff = rules.changes(current._asdict(), values)
        if diff:
            update = {
                "id": current.id,
                **{k: v[1] for k, v in diff.items()},
                "updated_at": now,
                "source_batch_id": batch.id,
                "source_row": row_number,
            }
            if "legal_name" in diff:
                update["name_folded"] = fold(row.legal_name)
            updates.append(update)
            outcomes.append(
                {
                    "row_number": row_number,
                    "rut": rut,
                    "outcome": "updated",
                    "reason": None,
                    "detail": {k: [_plain(v[0]), _plain(v[1])] for k, v in diff.items()},
                    "organisation_id": current.id,
                }
            )
        else:
            outcomes.append(
                {
                    "row_number": row_number,
                    "rut": rut,
                    "outcome": "unchanged",
                    "reason": None,
                    "detail": None,
                    "organisation_id": current.id,
                }
            )

    if inserts:
        table = Organisation.__table__
        ids = db.next_ids(session, table, len(inserts))
        if ids is not None:
            for org_id, values in zip(ids, inserts, strict=True):
                values["id"] = org_id
            db.bulk_insert(session, table, inserts)
        else:
            created = (
                session.execute(
                    sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), inserts
                )
                .scalars()
                .all()
            )
            for org_id, values in zip(created, inserts, strict=True):
                values["id"] = org_id
        for values in inserts:
            outcomes.append(
                {
                    "row_number": values["source_row"],
                    "rut": values["rut"],
                    "outcome": "accepted",
                    "reason": None,
                    "detail": None,
                    "organisation_id": values["id"],
                }
            )
    if updates:
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for update in updates:
            by_keys.setdefault(tuple(sorted(update)), []).append(update)
        for group in by_keys.values():
            session.execute(sa.update(Organisation), group)
    for outcome in outcomes:
        outcome.setdefault("organisation_id", None)
        outcome["batch_id"] = batch.id
    db.bulk_insert(session, ImportRow.__table__, outcomes)

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
    if chunk.at_end:
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
    session.flush()
    return ChunkResult(chunk.at_end, len(chunk.rows))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


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
        now = utcnow()
        if representation.status == "approved":
            representation.status = "revoked"
            representation.revoked_at = now
        else:
            representation.status = "rejected"
        representation.decided_at = now
        representation.decided_by_id = actor.id
        representation.reason = "organisation dissolved"
        audit.record(
            f"registry.representation_{representation.status}",
            actor=actor,
            object_type="representation",
            object_id=representation.id,
            payload={"reason": "organisation dissolved"},
        )
        session.flush()
        _sync_representative_role(session, representation.user, actor)
    session.flush()


# --- searches -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFilter:
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
        # The public directory shows what the registry vouches for: not unverified imports.
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
        stored = storage.save_upload(stream, DOCUMENT_KIND, suffix=".bin", max_bytes=MAX_DOCUMENT_BYTES)
    except storage.UploadError as error:
        raise RegistryError(f"document_{error.code}") from error
    mime = storage.sniff_type(stored.path)
    if mime is None:
        stored.path.unlink(missing_ok=True)
        raise RegistryError("document_type")
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
    representation.status = "approved" if approve else "rejected"
    representation.decided_at = utcnow()
    if approve:
        representation.approved_at = representation.decided_at
    representation.decided_by_id = actor.id
    representation.reason = reason[:2000] or None
    session.flush()
    audit.record(
        f"registry.representation_{representation.status}",
        actor=actor,
        object_type="representation",
        object_id=representation.id,
        payload={"reason": reason[:2000]},
    )
    _sync_representative_role(session, representation.user, actor)
    session.flush()


def revoke_representation(session: Session, *, actor: User, representation: Representation, reason: str) -> None:
    _require(actor, Role.CURATOR)
    if representation.status != "approved":
        raise RegistryError("not_approved")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise RegistryError("reason_required")
    representation.status = "revoked"
    # The approval time stays: votes cast before now were cast while authorised (DESIGN §4).
    representation.decided_at = representation.revoked_at = utcnow()
    representation.decided_by_id = actor.id
    representation.reason = reason[:2000]
    session.flush()
    audit.record(
        "registry.representation_revoked",
        actor=actor,
        object_type="representation",
        object_id=representation.id,
        payload={"reason": reason[:2000]},
    )
    _sync_representative_role(session, representation.user, actor)
    session.flush()


def can_see_document(actor: User, representation: Representation) -> bool:
    """The supporting document may hold personal data: only its owner and curators see it."""
    return representation.user_id == actor.id or actor.has_role(Role.CURATOR)


def document_path(representation: Representation) -> Path:
    return storage.path_of(DOCUMENT_KIND, representation.document_stored)


def represented_organisations(session: Session, user: User) -> list[Organisation]:
    return list(
        session.execute(
            sa.select(Organisation)
            .join(Representation, Representation.organisation_id == Organisation.id)
            .where(Representation.user_id == user.id, Representation.status == "approved")
            .order_by(Organisation.legal_name)
        ).scalars()
    )
