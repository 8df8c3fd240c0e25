"""Casting votes online and closing a consultation: vote admissibility and the tally, run by
workers (DESIGN §4, §5)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from participa.accounts.models import User
from participa.audit import operations as audit
from participa.consultations.models import Consultation, Question, RollEntry
from participa.consultations.operations import majority_of
from participa.consultations.rules import Phase
from participa.core import db
from participa.core.canonical import canonical_json, sha256_hex
from participa.core.db import UTCDateTime, statement_connection
from participa.core.logic import Ops
from participa.projects.models import Project
from participa.registry.models import Organisation, Representation
from participa.tally import rules as tally_rules
from participa.voting import records, rules
from participa.voting.models import Ballot, TallyResult, Vote, VoteDecision


def _integrity_code(error: IntegrityError) -> str:
    """Which unique rule refused a ballot: its confirm form was already used (``duplicate``), or
    another ballot of the organisation won the race (``concurrent``). Read from the constraint's
    name on PostgreSQL (the message also quotes the whole statement), from the message on SQLite."""
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if constraint is not None:
        return "duplicate" if constraint == "uq_ballots_submission" else "concurrent"
    return "duplicate" if "ballots.submission" in str(error.orig) else "concurrent"


class VotingError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def receipt_salt(secret_key: str) -> bytes:
    return hashlib.sha256(b"participa-receipts\x00" + secret_key.encode()).digest()


def authorised_organisations(session: Session, actor: User, consultation: Consultation) -> list[Organisation]:
    """The organisations this person may vote for here: approved representations, on the roll."""
    return list(
        session.execute(
            sa.select(Organisation)
            .join(Representation, Representation.organisation_id == Organisation.id)
            .join(
                RollEntry,
                sa.and_(RollEntry.organisation_id == Organisation.id, RollEntry.consultation_id == consultation.id),
            )
            .where(Representation.user_id == actor.id, Representation.status == "approved")
            .order_by(Organisation.legal_name)
        ).scalars()
    )


def ballot_facts(
    session: Session,
    *,
    consultation: Consultation,
    organisation_id: int,
    person_id: int,
    answers: Mapping[int, str],
    at: datetime,
    channel: str = "online",
    comuna_cut: int | None = None,
    lock: bool = False,
) -> SimpleNamespace:
    """The facts the cast rules (:data:`participa.voting.rules.CAST_RULES`) look at, read from
    the database; ``comuna_cut``: the comuna an in-person session serves, if it serves one. With
    ``lock``, the roll entry stays locked until the transaction ends, so that two ballots of
    one organisation take turns."""
    query = sa.select(RollEntry.comuna_cut).where(
        RollEntry.consultation_id == consultation.id, RollEntry.organisation_id == organisation_id
    )
    entry_comuna = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    periods = session.execute(
        sa.select(Representation.approved_at, Representation.revoked_at).where(
            Representation.user_id == person_id, Representation.organisation_id == organisation_id
        )
    ).all()
    channels = set(
        session.execute(
            sa.select(Ballot.channel)
            .where(Ballot.consultation_id == consultation.id, Ballot.organisation_id == organisation_id)
            .distinct()
        ).scalars()
    )
    voted = bool(channels) and session.execute(_effective_votes(organisation_id, answers).limit(1)).first() is not None
    return SimpleNamespace(
        phase=consultation.phase,
        roll_frozen_at=consultation.roll_frozen_at,
        opens=consultation.voting_at,
        closes=consultation.voting_ends_at,
        at=at,
        channel=channel,
        policy=consultation.revote_policy,
        on_roll=entry_comuna is not None and comuna_cut in (None, entry_comuna),
        authorised=rules.authorised_at(periods, at),
        complete=set(answers) == {q.id for q in consultation.questions},
        choices_known=all(choice in rules.CHOICES for choice in answers.values()),
        voted=voted,
        voted_in_person="in_person" in channels,
    )


def check_ballot(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    organisation_id: int,
    answers: Mapping[int, str],
    now: datetime,
    lock: bool = False,
) -> None:
    """Refuse an online ballot at once, with the code of the first cast rule it fails
    (:data:`participa.voting.rules.CAST_RULES`: outside the window, organisation not on the
    roll, person not authorised, answers incomplete or unknown, an in-person vote already
    recorded, a second ballot under the "first" policy)."""
    facts = ballot_facts(
        session,
        consultation=consultation,
        organisation_id=organisation_id,
        person_id=actor.id,
        answers=answers,
        at=now,
        lock=lock,
    )
    refusal = rules.cast_refusal(facts)
    if refusal is not None:
        raise VotingError(refusal)


@dataclass(frozen=True)
class InPersonMark:
    """What an in-person ballot carries besides its answers (issue #13): the session, the
    tablet's identity for the vote and its sequence number, the device's clock (informative
    only), the SHA-256 of the content as synced, and whether it came after the session's end."""

    session_id: int
    client_uuid: str
    device_seq: int
    device_time: datetime | None
    content_sha256: str
    late_sync: bool


def _effective_votes(organisation_id: int, question_ids: Collection[int]) -> sa.Select[tuple[Vote]]:
    """The organisation's effective votes on these questions: by question and organisation, the
    unique index of effective votes, however many votes the consultation holds."""
    return sa.select(Vote).where(
        Vote.question_id.in_(list(question_ids)), Vote.organisation_id == organisation_id, Vote.effective
    )


def _supersede(session: Session, organisation_id: int, question_ids: Collection[int], at: datetime) -> int:
    """Mark the organisation's effective votes on these questions superseded (kept, never
    deleted); returns how many."""
    previous = list(session.execute(_effective_votes(organisation_id, question_ids)).scalars())
    for vote in previous:
        vote.effective = False
        vote.superseded_at = at
    session.flush()
    return len(previous)


def _mark_in_person(ballot: Ballot, mark: InPersonMark) -> dict[str, Any]:
    """Copy the in-person marks onto the ballot; returns what its audit event adds."""
    ballot.channel = "in_person"
    ballot.session_id, ballot.client_uuid, ballot.device_seq = mark.session_id, mark.client_uuid, mark.device_seq
    ballot.device_time, ballot.content_sha256, ballot.late_sync = mark.device_time, mark.content_sha256, mark.late_sync
    return {"session": mark.session_id, "late_sync": mark.late_sync}


def record_ballot(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    organisation_id: int,
    cast_by_id: int,
    answers: Mapping[int, str],
    at: datetime,
    receipt_code: str,
    submission: str | None = None,
    in_person: InPersonMark | None = None,
) -> tuple[Ballot, int]:
    """Write a ballot the cast rules accepted: every effective vote of the organisation on these
    questions is kept, marked superseded, and the new votes are the effective ones. ``actor``
    acts (the voter online, the facilitator in person); ``cast_by_id`` votes. Returns the
    ballot and how many votes it superseded. The choice and the receipt code stay out of the
    audit log (DESIGN §4: the code is the organisation's secret, and under a secret ballot
    nothing pairs it with a choice)."""
    superseded = _supersede(session, organisation_id, answers, at)
    ballot = Ballot(
        consultation_id=consultation.id,
        organisation_id=organisation_id,
        cast_by_id=cast_by_id,
        cast_at=at,
        channel="online",
        receipt_code=receipt_code,
        tracker=rules.tracker_of(receipt_code),
        submission=submission,
    )
    marks = _mark_in_person(ballot, in_person) if in_person is not None else {}
    ballot.votes = [
        Vote(consultation_id=consultation.id, question_id=q, organisation_id=organisation_id, choice=c)
        for q, c in sorted(answers.items())
    ]
    session.add(ballot)
    try:
        session.flush()
    except IntegrityError as error:
        raise VotingError(_integrity_code(error)) from error
    audit.record(
        "voting.ballot_cast",
        actor=actor,
        object_type="consultation",
        object_id=consultation.id,
        payload={"ballot": ballot.id, "organisation": organisation_id, "superseded": superseded, **marks},
    )
    return ballot, superseded


def receipt_for(
    secret_key: str,
    *,
    consultation_id: int,
    organisation_id: int,
    user_id: int,
    answers: Mapping[int, str],
    now: datetime,
) -> str:
    """The receipt code of a ballot: a keyed hash of what was cast, by whom and when."""
    record = {
        "consultation": consultation_id,
        "organisation": organisation_id,
        "at": now,
        "answers": {str(q): c for q, c in sorted(answers.items())},
        "by": user_id,
        "nonce": sha256_hex(f"{now.isoformat()}{organisation_id}{user_id}".encode())[:16],
    }
    return rules.receipt_code(receipt_salt(secret_key), record)


def cast_ballot(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    organisation_id: int,
    answers: Mapping[int, str],
    now: datetime,
    secret_key: str,
    submission: str | None = None,
) -> Ballot:
    """Record an organisation's answers online in the request's transaction (never only in the
    broker), after the cast rules (:func:`check_ballot`).

    One effective vote per organisation and question: the roll entry is locked so that two
    requests of one organisation take turns, and a partial unique index refuses a second
    effective vote even if they did not. Earlier votes are kept, marked superseded. On
    PostgreSQL the online path (:func:`cast_online`) runs the same rules in the database
    function ``cast_online_ballot``, generated from them (:mod:`participa.voting.sql`), without
    the lock: the index alone refuses the second of two ballots."""
    if submission is not None and session.execute(sa.select(Ballot.id).where(Ballot.submission == submission)).first():
        raise VotingError("duplicate")
    check_ballot(
        session,
        actor=actor,
        consultation=consultation,
        organisation_id=organisation_id,
        answers=answers,
        now=now,
        lock=True,
    )
    code = receipt_for(
        secret_key,
        consultation_id=consultation.id,
        organisation_id=organisation_id,
        user_id=actor.id,
        answers=answers,
        now=now,
    )
    ballot, _superseded = record_ballot(
        session,
        actor=actor,
        consultation=consultation,
        organisation_id=organisation_id,
        cast_by_id=actor.id,
        answers=answers,
        at=now,
        receipt_code=code,
        submission=submission,
    )
    return ballot


_CAST_ONLINE_BALLOT = sa.text(
    "SELECT cast_online_ballot(:consultation, :organisation, :user, :version, CAST(:questions AS integer[]), "
    "CAST(:choices AS text[]), :now, :receipt, :tracker, :submission)"
).bindparams(sa.bindparam("now", type_=UTCDateTime()))


def cast_online(
    session: Session,
    *,
    user_id: int,
    session_version: int,
    consultation_id: int,
    organisation_id: int,
    answers: Mapping[int, str],
    now: datetime,
    secret_key: str,
    submission: str | None = None,
) -> str:
    """Cast a ballot for the person signed in with this session, and return its receipt code.

    The person is checked here, not before (still active, session not ended): the confirm step
    of an online vote is the platform's busiest request, so on PostgreSQL everything, checks and
    writes, is one call to the database function ``cast_online_ballot`` (generated from the cast
    rules, :mod:`participa.voting.sql`), made in autocommit when ``session`` has no transaction
    yet (:func:`participa.core.db.statement_connection`): the ballot is then committed when this
    returns. Elsewhere the same rules run through :func:`cast_ballot` in the session's
    transaction. Refusals raise :class:`VotingError` with the same codes, plus ``signed_out``,
    ``not_found`` (no such consultation, or a draft) and ``duplicate`` (this ``submission``
    token already cast a ballot: nothing new is written). Two ballots of one organisation at the
    same instant: the database function does not wait for the first, the unique index of
    effective votes refuses the second (``concurrent``). The receipt e-mail is queued by a
    worker (task ``voting.mail_receipts``)."""
    ballot = OnlineBallot(user_id, session_version, consultation_id, organisation_id, answers, now, submission)
    if not db.is_postgresql(session):
        return _cast_in_the_session(session, ballot, secret_key)
    return _cast_in_the_database(session, ballot, secret_key)


@dataclass(frozen=True)
class OnlineBallot:
    """An online ballot as the confirm step posts it."""

    user_id: int
    session_version: int
    consultation_id: int
    organisation_id: int
    answers: Mapping[int, str]
    now: datetime
    submission: str | None


def _cast_in_the_session(session: Session, ballot: OnlineBallot, secret_key: str) -> str:
    user = session.get(User, ballot.user_id)
    if user is None or not user.active or user.session_version != ballot.session_version:
        raise VotingError("signed_out")
    consultation = session.get(Consultation, ballot.consultation_id)
    if consultation is None or consultation.phase == Phase.DRAFT:
        raise VotingError("not_found")
    return cast_ballot(
        session,
        actor=user,
        consultation=consultation,
        organisation_id=ballot.organisation_id,
        answers=ballot.answers,
        now=ballot.now,
        secret_key=secret_key,
        submission=ballot.submission,
    ).receipt_code


def _cast_in_the_database(session: Session, ballot: OnlineBallot, secret_key: str) -> str:
    receipt = receipt_for(
        secret_key,
        consultation_id=ballot.consultation_id,
        organisation_id=ballot.organisation_id,
        user_id=ballot.user_id,
        answers=ballot.answers,
        now=ballot.now,
    )
    ordered = sorted(ballot.answers.items())
    values = {
        "consultation": ballot.consultation_id,
        "organisation": ballot.organisation_id,
        "user": ballot.user_id,
        "version": ballot.session_version,
        "questions": [q for q, _ in ordered],
        "choices": [c for _, c in ordered],
        "now": ballot.now,
        "receipt": receipt,
        "tracker": rules.tracker_of(receipt),
        "submission": ballot.submission,
    }
    try:
        with statement_connection(session) as connection:
            status = connection.execute(_CAST_ONLINE_BALLOT, values).scalar_one()
    except IntegrityError as error:
        raise VotingError(_integrity_code(error)) from error
    if status != "ok":
        raise VotingError(status)
    return receipt


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str | None


@dataclass(frozen=True)
class ReceiptMail:
    """A ballot whose receipt e-mail is due, and who receives it."""

    ballot_id: int
    receipt_code: str
    consultation_id: int
    title: str
    organisation: str
    recipients: dict[int, Recipient]  # by user id


def pending_receipts(session: Session, limit: int) -> list[ReceiptMail]:
    """Ballots whose receipt e-mail is not queued yet, oldest first, locked (others skip them)
    until the transaction ends. The code goes to the organisation's representatives (those
    approved now, and whoever cast the ballot): it is the organisation's secret (DESIGN §4). An
    in-person ballot's code, shown on the tablet, is mailed too, once synced: its representatives
    learn of a vote in their name they may not recognise, and the pending index stays small."""
    rows = session.execute(
        sa.select(
            Ballot.id,
            Ballot.receipt_code,
            Ballot.consultation_id,
            Ballot.organisation_id,
            Ballot.cast_by_id,
            Consultation.title,
            Organisation.legal_name,
        )
        .join(Consultation, Consultation.id == Ballot.consultation_id)
        .join(Organisation, Organisation.id == Ballot.organisation_id)
        .where(Ballot.receipt_mailed_at.is_(None))
        .order_by(Ballot.id)
        .limit(limit)
        .with_for_update(of=Ballot, skip_locked=True)
    ).all()
    if not rows:
        return []
    people = sa.select(User.id, User.email, User.name, User.locale).where(User.active)
    representatives: dict[int, dict[int, Recipient]] = {}
    for org_id, user_id, email, name, locale in session.execute(
        sa.select(Representation.organisation_id, *people.selected_columns)
        .join(User, User.id == Representation.user_id)
        .where(
            Representation.organisation_id.in_({row.organisation_id for row in rows}),
            Representation.status == "approved",
            User.active,
        )
    ):
        representatives.setdefault(org_id, {})[user_id] = Recipient(email, name, locale)
    casters = {
        user_id: Recipient(email, name, locale)
        for user_id, email, name, locale in session.execute(people.where(User.id.in_({row.cast_by_id for row in rows})))
    }
    mails = []
    for row in rows:
        recipients = dict(representatives.get(row.organisation_id, {}))
        if row.cast_by_id in casters:
            recipients[row.cast_by_id] = casters[row.cast_by_id]
        mails.append(
            ReceiptMail(
                row.id,
                row.receipt_code,
                row.consultation_id,
                row.title,
                row.legal_name,
                dict(sorted(recipients.items())),
            )
        )
    return mails


def mark_receipts_mailed(session: Session, ballot_ids: list[int], now: datetime) -> None:
    session.execute(sa.update(Ballot).where(Ballot.id.in_(ballot_ids)).values(receipt_mailed_at=now))


# --- a representative's own ballots ----------------------------------------------------------


@dataclass(frozen=True)
class OwnBallot:
    """One ballot of an organisation, as its representative sees it."""

    consultation_id: int
    consultation_title: str
    cast_at: datetime
    channel: str
    tracker: str
    status: str
    reason: str | None
    # (question title, choice) in question order; None when the ballot was cast before this
    # person was authorised for the organisation (or after their authorisation ended).
    choices: list[tuple[str, str]] | None


Periods = dict[int, list[tuple[datetime | None, datetime | None]]]


def _represented(session: Session, user: User) -> tuple[Periods, list[Organisation]]:
    """Every period in which the person represented each organisation, and the organisations
    they represent now, by name."""
    periods: Periods = {}
    current: list[Organisation] = []
    for representation in session.execute(
        sa.select(Representation).where(Representation.user_id == user.id).order_by(Representation.id)
    ).scalars():
        periods.setdefault(representation.organisation_id, []).append(
            (representation.approved_at, representation.revoked_at)
        )
        if representation.status == "approved" and representation.organisation not in current:
            current.append(representation.organisation)
    current.sort(key=lambda org: org.legal_name)
    return periods, current


def _answers_of(session: Session, ballot_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """The (project, choice) answers of these ballots, in the questions' order."""
    answers: dict[int, list[tuple[str, str]]] = {}
    if ballot_ids:
        for ballot_id, title, choice in session.execute(
            sa.select(Vote.ballot_id, Project.title, Vote.choice)
            .join(Question, Question.id == Vote.question_id)
            .join(Project, Project.id == Question.project_id)
            .where(Vote.ballot_id.in_(ballot_ids))
            .order_by(Vote.ballot_id, Question.position, Question.id)
        ):
            answers.setdefault(ballot_id, []).append((title, choice))
    return answers


@dataclass(frozen=True)
class FreshReceipt:
    ballot: Ballot
    organisation: Organisation
    weight: Decimal


def fresh_receipt(session: Session, *, actor: User, consultation_id: int, code: str) -> FreshReceipt | None:
    """The ballot the person just cast with this receipt code, its organisation and weight on the
    roll: only to the person who cast it, only with the code (DESIGN §4, receipts)."""
    ballot = session.execute(
        sa.select(Ballot).where(
            Ballot.consultation_id == consultation_id,
            Ballot.tracker == rules.tracker_of(code),
            Ballot.cast_by_id == actor.id,
        )
    ).scalar_one_or_none()
    if ballot is None:
        return None
    entry = session.get(RollEntry, (consultation_id, ballot.organisation_id))
    organisation = session.get(Organisation, ballot.organisation_id)
    if entry is None or organisation is None:
        return None
    return FreshReceipt(ballot, organisation, entry.weight)


def ballots_for_representative(session: Session, user: User) -> list[tuple[Organisation, list[OwnBallot]]]:
    """Every ballot of each organisation the person represents now, newest first, with its
    status; the choices of the ballots cast while the person was authorised for it. Nobody
    else sees a choice on the web (DESIGN §4)."""
    periods, current = _represented(session, user)
    if not current:
        return []
    rows = session.execute(
        sa.select(
            Ballot.id,
            Ballot.organisation_id,
            Ballot.consultation_id,
            Consultation.title,
            Ballot.cast_at,
            Ballot.channel,
            Ballot.tracker,
            Ballot.verdict,
            Ballot.refusal,
            records.effective_column(),
        )
        .join(Consultation, Consultation.id == Ballot.consultation_id)
        .where(Ballot.organisation_id.in_([org.id for org in current]))
        .order_by(Ballot.cast_at.desc(), Ballot.id.desc())
    ).all()
    visible = {row.id for row in rows if rules.authorised_at(periods.get(row.organisation_id, []), row.cast_at)}
    answers = _answers_of(session, visible)
    by_org: dict[int, list[OwnBallot]] = {org.id: [] for org in current}
    for row in rows:
        status, reason = records.status_of(row.effective, row.verdict, row.refusal)
        by_org[row.organisation_id].append(
            OwnBallot(
                row.consultation_id,
                row.title,
                row.cast_at,
                row.channel,
                row.tracker,
                status,
                reason,
                answers.get(row.id) if row.id in visible else None,
            )
        )
    return [(org, by_org[org.id]) for org in current]


# --- closing: vote admissibility and the tally ----------------------------------------------


def close_consultation(session: Session, consultation_id: int) -> TallyResult | None:
    """At the end of voting: apply every vote admissibility rule (each verdict recorded), then
    count the admissible effective votes and store the result with its hash. Safe to run twice:
    recorded decisions are kept and a second tally with the same result is not stored again
    (one result per consultation, held by a unique constraint)."""
    consultation = session.execute(
        sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update(of=Consultation)
    ).scalar_one_or_none()
    if consultation is None or consultation.phase not in (Phase.COUNTING, Phase.CERTIFICATION):
        return None
    existing = session.execute(current_result_query(consultation_id)).scalar_one_or_none()
    if existing is not None:
        return existing
    run = close_run(consultation_id, consultation.count_round)
    while not judge_votes(session, consultation, run):
        pass
    result = count(session, consultation, files=records.manifest(session, consultation))
    consultation.phase = Phase.CERTIFICATION.value
    audit.record(
        "voting.tallied",
        actor=None,
        object_type="consultation",
        object_id=consultation_id,
        payload={"sha256": result.sha256, "trackers_hash": result.trackers_hash},
        session=session,
    )
    session.flush()
    return result


def close_run(consultation_id: int, count_round: int = 1) -> str:
    """The admissibility run's name for one count round; a recount judges every vote again
    under a run of its own, beside the refused round's decisions."""
    return f"close-{consultation_id}" if count_round == 1 else f"close-{consultation_id}-r{count_round}"


def current_result_query(consultation_id: int) -> sa.Select[tuple[TallyResult]]:
    """The result of the consultation's current count round."""
    current_round = sa.select(Consultation.count_round).where(Consultation.id == consultation_id).scalar_subquery()
    return sa.select(TallyResult).where(
        TallyResult.consultation_id == consultation_id, TallyResult.count_round == current_round
    )


def judge_votes(session: Session, consultation: Consultation, run: str, *, max_votes: int | None = None) -> bool:
    """Apply every vote admissibility rule to the votes not yet judged in this run, in id order,
    at most ``max_votes`` of them; returns whether every vote is now judged (and, then, copies
    the verdicts onto the votes). Voting is closed, so the votes no longer change: a run resumes
    after the highest vote it has judged, and chunks can be committed one by one.

    One ``INSERT ... SELECT`` per call: the database joins each vote to its facts once and
    evaluates :data:`participa.voting.rules.VOTE_RULES`, compiled from the same functions that
    :func:`participa.voting.rules.vote_verdicts` runs in Python, so no verdict is built in
    Python and no rule is written twice."""
    judged_so_far = sa.select(sa.func.coalesce(sa.func.max(VoteDecision.vote_id), 0)).where(
        VoteDecision.consultation_id == consultation.id, VoteDecision.count_round == consultation.count_round
    )
    last_id = session.execute(judged_so_far).scalar_one()
    judged = 0
    if max_votes is None or max_votes > 0:
        query = _vote_decisions(consultation).where(Vote.id > last_id)
        if max_votes is not None:
            # A range of ids rather than ORDER BY ... LIMIT: the database joins only this chunk's
            # votes and sorts nothing.
            upper = session.execute(
                sa.select(Vote.id)
                .where(Vote.consultation_id == consultation.id, Vote.id > last_id)
                .order_by(Vote.id)
                .offset(max_votes - 1)
                .limit(1)
            ).scalar_one_or_none()
            if upper is not None:
                query = query.where(Vote.id <= upper)
        columns = ["consultation_id", "count_round", "vote_id", "admissible", "reason", "failed"]
        judged = session.execute(sa.insert(VoteDecision).from_select(columns, query)).rowcount
        last_id = session.execute(judged_so_far).scalar_one()
    remaining = session.execute(
        sa.select(Vote.id).where(Vote.consultation_id == consultation.id, Vote.id > last_id).limit(1)
    ).first()
    if remaining is not None:
        return False
    unmarked = session.execute(
        sa.select(Vote.id).where(Vote.consultation_id == consultation.id, Vote.admitted.is_(None)).limit(1)
    ).first()
    if unmarked is None and judged == 0:
        return True  # finished by an earlier call: nothing to copy, nothing to audit again
    _mark_admitted(session, consultation)
    audit.record(
        "voting.admissibility_run",
        actor=None,
        object_type="consultation",
        object_id=consultation.id,
        payload={"run": run},
        session=session,
    )
    return True


def _authorised_ballots(consultation: Consultation, ops: Ops) -> sa.Subquery:
    """Per ballot of the consultation, whether one of the caster's representation periods of the
    organisation covers its moment (``covered`` 1 or 0). An outer join and a group per ballot,
    so that the planner expects one row per ballot (a plain join on user and organisation is
    estimated at a handful of rows and joined to the votes by a nested loop)."""
    covered = ops.holds(
        rules.covers(rules.Period(Representation.approved_at, Representation.revoked_at), Ballot.cast_at, ops)
    )
    return (
        sa.select(Ballot.id.label("ballot_id"), sa.func.max(sa.case((covered, 1), else_=0)).label("covered"))
        .outerjoin(
            Representation,
            sa.and_(
                Representation.user_id == Ballot.cast_by_id, Representation.organisation_id == Ballot.organisation_id
            ),
        )
        .where(Ballot.consultation_id == consultation.id)
        .group_by(Ballot.id)
        .subquery("authorised")
    )


def _in_person_answers(consultation: Consultation) -> sa.Subquery:
    """The (question, organisation) pairs with an effective vote cast in person."""
    vote, ballot = aliased(Vote), aliased(Ballot)
    return (
        sa.select(vote.question_id, vote.organisation_id)
        .join(ballot, ballot.id == vote.ballot_id)
        .where(vote.consultation_id == consultation.id, vote.effective, ballot.channel == "in_person")
        .distinct()
        .subquery("in_person")
    )


def _vote_decisions(consultation: Consultation) -> sa.Select[tuple[object, ...]]:
    """The decision of every vote of the consultation as a SELECT of the decision's columns.

    Each fact is a plain column of one join, so the database evaluates it once per row: the
    ballot's authorisation (a period of the caster's representation of the organisation covers
    the moment of casting, :func:`participa.voting.rules.covers`) and the in-person conflicts are
    worked out per ballot and per (question, organisation) before they meet the votes."""
    ops = db.sql_ops()
    authorised = _authorised_ballots(consultation, ops)
    in_person = _in_person_answers(consultation)
    facts = SimpleNamespace(
        effective=Vote.effective,
        cast_at=Ballot.cast_at,
        channel=Ballot.channel,
        on_roll=RollEntry.organisation_id.is_not(None),
        authorised=authorised.c.covered == 1,
        in_person_conflict=in_person.c.organisation_id.is_not(None),
    )
    window = rules.Window(
        sa.bindparam("opens", consultation.voting_at, type_=UTCDateTime()),
        sa.bindparam("closes", consultation.voting_ends_at, type_=UTCDateTime()),
    )
    oks = [rule.holds(facts, window, ops) for rule in rules.VOTE_RULES]
    pairs = list(zip(rules.VOTE_RULES, oks, strict=True))
    reason = sa.case(*((sa.not_(ok), rule.reason) for rule, ok in pairs))
    # ",superseded,not_authorised" without its first comma, NULL when every rule holds.
    listed = sa.literal("")
    for rule, ok in pairs:
        listed = listed + sa.case((ok, ""), else_="," + rule.reason)
    failed = sa.func.nullif(sa.func.substr(listed, 2), "")
    return (
        sa.select(
            sa.literal(consultation.id),
            sa.literal(consultation.count_round),
            Vote.id,
            sa.and_(*oks),
            reason,
            failed,
        )
        .select_from(Vote)
        .join(Ballot, Ballot.id == Vote.ballot_id)
        .outerjoin(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Vote.consultation_id, RollEntry.organisation_id == Vote.organisation_id
            ),
        )
        .outerjoin(authorised, authorised.c.ballot_id == Ballot.id)
        .outerjoin(
            in_person,
            sa.and_(in_person.c.question_id == Vote.question_id, in_person.c.organisation_id == Vote.organisation_id),
        )
        .where(Vote.consultation_id == consultation.id)
    )


def _mark_admitted(session: Session, consultation: Consultation) -> None:
    """Copy each vote's verdict of this run, and the reason of a refusal, onto the vote, then each
    ballot's onto the ballot (what the public trackers list shows): one statement each."""
    params = {"round": consultation.count_round, "consultation": consultation.id}
    if db.is_postgresql(session):
        # Statistics of the decisions just written (and of the votes), so that the copy is
        # planned as one hash join. Only the owner may ANALYZE: analyze_votes() (migrations 0011,
        # 0014) does it for the application's role.
        session.execute(sa.text("SELECT analyze_votes()"))
        session.execute(
            sa.text(
                "UPDATE votes SET admitted = d.admissible, refusal = d.reason FROM vote_decisions d "
                "WHERE d.consultation_id = :consultation AND d.count_round = :round AND d.vote_id = votes.id "
                "AND votes.consultation_id = :consultation"
            ),
            params,
        )
        session.execute(
            sa.text(
                "UPDATE ballots SET verdict = CASE WHEN a.ok THEN 'counted' WHEN a.refusal = 'superseded' "
                "THEN 'superseded' ELSE 'not_admitted' END, refusal = a.refusal "
                "FROM (SELECT ballot_id, bool_and(admitted) AS ok, min(refusal) FILTER (WHERE NOT admitted) AS refusal "
                "FROM votes WHERE consultation_id = :consultation GROUP BY ballot_id) a "
                "WHERE a.ballot_id = ballots.id"
            ),
            params,
        )
        # Again, so that the count plans for the verdicts now on the votes.
        session.execute(sa.text("SELECT analyze_votes()"))
    else:
        session.execute(
            sa.text(
                "UPDATE votes SET (admitted, refusal) = (SELECT d.admissible, d.reason FROM vote_decisions d "
                "WHERE d.consultation_id = :consultation AND d.count_round = :round AND d.vote_id = votes.id) "
                "WHERE consultation_id = :consultation"
            ),
            params,
        )
        refused = "(SELECT min(v.refusal) FROM votes v WHERE v.ballot_id = ballots.id AND NOT v.admitted)"
        session.execute(
            sa.text(
                f"UPDATE ballots SET refusal = {refused}, verdict = CASE WHEN {refused} IS NULL THEN 'counted' "  # noqa: S608
                f"WHEN {refused} = 'superseded' THEN 'superseded' ELSE 'not_admitted' END "
                "WHERE consultation_id = :consultation"
            ),
            params,
        )


def _admitted_totals(session: Session, consultation: Consultation) -> list[tally_rules.ChoiceTotal]:
    """The admitted votes per question and choice: heads, and the weights summed exactly by the
    database as integers of millionths (every weight has six decimals)."""
    micro = sa.cast(sa.func.round(RollEntry.weight * 1_000_000), sa.BigInteger)
    admitted = (
        sa.select(Vote.question_id, Vote.choice, sa.func.count(), sa.func.sum(micro))
        .join(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Vote.consultation_id, RollEntry.organisation_id == Vote.organisation_id
            ),
        )
        .where(Vote.consultation_id == consultation.id, Vote.admitted.is_(True))
        .group_by(Vote.question_id, Vote.choice)
    )
    return [
        tally_rules.ChoiceTotal(question_id, choice, heads, Decimal(int(total)).scaleb(-6))
        for question_id, choice, heads, total in session.execute(admitted)
    ]


