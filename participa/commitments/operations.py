"""The commitment record: loading the programme, versions of each commitment's record, evidence,
compliance now and at any past date, bulk updates from a CSV, and the fingerprint's verification
(DESIGN §4, issue #14). Operations take the actor, check it, flush, and never commit."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.certification.models import Certification, CommitmentEvidence
from participa.commitments import rules
from participa.commitments.models import Commitment, CommitmentDocument, CommitmentVersion
from participa.core import storage
from participa.core.canonical import canonical_json
from participa.core.db import utcnow
from participa.projects.models import project_commitments
from participa.territory.models import Comuna

DOCUMENT_KIND = "commitments"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_CSV_BYTES = 1024 * 1024
FIRST_REASON = "Registro inicial del programa de gobierno 2025-2029"


class CommitmentError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


def require_programme_staff(actor: User) -> None:
    if not actor.has_role(Role.PROGRAMME_STAFF):
        raise CommitmentError("forbidden")


# --- loading the programme --------------------------------------------------------------------


def official_commitments() -> list[dict[str, object]]:
    """The programme's commitments as the list shipped with the package has them, numbered
    within their axis (DESIGN §3, commitments)."""
    text = resources.files("participa.commitments").joinpath("data/compromisos_2025_2029.csv").read_text("utf-8")
    return [
        {
            "number": int(row["numero"]),
            "axis": row["eje"].strip(),
            "title": row["compromiso"].strip(),
            "sub_axis": row["sub_eje"].strip() or None,
            "sub_axis_inferred": row["sub_eje_inferido"].strip().lower() == "si",
        }
        for row in csv.DictReader(text.splitlines())
    ]


def load_commitments(session: Session) -> tuple[int, int]:
    """Insert missing commitments and correct changed texts; idempotent; statuses are kept. Each
    commitment without a version gets its first one."""
    existing = {(c.axis, c.number): c for c in session.execute(sa.select(Commitment)).scalars()}
    added = updated = 0
    for row in official_commitments():
        commitment = existing.get((row["axis"], row["number"]))  # type: ignore[arg-type]
        if commitment is None:
            session.add(Commitment(**row))
            added += 1
            continue
        changed = False
        for name in ("title", "sub_axis", "sub_axis_inferred"):
            if getattr(commitment, name) != row[name]:
                setattr(commitment, name, row[name])
                changed = True
        updated += changed
    session.flush()
    for commitment in session.execute(sa.select(Commitment).where(Commitment.version == 0)).scalars():
        new_version(session, commitment, actor=None, reason=FIRST_REASON, now=utcnow())
    return added, updated


def list_commitments(session: Session) -> list[Commitment]:
    """Every commitment, in the programme's order: public data, open to anyone."""
    return list(session.execute(sa.select(Commitment).order_by(Commitment.id)).scalars())


# --- the record and its versions ----------------------------------------------------------------


def evidence_of(session: Session, commitment_id: int) -> list[tuple[CommitmentEvidence, Certification | None]]:
    """The certified results the commitment's record holds, oldest first."""
    return list(
        session.execute(
            sa.select(CommitmentEvidence, Certification)
            .outerjoin(Certification, Certification.id == CommitmentEvidence.certification_id)
            .where(CommitmentEvidence.commitment_id == commitment_id)
            .order_by(CommitmentEvidence.recorded_at, CommitmentEvidence.id)
        ).all()
    )


def linked_project_ids(session: Session, commitment_id: int) -> list[int]:
    return list(
        session.execute(
            sa.select(project_commitments.c.project_id)
            .where(project_commitments.c.commitment_id == commitment_id)
            .order_by(project_commitments.c.project_id)
        ).scalars()
    )


def record_of(session: Session, commitment: Commitment) -> dict[str, Any]:
    """The commitment's record as a version keeps it (its canonical JSON is fingerprinted)."""
    evidence = [
        {
            "project": row.project_id,
            "certificate": certification.code if certification else None,
            "outcome": row.outcome,
            "recorded_at": row.recorded_at,
        }
        for row, certification in evidence_of(session, commitment.id)
    ]
    return {
        "programme": rules.CURRENT_PROGRAMME,
        "commitment": commitment.id,
        "axis": commitment.axis,
        "sub_axis": commitment.sub_axis,
        "number": commitment.number,
        "title": commitment.title,
        "description": commitment.description,
        "criterion": commitment.criterion,
        "division": commitment.division,
        "status": commitment.status,
        "milestones": list(commitment.milestones or []),
        "approved_investment_clp": commitment.approved_investment_clp,
        "beneficiaries": commitment.beneficiaries,
        "comunas": sorted(commitment.comunas or []),
        "links": list(commitment.links or []),
        "documents": [{"title": d.title, "sha256": d.sha256} for d in commitment.documents],
        "evidence": evidence,
        "projects": linked_project_ids(session, commitment.id),
        "version": commitment.version,
    }


