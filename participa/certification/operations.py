"""Certifying a result: what a certifier reviews, each decision, the certificate and its
consequences, and the public verification of a certificate. Views and tasks call these; the
rules themselves are in :mod:`participa.certification.rules`."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.audit.models import AuditBlock, AuditEvent
from participa.certification import rules
from participa.certification.models import Certification, CertificationDecision, CommitmentEvidence
from participa.certification.rules import CertificationError, Decision, Outcome, Refusal
from participa.commitments import operations as commitments
from participa.consultations.models import Consultation, PowerIndex, RollEntry
from participa.consultations.operations import roll_hash
from participa.consultations.rules import Phase
from participa.core import outbox
from participa.facilitation import operations as facilitation
from participa.facilitation.models import InPersonSession, SyncRefusal
from participa.projects.rules import ProjectState
from participa.voting import operations as voting
from participa.voting import records
from participa.voting import rules as voting_rules
from participa.voting.models import Ballot, TallyResult, Vote

# What a manager does to a consultation: any of these events by a person makes them its manager.
MANAGING_ACTIONS = (
    "consultations.created",
    "consultations.updated",
    "consultations.phase_changed",
    "consultations.roll_frozen",
    "certification.recount_started",
)
CODE_ATTEMPTS = 5


def current_result(session: Session, consultation_id: int) -> TallyResult | None:
    return session.execute(voting.current_result_query(consultation_id)).scalar_one_or_none()


def awaiting(session: Session) -> list[tuple[Consultation, TallyResult | None]]:
    """Consultations in the certification phase, oldest close first, with their result."""
    consultations = session.execute(
        sa.select(Consultation).where(Consultation.phase == Phase.CERTIFICATION).order_by(Consultation.voting_ends_at)
    ).scalars()
    return [(c, current_result(session, c.id)) for c in consultations]


def recently_certified(session: Session, limit: int = 20) -> list[Certification]:
    return list(
        session.execute(sa.select(Certification).order_by(Certification.certified_at.desc()).limit(limit)).scalars()
    )


# --- who may certify -------------------------------------------------------------------------


def conflicts(session: Session, consultation: Consultation, user_id: int) -> list[rules.Conflict]:
    """Why this person may not certify this consultation (segregation of duties): they manage
    it (created it, or changed it, moved it or asked for its recount), facilitate one of its
    in-person sessions, or cast a ballot in it (online or in person)."""
    managers = session.execute(
        sa.select(AuditEvent.actor_id).where(
            AuditEvent.object_type == "consultation",
            AuditEvent.object_id == str(consultation.id),
            AuditEvent.action.in_(MANAGING_ACTIONS),
            AuditEvent.actor_id == user_id,
        )
    ).scalars()
    voted = session.execute(
        sa.select(Ballot.id).where(Ballot.consultation_id == consultation.id, Ballot.cast_by_id == user_id).limit(1)
    ).first()
    facilitated = session.execute(
        sa.select(InPersonSession.id)
        .where(InPersonSession.consultation_id == consultation.id, InPersonSession.facilitator_id == user_id)
        .limit(1)
    ).first()
    return rules.conflicts_of(
        user_id,
        created_by_id=consultation.created_by_id,
        managers=set(managers),
        facilitators={user_id} if facilitated else set(),
        voters={user_id} if voted else set(),
    )


def _prior(session: Session, consultation: Consultation) -> list[rules.PriorDecision]:
    return [
        rules.PriorDecision(d.certifier_id, Decision(d.decision), d.result_sha256)
        for d in session.execute(
            sa.select(CertificationDecision).where(
                CertificationDecision.consultation_id == consultation.id,
                CertificationDecision.count_round == consultation.count_round,
            )
        ).scalars()
    ]


def decisions_of(session: Session, consultation_id: int) -> list[CertificationDecision]:
    """Every decision on the consultation, every round, in order."""
    return list(
        session.execute(
            sa.select(CertificationDecision)
            .where(CertificationDecision.consultation_id == consultation_id)
            .order_by(CertificationDecision.decided_at, CertificationDecision.id)
        ).scalars()
    )


# --- what the certifier reviews ---------------------------------------------------------------


@dataclass
class Flag:
    """Something that needs a human eye before certifying: a code, a count, and the detail."""

    code: str
    count: int
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    consultation: Consultation
    result: TallyResult | None
    data: dict[str, Any]
    admissibility: list[tuple[bool, str | None, int]]  # (admitted, reason, votes), most first
    flags: list[Flag]
    last_event: AuditEvent | None
    block: AuditBlock | None
    decisions: list[CertificationDecision]


def last_event(session: Session, consultation_id: int) -> AuditEvent | None:
    """The consultation's newest audit event (its object is the consultation)."""
    return session.execute(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "consultation", AuditEvent.object_id == str(consultation_id))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def admissibility_summary(session: Session, consultation_id: int) -> list[tuple[bool, str | None, int]]:
    """Votes by verdict and reason, as recorded at close (copied onto each vote)."""
    rows = session.execute(
        sa.select(Vote.admitted, Vote.refusal, sa.func.count())
        .where(Vote.consultation_id == consultation_id)
        .group_by(Vote.admitted, Vote.refusal)
    ).all()
    return sorted(((bool(a), r, n) for a, r, n in rows), key=lambda row: (-row[2], row[1] or ""))