def _published(consultation: Consultation, result: tally_rules.Result, files: Mapping[str, str]) -> dict[str, Any]:
    """The stored result: the tally and what makes it recountable from the public record."""
    return {
        **result.to_dict(),
        "format": records.FORMAT,
        "consultation": {
            "id": consultation.id,
            "secrecy": consultation.secrecy,
            "voting_opens": consultation.voting_at,
            "voting_closes": consultation.voting_ends_at,
        },
        "roll_hash": consultation.roll_hash,
        "trackers_hash": files["comprobantes.json"],
        "files": dict(files),
    }


def tally_rules_of(consultation: Consultation) -> tally_rules.TallyRules:
    return tally_rules.TallyRules(
        quorum=Fraction(consultation.quorum),
        majority=majority_of(consultation),
        majority_strict=consultation.majority_strict,
        abstentions_in_majority=consultation.abstentions_in_majority,
        binding_level=consultation.participation_level == "binding",
        revote=consultation.revote_policy,
    )


def count(session: Session, consultation: Consultation, *, files: Mapping[str, str]) -> TallyResult:
    """Count the admissible votes and store the result.

    The database reduces the admitted votes to one row per question and choice (heads, and the
    weights summed exactly as integers of millionths) and
    :func:`participa.tally.rules.tally_groups` does the rest of the exact arithmetic, so a
    million votes cost one aggregate query, not a million Python objects. The stored canonical JSON is the
    tally plus what makes it recountable from the public record: the consultation's voting
    window and secrecy, the roll hash, and ``files``, the SHA-256 of every public file (roll,
    trackers and, under a named ballot, every vote: :func:`records.manifest`), the trackers
    list's being the trackers hash."""
    roll_size, roll_total = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(RollEntry.weight), 0)).where(
            RollEntry.consultation_id == consultation.id
        )
    ).one()
    groups = _admitted_totals(session, consultation)
    set_aside = dict(
        session.execute(
            sa.select(Vote.refusal, sa.func.count())
            .where(Vote.consultation_id == consultation.id, Vote.admitted.is_(False))
            .group_by(Vote.refusal)
        ).all()
    )
    superseded = set_aside.pop("superseded", 0)
    question_ids = [q.id for q in consultation.questions]
    result = tally_rules.tally_groups(
        roll_size,
        Decimal(roll_total),
        groups,
        question_ids,
        tally_rules_of(consultation),
        superseded=superseded,
        not_admitted={reason or "not_admitted": n for reason, n in set_aside.items()},
    )
    published = _published(consultation, result, files)
    canonical = canonical_json(published)
    stored = TallyResult(
        consultation_id=consultation.id,
        count_round=consultation.count_round,
        canonical_json=canonical.decode("utf-8"),
        sha256=sha256_hex(canonical),
        trackers_hash=files["comprobantes.json"],
    )
    session.add(stored)
    session.flush()
    return stored