def _previous_record(session: Session, commitment: Commitment) -> dict[str, Any]:
    row = session.execute(
        sa.select(CommitmentVersion.record_json).where(
            CommitmentVersion.commitment_id == commitment.id, CommitmentVersion.version == commitment.version
        )
    ).scalar()
    return json.loads(row) if row else {}


def new_version(
    session: Session, commitment: Commitment, *, actor: User | None, reason: str, now: datetime
) -> CommitmentVersion:
    """Keep the record as it is now as a new version: the canonical record, its fingerprint,
    what changed since the last version and why; audited."""
    before = _previous_record(session, commitment)
    session.flush()
    commitment.version += 1
    record = record_of(session, commitment)
    changes = rules.changes_between(
        {k: v for k, v in before.items() if k != "version"},
        json.loads(canonical_json({k: v for k, v in record.items() if k != "version"})),
    )
    text = canonical_json(record).decode("utf-8")
    version = CommitmentVersion(
        commitment_id=commitment.id,
        version=commitment.version,
        recorded_at=now,
        actor_id=actor.id if actor else None,
        reason=reason,
        changes=changes,
        status=commitment.status,
        comunas=sorted(commitment.comunas or []),
        record_json=text,
        sha256=rules.fingerprint(record),
    )
    commitment.fingerprint, commitment.updated_at = version.sha256, now
    session.add(version)
    session.flush()
    audit.record(
        "commitments.version",
        actor=actor,
        object_type="commitment",
        object_id=commitment.id,
        payload={"version": version.version, "sha256": version.sha256, "fields": sorted(changes), "reason": reason},
        session=session,
    )
    return version


def versions_of(session: Session, commitment_id: int) -> list[CommitmentVersion]:
    """Every version of the commitment's record, newest first."""
    return list(
        session.execute(
            sa.select(CommitmentVersion)
            .where(CommitmentVersion.commitment_id == commitment_id)
            .order_by(CommitmentVersion.version.desc())
        ).scalars()
    )


# --- editing (GORE programme staff) ---------------------------------------------------------------


def _known_comunas(session: Session, cuts: Sequence[int]) -> list[int]:
    if not cuts:
        return []
    known = set(session.execute(sa.select(Comuna.cut).where(Comuna.cut.in_(list(cuts)))).scalars())
    if known != set(cuts):
        raise CommitmentError("unknown_comuna")
    return sorted(known)