def _in_person_flags(session: Session, consultation: Consultation) -> list[Flag]:
    """In-person ballots synced after their session's end (accepted within the grace), UUIDs a
    tablet sent again with other content, and sessions opened whose acta is unsigned or does
    not add up (votes recorded on a tablet that never arrived)."""
    late = session.execute(
        sa.select(sa.func.count()).where(Ballot.consultation_id == consultation.id, Ballot.late_sync)
    ).scalar_one()
    sessions = list(
        session.execute(
            sa.select(InPersonSession).where(
                InPersonSession.consultation_id == consultation.id, InPersonSession.opened_at.is_not(None)
            )
        ).scalars()
    )
    conflicts = session.execute(
        sa.select(sa.func.count(sa.distinct(SyncRefusal.client_uuid))).where(
            SyncRefusal.session_id.in_([row.id for row in sessions]), SyncRefusal.reason == "conflict"
        )
    ).scalar_one()
    unsettled = sum(1 for row in sessions if not (facilitation.acta_of(row) or {}).get("votes", {}).get("adds_up"))
    counts = {"late_in_person": late, "sync_conflict": conflicts, "acta_unsettled": unsettled}
    return [Flag(code, n) for code, n in counts.items() if n]


def flags(session: Session, consultation: Consultation, data: dict[str, Any]) -> list[Flag]:
    """What the numbers alone do not show: votes the channels or the clock set aside, and
    weights that single out organisations."""
    found: list[Flag] = []
    by_reason = dict(
        session.execute(
            sa.select(Vote.refusal, sa.func.count())
            .where(Vote.consultation_id == consultation.id, Vote.admitted.is_(False))
            .group_by(Vote.refusal)
        ).all()
    )
    found.extend(_in_person_flags(session, consultation))
    if by_reason.get("overridden_in_person"):
        found.append(Flag("channel_conflict", by_reason["overridden_in_person"]))
    if by_reason.get("not_authorised"):
        found.append(Flag("not_authorised", by_reason["not_authorised"]))
    weights = list(
        session.execute(sa.select(RollEntry.weight).where(RollEntry.consultation_id == consultation.id)).scalars()
    )
    estimate = voting_rules.disclosure_estimate(weights)
    if consultation.secrecy == "secret" and estimate.unique_weight:
        found.append(Flag("unique_weights", estimate.unique_weight, {"roll": estimate.organisations}))
    if consultation.secrecy == "secret" and data:
        participants = counted_weights(session, consultation.id)
        for question in data.get("questions", []):
            totals = {c: (question[c]["heads"], Decimal(question[c]["weight"])) for c in voting_rules.CHOICES}
            revealed = [c for c, shown in voting_rules.revealed_choices(participants, totals).items() if shown]
            if revealed:
                found.append(Flag("revealed_totals", len(revealed), {"question_id": question["question_id"]}))
    index = session.get(PowerIndex, consultation.id)
    if index is not None and index.flags:
        kinds = Counter(index.flags.values())
        found.append(Flag("power", len(index.flags), dict(kinds)))
    return found


def counted_weights(session: Session, consultation_id: int) -> list[Decimal]:
    """The weight of every counted ballot (public on the trackers list)."""
    weights: list[Decimal] = []
    for row in session.execute(records.tracker_query(consultation_id)):
        if records.tracker_item(row)["status"] == voting_rules.COUNTED and row.weight is not None:
            weights.append(Decimal(row.weight))
    return weights


