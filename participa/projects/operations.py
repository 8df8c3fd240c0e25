"""Project use cases: municipal staff draft, edit and submit projects of their own comuna; a
worker evaluates admissibility; attachments are checked by content and served with permission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.admissibility.models import AdmissibilityDecision, decision_values
from participa.admissibility.rules import admissible
from participa.audit import operations as audit
from participa.commitments.models import Commitment
from participa.core import storage
from participa.core.db import today_santiago, utcnow
from participa.projects import rules
from participa.projects.models import Project, ProjectAttachment
from participa.projects.rules import ProjectState

ATTACHMENT_KIND = "projects"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
GORE_ROLES = (Role.CURATOR, Role.MANAGER, Role.CERTIFIER, Role.ADMIN)


class ProjectError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ProjectData:
    title: str
    summary: str
    description: str
    bip_code: str | None
    amount_clp: int | None
    axis: str
    sub_axis: str | None
    commitment_ids: list[int]
    rate_status: str
    rate_date: date | None
    latitude: Decimal | None
    longitude: Decimal | None
    location_text: str | None = None


def _require_own_comuna(actor: User, project: Project | None = None) -> None:
    """Municipal staff act for their own comuna only (DESIGN §2)."""
    if not actor.has_role(Role.MUNICIPAL_STAFF) or actor.comuna_cut is None:
        raise ProjectError("forbidden")
    if project is not None and project.comuna_cut != actor.comuna_cut:
        raise ProjectError("forbidden")


def _apply(session: Session, project: Project, data: ProjectData) -> None:
    project.title = data.title.strip()
    project.summary = data.summary.strip()
    project.description = data.description.strip()
    project.bip_code = (data.bip_code or "").strip() or None
    project.amount_clp = data.amount_clp
    project.axis = data.axis
    project.sub_axis = (data.sub_axis or "").strip() or None
    project.rate_status = data.rate_status
    project.rate_date = data.rate_date
    project.latitude = data.latitude
    project.longitude = data.longitude
    project.location_text = (data.location_text or "").strip() or None
    ids = sorted(set(data.commitment_ids))
    found = list(session.execute(sa.select(Commitment).where(Commitment.id.in_(ids))).scalars())
    if len(found) != len(ids):
        raise ProjectError("unknown_commitment")
    project.commitments = found
    project.updated_at = utcnow()


def create_project(session: Session, *, actor: User, data: ProjectData) -> Project:
    _require_own_comuna(actor)
    project = Project(comuna_cut=actor.comuna_cut, created_by_id=actor.id, state=ProjectState.DRAFT.value)
    _apply(session, project, data)
    session.add(project)
    session.flush()
    audit.record(
        "projects.created",
        actor=actor,
        object_type="project",
        object_id=project.id,
        payload={"comuna": project.comuna_cut, "title": project.title},
    )
    return project


def update_project(session: Session, *, actor: User, project: Project, data: ProjectData) -> None:
    _require_own_comuna(actor, project)
    if project.state not in rules.EDITABLE_STATES:
        raise ProjectError("not_editable")
    _apply(session, project, data)
    if project.state == ProjectState.ADMISSIBLE:
        # A change after the verdict needs a new one.
        project.state = ProjectState.DRAFT.value
    audit.record(
        "projects.updated", actor=actor, object_type="project", object_id=project.id, payload={"title": project.title}
    )
    session.flush()


def submit_project(session: Session, *, actor: User, project: Project) -> None:
    """Submit for admissibility; the verdict comes from a worker (``projects.evaluate``)."""
    _require_own_comuna(actor, project)
    if project.state not in rules.SUBMITTABLE_STATES:
        raise ProjectError("not_submittable")
    project.state = ProjectState.SUBMITTED.value
    project.submitted_at = utcnow()
    audit.record("projects.submitted", actor=actor, object_type="project", object_id=project.id)
    session.flush()


def withdraw_project(session: Session, *, actor: User, project: Project) -> None:
    _require_own_comuna(actor, project)
    if project.state in rules.PUBLIC_STATES or project.state == ProjectState.WITHDRAWN:
        raise ProjectError("not_withdrawable")
    project.state = ProjectState.WITHDRAWN.value
    audit.record("projects.withdrawn", actor=actor, object_type="project", object_id=project.id)
    session.flush()


def evaluate_project(session: Session, project_id: int, *, policy: rules.ProjectPolicy) -> AdmissibilityDecision | None:
    """Apply every admissibility rule to a submitted project and record each verdict.

    Safe to re-run: a project no longer 'submitted' is left alone, and one submission is one
    run (its time), recorded once."""
    project = session.execute(sa.select(Project).where(Project.id == project_id).with_for_update(of=Project)).scalar()
    if project is None or project.state != ProjectState.SUBMITTED or project.submitted_at is None:
        return None
    run = f"submission-{int(project.submitted_at.timestamp() * 1_000_000)}"
    submitter = session.get(User, project.created_by_id)
    known = frozenset(session.execute(sa.select(Commitment.id)).scalars())
    facts = rules.ProjectFacts(
        title=project.title,
        summary=project.summary,
        description=project.description,
        axis=project.axis,
        comuna_cut=project.comuna_cut,
        submitter_comuna_cut=submitter.comuna_cut if submitter else None,
        bip_code=project.bip_code or "",
        amount_clp=project.amount_clp,
        rate_status=project.rate_status,
        rate_date=project.rate_date,
        commitment_ids=tuple(c.id for c in project.commitments),
        known_commitments=known,
    )
    verdicts = rules.project_verdicts(facts, policy)
    ok = admissible(verdicts)
    decision = AdmissibilityDecision(**decision_values("project", project.id, run, verdicts))
    session.add(decision)
    project.state = (ProjectState.ADMISSIBLE if ok else ProjectState.INADMISSIBLE).value
    audit.record(
        "projects.admissibility",
        actor=None,
        object_type="project",
        object_id=project.id,
        payload={"admissible": ok, "failed": [v.rule for v in verdicts if not v.ok]},
        session=session,
    )
    session.flush()
    return decision


def policy_from_config(config: dict) -> rules.ProjectPolicy:  # type: ignore[type-arg]
    return rules.ProjectPolicy(
        min_amount_clp=config["PROJECT_MIN_AMOUNT_CLP"],
        max_amount_clp=config["PROJECT_MAX_AMOUNT_CLP"],
        rs_validity_days=config["RS_VALIDITY_DAYS"],
        today=today_santiago(),
    )


def latest_decision(session: Session, project: Project) -> AdmissibilityDecision | None:
    return session.execute(
        sa.select(AdmissibilityDecision)
        .where(AdmissibilityDecision.subject_type == "project", AdmissibilityDecision.subject_id == project.id)
        .order_by(AdmissibilityDecision.id.desc())
        .limit(1)
    ).scalar()


# --- attachments ----------------------------------------------------------------------------


def add_attachment(
    session: Session, *, actor: User, project: Project, stream: BinaryIO, filename: str
) -> ProjectAttachment:
    _require_own_comuna(actor, project)
    if project.state not in rules.EDITABLE_STATES:
        raise ProjectError("not_editable")
    try:
        stored, mime = storage.save_document(stream, ATTACHMENT_KIND, max_bytes=MAX_ATTACHMENT_BYTES)
    except storage.UploadError as error:
        raise ProjectError(f"attachment_{error.code}") from error
    attachment = ProjectAttachment(
        project_id=project.id, **storage.document_values(stored, mime, filename, actor.id, "adjunto")
    )
    session.add(attachment)
    session.flush()
    audit.record(
        "projects.attachment_added",
        actor=actor,
        object_type="project",
        object_id=project.id,
        payload={"attachment": attachment.id, "sha256": stored.sha256, "type": mime},
    )
    return attachment


def can_view(actor: User | None, project: Project) -> bool:
    """Anyone once the project is under consultation; before that, its comuna's staff and GORE
    staff."""
    if project.state in rules.PUBLIC_STATES:
        return True
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.has_role(*GORE_ROLES):
        return True
    return actor.has_role(Role.MUNICIPAL_STAFF) and actor.comuna_cut == project.comuna_cut


def attachment_path(attachment: ProjectAttachment) -> Path:
    return storage.path_of(ATTACHMENT_KIND, attachment.stored_name)


STAFF_LIST_LIMIT = 200


def submitted_projects(session: Session, *, actor: User, state: str | None) -> list[Project]:
    """GORE staff's view of every comuna's submitted projects (drafts stay the comuna's own),
    in one state if asked, latest change first."""
    if not any(actor.has_role(role) for role in GORE_ROLES):
        raise ProjectError("forbidden")
    query = sa.select(Project).where(Project.state != ProjectState.DRAFT.value)
    if state:
        query = query.where(Project.state == state)
    return list(session.execute(query.order_by(Project.updated_at.desc()).limit(STAFF_LIST_LIMIT)).scalars())


def comuna_projects(session: Session, actor: User) -> list[Project]:
    _require_own_comuna(actor)
    return list(
        session.execute(
            sa.select(Project).where(Project.comuna_cut == actor.comuna_cut).order_by(Project.updated_at.desc())
        ).scalars()
    )
