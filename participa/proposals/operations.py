"""Proposal use cases: file, support, answer, moderate, and the admissibility a worker applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.admissibility.models import AdmissibilityDecision, decision_values
from participa.admissibility.rules import admissible
from participa.audit import operations as audit
from participa.consultations import weights
from participa.consultations.models import Consultation, Question
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.core.text import fold
from participa.proposals import rules
from participa.proposals.models import Proposal, ProposalSupport
from participa.registry.models import Organisation, Representation


class ProposalError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _represents(session: Session, actor: User, organisation_id: int) -> bool:
    return (
        session.execute(
            sa.select(Representation.id).where(
                Representation.user_id == actor.id,
                Representation.organisation_id == organisation_id,
                Representation.status == "approved",
            )
        ).scalar()
        is not None
    )


def _in_proposals_phase(consultation: Consultation, now: datetime) -> bool:
    return consultation.phase == Phase.PROPOSALS and consultation.proposals_at <= now < consultation.voting_at


def file_proposal(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    question_id: int,
    organisation_id: int,
    kind: str,
    title: str,
    body: str,
    now: datetime,
) -> Proposal:
    """A representative files a proposal or observation for their organisation, during the
    proposals phase. Admissibility (phase, eligibility, duplicates) follows in a worker."""
    if not _in_proposals_phase(consultation, now):
        raise ProposalError("closed")
    if not _represents(session, actor, organisation_id):
        raise ProposalError("not_authorised")
    if question_id not in {q.id for q in consultation.questions}:
        raise ProposalError("unknown_project")
    if kind not in rules.KINDS:
        raise ProposalError("bad_kind")
    title, body = rules.clean_text(title), rules.clean_text(body)
    problem = rules.text_problem(title, body)
    if problem:
        raise ProposalError(problem)
    proposal = Proposal(
        consultation_id=consultation.id,
        question_id=question_id,
        organisation_id=organisation_id,
        author_id=actor.id,
        kind=kind,
        title=title,
        body=body,
        fingerprint=rules.fingerprint(title, body)[:600],
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    audit.record(
        "proposals.filed",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        payload={"consultation": consultation.id, "organisation": organisation_id, "kind": kind},
    )
    return proposal


def evaluate_proposal(session: Session, proposal_id: int) -> AdmissibilityDecision | None:
    """Proposal admissibility: filed in the proposals phase, by an eligible organisation, not a
    repeat of an earlier admissible proposal on the same project. Safe to re-run."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.status != "pending":
        return None
    consultation = session.get(Consultation, proposal.consultation_id)
    organisation = session.get(Organisation, proposal.organisation_id)
    electorate = weights.Electorate(
        comunas=frozenset(consultation.electorate_comunas),
        org_types=frozenset(consultation.electorate_types),
        cutoff=consultation.cutoff_date,
    )
    facts = weights.OrgFacts(
        organisation_id=organisation.id,
        org_type=organisation.org_type,
        comuna_cut=organisation.comuna_cut,
        members_count=organisation.members_count,
        status=organisation.status,
        board_term_start=organisation.board_term_start,
        board_term_end=organisation.board_term_end,
    )
    duplicate = session.execute(
        sa.select(Proposal.id)
        .where(
            Proposal.question_id == proposal.question_id,
            Proposal.fingerprint == proposal.fingerprint,
            Proposal.status == "admissible",
            Proposal.id != proposal.id,
        )
        .order_by(Proposal.id)
        .limit(1)
    ).scalar()
    verdicts = rules.proposal_verdicts(
        rules.ProposalFacts(
            created_at=proposal.created_at,
            proposals_at=consultation.proposals_at,
            voting_at=consultation.voting_at,
            eligibility_problem=weights.eligibility(facts, electorate),
            duplicate_of=duplicate,
        )
    )
    ok = admissible(verdicts)
    decision = AdmissibilityDecision(**decision_values("proposal", proposal.id, f"filed-{proposal.id}", verdicts))
    session.add(decision)
    proposal.status = "admissible" if ok else "inadmissible"
    audit.record(
        "proposals.admissibility",
        actor=None,
        object_type="proposal",
        object_id=proposal.id,
        payload={"admissible": ok, "failed": [v.rule for v in verdicts if not v.ok]},
        session=session,
    )
    session.flush()
    return decision