# --- what is waiting for a representative ---------------------------------------------------------


@dataclass(frozen=True)
class OpenBallot:
    """A consultation open for voting now, and, for a signed-in representative, each of their
    organisations on its roll with whether it has voted (public: whether an organisation took
    part is public in every mode, DESIGN §4)."""

    consultation: Consultation
    organisations: tuple[tuple[Organisation, bool], ...] = ()


def open_ballots(session: Session, user: User | None, now: datetime) -> list[OpenBallot]:
    """The consultations whose voting window is open now, soonest to close first, with what the
    person's organisations have done in each."""
    consultations = list(
        session.execute(
            sa.select(Consultation)
            .where(
                Consultation.phase == Phase.VOTING,
                Consultation.roll_frozen_at.is_not(None),
                Consultation.voting_at <= now,
                Consultation.voting_ends_at > now,
            )
            .order_by(Consultation.voting_ends_at, Consultation.id)
        ).scalars()
    )
    if user is None or not consultations:
        return [OpenBallot(c) for c in consultations]
    ids = [c.id for c in consultations]
    mine = session.execute(
        sa.select(RollEntry.consultation_id, Organisation)
        .join(Organisation, Organisation.id == RollEntry.organisation_id)
        .join(Representation, Representation.organisation_id == Organisation.id)
        .where(
            RollEntry.consultation_id.in_(ids),
            Representation.user_id == user.id,
            Representation.status == "approved",
        )
        .order_by(Organisation.legal_name)
    ).all()
    voted = {
        tuple(row)
        for row in session.execute(
            sa.select(Ballot.consultation_id, Ballot.organisation_id).where(Ballot.consultation_id.in_(ids)).distinct()
        )
    }
    per: dict[int, list[tuple[Organisation, bool]]] = {}
    for consultation_id, organisation in mine:
        entry = (organisation, (consultation_id, organisation.id) in voted)
        if entry not in per.setdefault(consultation_id, []):
            per[consultation_id].append(entry)
    return [OpenBallot(c, tuple(per.get(c.id, []))) for c in consultations]