def _count_or_none(value: Any) -> bool:
    """A whole number from 0 (pesos, people), or nothing."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15)


def checked_change(session: Session, change: Mapping[str, Any]) -> dict[str, Any]:
    """The changed fields, each checked; raises CommitmentError naming the first bad one."""
    checked: dict[str, Any] = {}
    for name, value in change.items():
        if name not in rules.EDITABLE:
            raise CommitmentError("unknown_field", name)
        if name == "status" and value not in rules.STATUSES:
            raise CommitmentError("bad_status")
        if name == "criterion" and value not in (None, *rules.CRITERIA):
            raise CommitmentError("bad_criterion")
        if name in ("approved_investment_clp", "beneficiaries") and not _count_or_none(value):
            raise CommitmentError("bad_number", name)
        if name == "comunas":
            value = _known_comunas(session, sorted(set(value or [])))
        if name in ("description", "division"):
            value = (value or "").strip()
        checked[name] = value
    return checked


def update_commitment(
    session: Session, *, actor: User, commitment: Commitment, change: Mapping[str, Any], reason: str, now: datetime
) -> CommitmentVersion:
    """Change the commitment's record (GORE programme staff only): every change needs a reason
    and becomes a new version; a change that changes nothing is refused."""
    require_programme_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise CommitmentError("reason_required")
    checked = checked_change(session, change)
    effective = {name: value for name, value in checked.items() if getattr(commitment, name) != value}
    if not effective:
        raise CommitmentError("nothing_changed")
    for name, value in effective.items():
        setattr(commitment, name, value)
    return new_version(session, commitment, actor=actor, reason=reason[:1000], now=now)


def add_document(
    session: Session, *, actor: User, commitment: Commitment, stream: BinaryIO, filename: str, title: str, now: datetime
) -> CommitmentDocument:
    """Keep a document (PDF or image, the type read from its content) as evidence; a new version."""
    require_programme_staff(actor)
    title = (title or "").strip()[:200]
    if not title:
        raise CommitmentError("title_required")
    try:
        stored, mime = storage.save_document(stream, DOCUMENT_KIND, max_bytes=MAX_DOCUMENT_BYTES)
    except storage.UploadError as error:
        raise CommitmentError(f"document_{error.code}") from error
    document = CommitmentDocument(
        commitment_id=commitment.id,
        title=title,
        uploaded_at=now,
        **storage.document_values(stored, mime, filename, actor.id, "documento"),
    )
    session.add(document)
    session.flush()
    session.refresh(commitment, ["documents"])
    new_version(session, commitment, actor=actor, reason=f"Documento agregado: {title}", now=now)
    return document


def document_path(document: CommitmentDocument) -> str:
    return str(storage.path_of(DOCUMENT_KIND, document.stored_name))


def record_certified_result(session: Session, commitment: Commitment, certificate: str, now: datetime) -> None:
    """A certified result of a linked project arrived as evidence: the record's new version says
    so, with no one typing it."""
    new_version(session, commitment, actor=None, reason=f"Resultado certificado (certificado {certificate})", now=now)


# --- compliance ------------------------------------------------------------------------------------


@dataclass
class Standing:
    """Compliance overall, by axis, by sub-axis and by comuna (territorial commitments only)."""

    overall: rules.Compliance
    by_axis: dict[str, rules.Compliance]
    by_sub_axis: dict[str, rules.Compliance]
    by_comuna: dict[int, rules.Compliance]
    by_status: dict[str, int] = field(default_factory=dict)


def _standing(rows: Sequence[tuple[str, str | None, str, Sequence[int]]]) -> Standing:
    """From (axis, sub-axis, status, comunas) per commitment."""
    by_comuna: dict[int, list[str]] = {}
    for _axis, _sub, status, comunas in rows:
        for cut in comunas or []:
            by_comuna.setdefault(cut, []).append(status)
    statuses = [status for _a, _s, status, _c in rows]
    return Standing(
        overall=rules.compliance(statuses),
        by_axis=rules.grouped_compliance((axis, status) for axis, _s, status, _c in rows),
        by_sub_axis=rules.grouped_compliance((sub or axis, status) for axis, sub, status, _c in rows),
        by_comuna={cut: rules.compliance(values) for cut, values in sorted(by_comuna.items())},
        by_status={status: statuses.count(status) for status in rules.STATUSES},
    )


def standing_now(commitments: Sequence[Commitment]) -> Standing:
    return _standing([(c.axis, c.sub_axis, c.status, c.comunas) for c in commitments])


# Versions are only ever added: what they say is kept per process under the table's size, ids and
# newest moment (a version written and rolled back, then another, differ in the moment), so a
# dashboard request reads four numbers instead of every version (18 ms of 47 with 1,600 versions,
# bench/dashboard.py).
_facts_cache: dict[str, Any] = {"key": None, "facts": []}


def version_facts(session: Session) -> list[rules.VersionFacts]:
    """What every version says for compliance (one small query when nothing was added since)."""
    key = tuple(
        session.execute(
            sa.select(
                sa.func.count(CommitmentVersion.id),
                sa.func.max(CommitmentVersion.id),
                sa.func.sum(CommitmentVersion.id),
                sa.func.max(CommitmentVersion.recorded_at),
            )
        ).one()
    )
    if _facts_cache["key"] != key:
        rows = session.execute(
            sa.select(
                CommitmentVersion.commitment_id,
                CommitmentVersion.recorded_at,
                CommitmentVersion.status,
                CommitmentVersion.comunas,
            ).order_by(CommitmentVersion.recorded_at, CommitmentVersion.id)
        ).all()
        _facts_cache.update(key=key, facts=[rules.VersionFacts(*row) for row in rows])
    return _facts_cache["facts"]


def standing_at(commitments: Sequence[Commitment], facts: Sequence[rules.VersionFacts], moment: datetime) -> Standing:
    """Where the programme stood at ``moment``, from the versions recorded by then."""
    by_id = {c.id: c for c in commitments}
    at = rules.standing_at(facts, moment)
    return _standing(
        [(by_id[i].axis, by_id[i].sub_axis, v.status, v.comunas) for i, v in sorted(at.items()) if i in by_id]
    )


def history(
    commitments: Sequence[Commitment], facts: Sequence[rules.VersionFacts], now: datetime, points: int = 12
) -> list[tuple[datetime, rules.Compliance]]:
    """Compliance at the end of each month since the first version (the last ``points``), and now."""
    if not facts:
        return []
    first = min(f.recorded_at for f in facts)
    moments, month = [], first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        if month > now:
            break
        moments.append(month - timedelta(microseconds=1))
    moments = [*moments[-(points - 1) :], now]
    return [(moment, rules.compliance(_statuses_at(facts, moment, {c.id for c in commitments}))) for moment in moments]


def _statuses_at(facts: Sequence[rules.VersionFacts], moment: datetime, ids: set[int]) -> list[str]:
    return [v.status for i, v in rules.standing_at(facts, moment).items() if i in ids]


# --- verification ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a fingerprint is: the current version, an earlier one (and the versions since), or unknown."""

    state: str  # current, earlier, unknown
    version: CommitmentVersion | None = None
    commitment: Commitment | None = None
    later: tuple[CommitmentVersion, ...] = ()