def support_proposal(session: Session, *, actor: User, proposal: Proposal, organisation_id: int, now: datetime) -> None:
    consultation = session.get(Consultation, proposal.consultation_id)
    if not _in_proposals_phase(consultation, now):
        raise ProposalError("closed")
    if not _represents(session, actor, organisation_id):
        raise ProposalError("not_authorised")
    if proposal.organisation_id == organisation_id:
        raise ProposalError("own_proposal")
    if proposal.status != "admissible" or proposal.hidden:
        raise ProposalError("not_supportable")
    session.add(
        ProposalSupport(
            proposal_id=proposal.id, organisation_id=organisation_id, supported_by_id=actor.id, created_at=now
        )
    )
    try:
        session.flush()
    except IntegrityError as error:
        raise ProposalError("already_supported") from error
    audit.record(
        "proposals.supported",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        payload={"organisation": organisation_id},
    )


def answer_proposal(session: Session, *, actor: User, proposal: Proposal, text: str) -> None:
    """The comuna answers: municipal staff of the project's comuna only."""
    question = session.get(Question, proposal.question_id)
    if not actor.has_role(Role.MUNICIPAL_STAFF) or actor.comuna_cut != question.project.comuna_cut:
        raise ProposalError("forbidden")
    if proposal.answer is not None:
        raise ProposalError("already_answered")  # an answer is part of the record: never replaced
    if proposal.status != "admissible" or proposal.hidden:
        raise ProposalError("not_answerable")
    text = rules.clean_text(text)
    if len(text) < 3 or len(text) > rules.BODY_MAX:
        raise ProposalError("answer_length")
    proposal.answer = text
    proposal.answered_by_id = actor.id
    proposal.answered_at = utcnow()
    audit.record(
        "proposals.answered", actor=actor, object_type="proposal", object_id=proposal.id, payload={"answer": text}
    )
    session.flush()


def hide_proposal(session: Session, *, actor: User, proposal: Proposal, reason: str) -> None:
    """Moderation hides an item with a reason; it is kept, and the reason is public."""
    if not actor.has_role(Role.MANAGER):
        raise ProposalError("forbidden")
    reason = rules.clean_text(reason)
    if len(reason) < 3:
        raise ProposalError("reason_required")
    proposal.hidden = True
    proposal.hidden_reason = reason[:2000]
    proposal.hidden_by_id = actor.id
    proposal.hidden_at = utcnow()
    audit.record(
        "proposals.hidden",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        payload={"reason": proposal.hidden_reason},
    )
    session.flush()


@dataclass(frozen=True)
class ProposalFilters:
    """Words of the title or text (a hidden item's are not searched), a question, a kind, and
    whether the comuna answered (True, False or None for either)."""

    text: str = ""
    question_id: int | None = None
    kind: str | None = None
    answered: bool | None = None


def visible_proposals(
    session: Session, consultation_id: int, filters: ProposalFilters = ProposalFilters()
) -> list[Proposal]:
    """Published items: admissible ones (hidden ones show only their moderation reason). A filed
    item appears once its admissibility has been checked."""
    query = sa.select(Proposal).where(Proposal.consultation_id == consultation_id, Proposal.status == "admissible")
    if filters.question_id is not None:
        query = query.where(Proposal.question_id == filters.question_id)
    if filters.kind:
        query = query.where(Proposal.kind == filters.kind)
    if filters.answered is not None:
        query = query.where(Proposal.answer.is_not(None) if filters.answered else Proposal.answer.is_(None))
    found = list(session.execute(query.order_by(Proposal.question_id, Proposal.id)).scalars())
    words = fold(filters.text).split()
    if words:
        found = [p for p in found if not p.hidden and all(w in fold(f"{p.title} {p.body}") for w in words)]
    return found