# --- the vote admissibility report (staff) -----------------------------------------------------


@dataclass(frozen=True)
class AdmissibilityReport:
    """Votes of the consultation's current count round: admitted, replaced by a later ballot of
    the same organisation (not a refusal: the organisation set them aside), and refused by
    reason; the first refused and replaced votes with every rule they fail."""

    admitted: int
    superseded: int
    refused: dict[str, int]
    decisions: list[VoteDecision]


def admissibility_report(session: Session, consultation: Consultation, limit: int = 500) -> AdmissibilityReport:
    this_round = (VoteDecision.consultation_id == consultation.id, VoteDecision.count_round == consultation.count_round)
    counts = session.execute(
        sa.select(VoteDecision.admissible, VoteDecision.reason, sa.func.count())
        .where(*this_round)
        .group_by(VoteDecision.admissible, VoteDecision.reason)
    ).all()
    decisions = list(
        session.execute(
            sa.select(VoteDecision)
            .where(*this_round, VoteDecision.admissible.is_(False))
            .order_by(VoteDecision.vote_id)
            .limit(limit)
        ).scalars()
    )
    refused = {reason: n for admitted, reason, n in counts if not admitted and reason != "superseded"}
    return AdmissibilityReport(
        admitted=sum(n for admitted, _reason, n in counts if admitted),
        superseded=sum(n for admitted, reason, n in counts if not admitted and reason == "superseded"),
        refused=dict(sorted(refused.items())),
        decisions=decisions,
    )


def channels_voted(session: Session, consultation_id: int, organisation_ids: list[int]) -> dict[int, set[str]]:
    """For each of these organisations that has voted in the consultation, the channels it used:
    the ballot page tells the person before they vote again (public: whether an organisation took
    part is public in every mode, DESIGN §4)."""
    found: dict[int, set[str]] = {}
    if organisation_ids:
        for organisation_id, channel in session.execute(
            sa.select(Ballot.organisation_id, Ballot.channel)
            .where(Ballot.consultation_id == consultation_id, Ballot.organisation_id.in_(organisation_ids))
            .distinct()
        ):
            found.setdefault(organisation_id, set()).add(channel)
    return found