def review(session: Session, consultation: Consultation) -> Review:
    result = current_result(session, consultation.id)
    data = json.loads(result.canonical_json) if result is not None else {}
    event = last_event(session, consultation.id)
    return Review(
        consultation=consultation,
        result=result,
        data=data,
        admissibility=admissibility_summary(session, consultation.id),
        flags=flags(session, consultation, data),
        last_event=event,
        block=audit.block_of_event(session, event.id) if event is not None else None,
        decisions=decisions_of(session, consultation.id),
    )


# --- deciding -------------------------------------------------------------------------------


def decide(
    session: Session,
    *,
    actor: User,
    consultation_id: int,
    decision: Decision,
    reason: str | None,
    seen_sha256: str,
    now: datetime,
) -> Outcome:
    """Record one certifier's decision on the current round and apply what it leads to:
    nothing yet (the first approval), the certificate (the second approval by someone else), or
    a recount (a refusal). The caller commits. Raises :class:`CertificationError`."""
    if not actor.has_role(Role.CERTIFIER):
        raise CertificationError(Refusal.CONFLICT, "not_certifier")
    consultation = _locked_in_certification(session, consultation_id)
    result = current_result(session, consultation_id)
    prior = _prior(session, consultation)
    rules.check_decision(
        actor.id,
        decision,
        reason,
        seen_sha256=seen_sha256,
        current_sha256=result.sha256 if result is not None else None,
        prior=prior,
        conflicts=conflicts(session, consultation, actor.id),
    )
    assert result is not None  # checked above
    mine = rules.PriorDecision(actor.id, decision, result.sha256)
    after = rules.outcome([*prior, mine], result.sha256)
    block = None
    if after == Outcome.CERTIFIED:
        # Before this decision's own event: the certificate names the block that covers the
        # consultation's last event so far (sealed here if the sealer has not come by yet).
        block = _block_covering_last_event(session, consultation_id)
    _record_decision(session, consultation, actor, decision, reason, result.sha256, now)
    if after == Outcome.RECOUNT:
        _send_back(session, consultation, result)
    elif after == Outcome.CERTIFIED:
        assert block is not None
        _certify(session, consultation, result, block, now)
    session.flush()
    return after