def verify(session: Session, text: str) -> Verification:
    fingerprint = "".join((text or "").split()).lower()
    if len(fingerprint) != 64 or any(ch not in "0123456789abcdef" for ch in fingerprint):
        return Verification("unknown")
    version = session.execute(sa.select(CommitmentVersion).where(CommitmentVersion.sha256 == fingerprint)).scalar()
    if version is None:
        return Verification("unknown")
    commitment = session.get(Commitment, version.commitment_id)
    assert commitment is not None
    if version.version == commitment.version:
        return Verification("current", version, commitment)
    later = [v for v in versions_of(session, commitment.id) if v.version > version.version]
    return Verification("earlier", version, commitment, tuple(reversed(later)))


# --- the public dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a visitor narrows the list to: axis, status, comuna (CUT), words, and a past moment."""

    axis: str | None = None
    status: str | None = None
    comuna: int | None = None
    words: str = ""
    at: datetime | None = None


@dataclass
class Dashboard:
    rows: list[tuple[Commitment, str]]  # the commitments shown, with their status (at the date)
    total: int
    standing: Standing
    history: list[tuple[datetime, rules.Compliance]]
    axes: list[str]
    comunas: dict[int, str]
    previous: rules.ClosedProgramme = rules.PREVIOUS_PROGRAMME


def _matches(commitment: Commitment, status: str, comunas: Sequence[int], filters: Filters) -> bool:
    words = filters.words.casefold().split()
    text = f"{commitment.title} {commitment.description} {commitment.sub_axis or ''}".casefold()
    return (
        (filters.axis is None or commitment.axis == filters.axis)
        and (filters.status is None or status == filters.status)
        and (filters.comuna is None or filters.comuna in (comunas or []))
        and all(word in text for word in words)
    )


def dashboard(session: Session, filters: Filters, now: datetime) -> Dashboard:
    """Everything the public dashboard shows, in three queries: the commitments, what their
    versions say, and the comunas' names."""
    commitments = list(
        session.execute(
            sa.select(Commitment).options(sa.orm.lazyload(Commitment.documents)).order_by(Commitment.id)
        ).scalars()
    )
    facts = version_facts(session)
    comunas = dict(session.execute(sa.select(Comuna.cut, Comuna.name).order_by(Comuna.name)).all())
    if filters.at is None:
        standing = standing_now(commitments)
        states = {c.id: (c.status, c.comunas) for c in commitments}
    else:
        standing = standing_at(commitments, facts, filters.at)
        states = {i: (v.status, v.comunas) for i, v in rules.standing_at(facts, filters.at).items()}
    rows = [
        (c, states[c.id][0])
        for c in commitments
        if c.id in states and _matches(c, states[c.id][0], states[c.id][1], filters)
    ]
    return Dashboard(
        rows=rows,
        total=len(states),
        standing=standing,
        history=history(commitments, facts, now),
        axes=list(dict.fromkeys(c.axis for c in commitments)),
        comunas=comunas,
    )