def _locked_in_certification(session: Session, consultation_id: int) -> Consultation:
    """The consultation, locked for this decision, if its result awaits certification."""
    consultation = session.execute(
        sa.select(Consultation)
        .where(Consultation.id == consultation_id)
        .with_for_update(of=Consultation)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if consultation is None or consultation.phase != Phase.CERTIFICATION or consultation.certified_at is not None:
        raise CertificationError(Refusal.NOT_IN_CERTIFICATION)
    return consultation


def _record_decision(
    session: Session,
    consultation: Consultation,
    actor: User,
    decision: Decision,
    reason: str | None,
    sha256: str,
    now: datetime,
) -> None:
    """Store one certifier's decision on the round's result, and audit it."""
    reason = (reason or "").strip() or None
    session.add(
        CertificationDecision(
            consultation_id=consultation.id,
            count_round=consultation.count_round,
            certifier_id=actor.id,
            decision=decision.value,
            reason=reason,
            result_sha256=sha256,
            decided_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError as error:  # the same person, twice at once
        raise CertificationError(Refusal.ALREADY_DECIDED) from error
    audit.record(
        "certification.approved" if decision == Decision.APPROVE else "certification.refused",
        actor=actor,
        object_type="consultation",
        object_id=consultation.id,
        payload={
            "round": consultation.count_round,
            "sha256": sha256,
            **({"reason": reason or ""} if decision == Decision.REFUSE else {}),
        },
        session=session,
    )


def _block_covering_last_event(session: Session, consultation_id: int) -> AuditBlock:
    event = last_event(session, consultation_id)
    if event is None:
        raise CertificationError(Refusal.AUDIT_NOT_SEALED)
    block = audit.block_of_event(session, event.id)
    if block is None:
        audit.seal(session)
        session.flush()
        block = audit.block_of_event(session, event.id)
    if block is None:
        raise CertificationError(Refusal.AUDIT_NOT_SEALED)
    return block


def _send_back(session: Session, consultation: Consultation, result: TallyResult) -> None:
    """A refusal: the round's result stays stored, the consultation returns to counting under a
    new round, and its managers correct what the refusal names and ask for the recount."""
    consultation.count_round += 1
    consultation.phase = Phase.COUNTING.value
    audit.record(
        "certification.sent_back",
        actor=None,
        object_type="consultation",
        object_id=consultation.id,
        payload={"refused_sha256": result.sha256, "round": consultation.count_round},
        session=session,
    )


def start_recount(session: Session, *, actor: User, consultation_id: int) -> None:
    """A manager, after correcting what a certifier's refusal named, asks for the recount: the
    close task judges every vote again under the new round and counts. The caller commits."""
    if not actor.has_role(Role.MANAGER):
        raise CertificationError(Refusal.CONFLICT, "not_manager")
    consultation = session.execute(
        sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update(of=Consultation)
    ).scalar_one_or_none()
    if consultation is None or not awaiting_recount(session, consultation):
        raise CertificationError(Refusal.NOT_IN_CERTIFICATION)
    audit.record(
        "certification.recount_started",
        actor=actor,
        object_type="consultation",
        object_id=consultation_id,
        payload={"round": consultation.count_round},
        session=session,
    )
    outbox.enqueue("voting.close_consultation", consultation_id, session=session)


def awaiting_recount(session: Session, consultation: Consultation) -> bool:
    """Sent back by a certifier and not yet recounted: counting, in a round above the first,
    with no result for this round."""
    return (
        consultation.phase == Phase.COUNTING
        and consultation.count_round > 1
        and current_result(session, consultation.id) is None
    )


def last_refusal(session: Session, consultation: Consultation) -> CertificationDecision | None:
    return session.execute(
        sa.select(CertificationDecision)
        .where(
            CertificationDecision.consultation_id == consultation.id,
            CertificationDecision.decision == Decision.REFUSE.value,
        )
        .order_by(CertificationDecision.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _new_certification(
    session: Session, consultation: Consultation, result: TallyResult, block: AuditBlock, now: datetime
) -> Certification:
    """The certificate's row, under a code no other certificate has."""
    certification = None
    for _attempt in range(CODE_ATTEMPTS):
        code = rules.new_code()
        if session.execute(sa.select(Certification.id).where(Certification.code == code)).first() is None:
            certification = Certification(
                consultation_id=consultation.id,
                code=code,
                result_sha256=result.sha256,
                roll_hash=consultation.roll_hash or "",
                trackers_hash=result.trackers_hash,
                audit_block_id=block.id,
                audit_block_hash=block.block_hash,
                certified_at=now,
            )
            break
    if certification is None:  # pragma: no cover - 50 bits: five collisions in a row do not happen
        raise RuntimeError("no free certificate code")
    return certification


def _feed_projects_and_commitments(
    session: Session, consultation: Consultation, result: TallyResult, certification: Certification, now: datetime
) -> None:
    """Each project of the consultation moves to its certified outcome (if still in
    consultation), and every commitment it is linked to receives the result as evidence."""
    data = json.loads(result.canonical_json)
    outcomes = {q["question_id"]: rules.project_outcome(q) for q in data["questions"]}
    for question in consultation.questions:
        project = question.project
        outcome = outcomes.get(question.id, rules.ProjectOutcome.CONSULTED)
        if project.state == ProjectState.IN_CONSULTATION:
            project.state = outcome.value
            project.updated_at = now
            audit.record(
                "projects.certified_outcome",
                actor=None,
                object_type="project",
                object_id=project.id,
                payload={"state": outcome.value, "certificate": certification.code},
                session=session,
            )
        for commitment in project.commitments:
            session.add(
                CommitmentEvidence(
                    commitment_id=commitment.id,
                    kind="certified_result",
                    project_id=project.id,
                    certification_id=certification.id,
                    outcome=outcome.value,
                    recorded_at=now,
                )
            )
            audit.record(
                "commitments.evidence_added",
                actor=None,
                object_type="commitment",
                object_id=commitment.id,
                payload={"project": project.id, "certificate": certification.code, "outcome": outcome.value},
                session=session,
            )
            commitments.record_certified_result(session, commitment, certification.code, now)


def _certify(
    session: Session, consultation: Consultation, result: TallyResult, block: AuditBlock, now: datetime
) -> Certification:
    """Two approvals: the certificate, the projects' new states, the commitments' evidence and
    the e-mail to the roll's representatives. From the flush that sets ``certified_at`` on, the
    database refuses any change to what fed the result."""
    certification = _new_certification(session, consultation, result, block, now)
    session.add(certification)
    session.flush()
    _feed_projects_and_commitments(session, consultation, result, certification, now)
    consultation.certified_at = now
    consultation.phase = Phase.PUBLISHED.value
    audit.record(
        "certification.certified",
        actor=None,
        object_type="consultation",
        object_id=consultation.id,
        payload={
            "code": certification.code,
            "sha256": result.sha256,
            "roll_hash": certification.roll_hash,
            "trackers_hash": certification.trackers_hash,
            "audit_block": block.id,
            "audit_block_hash": block.block_hash,
        },
        session=session,
    )
    outbox.enqueue("certification.notify_roll", consultation.id, session=session)
    return certification


def certificate_by_code(session: Session, code: str) -> Certification | None:
    return session.execute(sa.select(Certification).where(Certification.code == code)).scalar_one_or_none()


def certificate_of(session: Session, consultation_id: int) -> Certification | None:
    return session.execute(
        sa.select(Certification).where(Certification.consultation_id == consultation_id)
    ).scalar_one_or_none()


def certifiers_of(session: Session, certification: Certification) -> list[CertificationDecision]:
    """The approvals that certified it, in order."""
    return list(
        session.execute(
            sa.select(CertificationDecision)
            .where(
                CertificationDecision.consultation_id == certification.consultation_id,
                CertificationDecision.result_sha256 == certification.result_sha256,
                CertificationDecision.decision == Decision.APPROVE.value,
            )
            .order_by(CertificationDecision.decided_at, CertificationDecision.id)
        ).scalars()
    )


def evidence_of_commitment(session: Session, commitment_id: int) -> list[CommitmentEvidence]:
    return list(
        session.execute(
            sa.select(CommitmentEvidence)
            .where(CommitmentEvidence.commitment_id == commitment_id)
            .order_by(CommitmentEvidence.recorded_at, CommitmentEvidence.id)
        ).scalars()
    )


# --- verifying a certificate ----------------------------------------------------------------


def stored_roll_hash(session: Session, consultation_id: int) -> str:
    """The roll hash recomputed from the roll entries as stored now."""
    entries = [
        (row.organisation_id, row.rut, Decimal(row.weight), row.inputs)
        for row in session.execute(
            sa.select(RollEntry.organisation_id, RollEntry.rut, RollEntry.weight, RollEntry.inputs).where(
                RollEntry.consultation_id == consultation_id
            )
        )
    ]
    return roll_hash(entries)


def published_trackers_hash(session: Session, consultation: Consultation) -> str:
    """The SHA-256 of the trackers list (comprobantes.json) as it is published now."""
    digest = hashlib.sha256()
    for chunk in records.file_chunks(session, consultation, records.TRACKERS, "json"):
        digest.update(chunk)
    return digest.hexdigest()


def verify(session: Session, certification: Certification) -> list[rules.CheckResult]:
    """Recompute, from what is stored now, everything the certificate states: the result's
    SHA-256 from its canonical bytes (and the hashes written inside them), the roll hash, the
    trackers hash, and the audit block's place in the sealed chain."""
    consultation = certification.consultation
    stored = session.execute(
        sa.select(TallyResult).where(
            TallyResult.consultation_id == consultation.id, TallyResult.sha256 == certification.result_sha256
        )
    ).scalar_one_or_none()
    if stored is None:  # the stored hash itself was changed: read the current round's result
        stored = current_result(session, consultation.id)
    canonical = stored.canonical_json.encode("utf-8") if stored is not None else None
    checks = [
        rules.compare(
            rules.Check.RESULT,
            certification.result_sha256,
            hashlib.sha256(canonical).hexdigest() if canonical is not None else None,
        )
    ]
    named = _named_inside(canonical)
    expected_names = f"{certification.roll_hash} {certification.trackers_hash}"
    checks.append(rules.compare(rules.Check.RESULT_NAMES, expected_names, named))
    checks.append(rules.compare(rules.Check.ROLL, certification.roll_hash, stored_roll_hash(session, consultation.id)))
    checks.append(
        rules.compare(rules.Check.TRACKERS, certification.trackers_hash, published_trackers_hash(session, consultation))
    )
    problem = audit.check_block(session, certification.audit_block_id, certification.audit_block_hash)
    checks.append(
        rules.compare(
            rules.Check.AUDIT_BLOCK,
            certification.audit_block_hash,
            certification.audit_block_hash if problem is None else problem,
        )
    )
    return checks


def _named_inside(canonical: bytes | None) -> str | None:
    """The roll and trackers hashes the result's own bytes name, as "roll trackers"."""
    if canonical is None:
        return None
    try:
        data = json.loads(canonical)
        return f"{data['roll_hash']} {data['trackers_hash']}"
    except (ValueError, KeyError, TypeError):
        return None
