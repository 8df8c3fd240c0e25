"""The online ballot's one-call path (operations.cast_online: the database function
cast_online_ballot on PostgreSQL, cast_ballot elsewhere) and the receipt e-mails a worker
queues afterwards. Every refusal must match the reference path, cast_ballot, code for code."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.audit.models import AuditEvent
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.voting import operations as voting
from participa.voting import tasks
from participa.voting.models import Ballot, Vote
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import admissible_project, consultation_data, voting_consultation
from tests.fixtures.registry import create_organisation

SECRET = "test-secret-key-not-for-production"


def cast_online(
    session: Session, consultation_id: int, org_id: int, person, answers, *, now=None, version: int | None = None
) -> str:
    return voting.cast_online(
        session,
        user_id=person.id,
        session_version=person.session_version if version is None else version,
        consultation_id=consultation_id,
        organisation_id=org_id,
        answers=answers,
        now=now or utcnow(),
        secret_key=SECRET,
    )


def refusal(call) -> str:
    with pytest.raises(voting.VotingError) as caught:
        call()
    return caught.value.code


def answers_of(consultation, choice: str = "approve") -> dict[int, str]:
    return {q.id: choice for q in consultation.questions}


def test_a_ballot_is_written_with_its_votes_audit_event_and_receipt(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2)
    org, person = people[0]
    now = utcnow()
    code = cast_online(session, consultation.id, org.id, person, answers_of(consultation, "reject"), now=now)
    session.commit()

    ballot = session.execute(sa.select(Ballot).where(Ballot.receipt_code == code)).scalar_one()
    assert (ballot.organisation_id, ballot.cast_by_id, ballot.channel) == (org.id, person.id, "online")
    assert ballot.cast_at == now.replace(microsecond=ballot.cast_at.microsecond)
    assert ballot.receipt_mailed_at is None
    assert code == voting.receipt_for(
        SECRET,
        consultation_id=consultation.id,
        organisation_id=org.id,
        user_id=person.id,
        answers=answers_of(consultation, "reject"),
        now=now,
    )
    assert [(v.question_id, v.choice, v.effective) for v in ballot.votes] == [
        (q.id, "reject", True) for q in consultation.questions
    ]
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "voting.ballot_cast")).scalar_one()
    assert (event.actor_id, event.object_type, event.object_id) == (person.id, "consultation", str(consultation.id))
    ballot = session.execute(sa.select(Ballot).where(Ballot.receipt_code == code)).scalar_one()
    # The code is the organisation's secret: the audit log names the ballot, never the code.
    assert event.payload == {"organisation": org.id, "ballot": ballot.id, "superseded": 0}
    assert code not in json.dumps(event.payload)


def test_voting_again_supersedes_under_the_last_ballot_policy(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    cast_online(session, consultation.id, org.id, person, answers_of(consultation, "approve"))
    session.commit()
    second = cast_online(session, consultation.id, org.id, person, answers_of(consultation, "abstain"))
    session.commit()

    votes = session.execute(sa.select(Vote).where(Vote.organisation_id == org.id).order_by(Vote.id)).scalars().all()
    assert [(v.choice, v.effective, v.superseded_at is not None) for v in votes] == [
        ("approve", False, True),
        ("abstain", True, False),
    ]
    payloads = (
        session.execute(
            sa.select(AuditEvent.payload).where(AuditEvent.action == "voting.ballot_cast").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    second_ballot = session.execute(sa.select(Ballot).where(Ballot.receipt_code == second)).scalar_one()
    assert payloads[-1] == {
        "organisation": org.id,
        "ballot": second_ballot.id,
        "superseded": len(consultation.questions),
    }


def test_a_second_ballot_is_refused_under_the_first_ballot_policy(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1, revote_policy="first")
    org, person = people[0]
    cast_online(session, consultation.id, org.id, person, answers_of(consultation))
    session.commit()
    assert (
        refusal(lambda: cast_online(session, consultation.id, org.id, person, answers_of(consultation, "reject")))
        == "already_voted"
    )
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 1


@pytest.mark.parametrize("case", ["wrong_version", "inactive", "unknown_user"])
def test_a_session_that_ended_casts_nothing(session: Session, case: str) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    version = person.session_version
    if case == "wrong_version":
        person.session_version += 1  # a password change ends every other session
    elif case == "inactive":
        person.active = False
    session.commit()
    user = person if case != "unknown_user" else type("Nobody", (), {"id": 2_000_000_000})()
    code = refusal(
        lambda: voting.cast_online(
            session,
            user_id=user.id,
            session_version=version,
            consultation_id=consultation.id,
            organisation_id=org.id,
            answers=answers_of(consultation),
            now=utcnow(),
            secret_key=SECRET,
        )
    )
    assert code == "signed_out"
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 0


def test_a_draft_or_unknown_consultation_is_not_found(session: Session) -> None:
    project = admissible_project(session)
    manager = create_user(session, roles=["manager"])
    draft = consultations.create_consultation(session, actor=manager, data=consultation_data([project.id]))
    org = create_organisation(session)
    person = create_user(session, roles=["representative"])
    session.commit()
    for consultation_id in (draft.id, 2_000_000_000):
        assert (
            refusal(lambda cid=consultation_id: cast_online(session, cid, org.id, person, {1: "approve"}))
            == "not_found"
        )
        session.rollback()


# Each case: how to spoil a valid ballot, and the code both paths must answer.
REFUSALS = {
    "closed_phase": "closed",
    "after_the_end": "closed",
    "before_the_start": "closed",
    "not_on_roll": "not_on_roll",
    "someone_else": "not_authorised",
    "no_answers": "incomplete",
    "foreign_question": "incomplete",
    "bad_choice": "bad_choice",
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_matches_the_reference_path_and_stores_nothing(session: Session, case: str) -> None:
    consultation, manager, people = voting_consultation(session, organisations=2)
    (org, person), (other_org, _other) = people
    answers = answers_of(consultation)
    now = utcnow()
    if case == "closed_phase":
        consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=now)
        session.commit()
    elif case == "after_the_end":
        now = consultation.voting_ends_at + timedelta(seconds=1)
    elif case == "before_the_start":
        now = consultation.voting_at - timedelta(seconds=1)
    elif case == "not_on_roll":
        org = create_organisation(session, legal_name="Organización tardía")
        from tests.fixtures.consultations import representative_of

        representative_of(session, org, person)
        session.commit()
    elif case == "someone_else":
        org = other_org
    elif case == "no_answers":
        answers = {}
    elif case == "foreign_question":
        answers = {**answers, 2_000_000_000: "approve"}
    elif case == "bad_choice":
        answers = {q: "maybe" for q in answers}

    online = refusal(lambda: cast_online(session, consultation.id, org.id, person, answers, now=now))
    session.rollback()
    reference = refusal(
        lambda: voting.cast_ballot(
            session,
            actor=person,
            consultation=consultation,
            organisation_id=org.id,
            answers=answers,
            now=now,
            secret_key=SECRET,
        )
    )
    session.rollback()
    assert online == reference == REFUSALS[case]
    assert session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 0
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "voting.ballot_cast")
        ).scalar_one()
        == 0
    )


# --- receipt e-mails, queued by a worker ----------------------------------------------------


@pytest.fixture()
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What the task hands to the mail queue (the delivery itself is tested in tests/worker)."""
    sent: list[dict] = []

    def send_email(recipient: str, subject: str, body: str, *, key: str | None = None) -> str:
        sent.append({"to": recipient, "subject": subject, "body": body, "key": key})
        return key or ""

    monkeypatch.setattr(tasks, "send_email", send_email)
    return sent


def test_each_receipt_is_queued_once_in_the_voters_language(session: Session, queued: list[dict]) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2)
    (org_es, person_es), (org_en, person_en) = people
    person_en.locale = "en"
    session.commit()
    code_es = cast_online(session, consultation.id, org_es.id, person_es, answers_of(consultation))
    code_en = cast_online(session, consultation.id, org_en.id, person_en, answers_of(consultation, "reject"))
    session.commit()
    queued.clear()  # embedded mode also runs the task after each vote: start from a clean count

    session.execute(sa.update(Ballot).values(receipt_mailed_at=None))
    session.commit()
    tasks.mail_receipts()
    ballot_es, ballot_en = (
        session.execute(sa.select(Ballot.id).where(Ballot.receipt_code == code)).scalar_one()
        for code in (code_es, code_en)
    )
    by_key = {mail["key"]: mail for mail in queued}
    assert set(by_key) == {f"receipt-{ballot_es}-{person_es.id}", f"receipt-{ballot_en}-{person_en.id}"}
    spanish, english = by_key[f"receipt-{ballot_es}-{person_es.id}"], by_key[f"receipt-{ballot_en}-{person_en.id}"]
    assert spanish["to"] == person_es.email and english["to"] == person_en.email
    assert spanish["subject"] == f"Comprobante de voto: {consultation.title}"
    assert english["subject"] == f"Vote receipt: {consultation.title}"
    assert f"Código del comprobante: {code_es}" in spanish["body"] and org_es.legal_name in spanish["body"]
    assert code_en in english["body"] and "Receipt code" in english["body"]
    # The link leads to the lookup form: the code is typed there, never carried in an address.
    assert f"/consultas/{consultation.id}/comprobante\n" in spanish["body"]
    assert "codigo=" not in spanish["body"] and code_es not in spanish["body"].split("http", 1)[1]
    assert "approve" not in spanish["body"] and "Aprobar" not in spanish["body"]

    tasks.mail_receipts()  # beat runs it again: nothing is pending
    assert len(queued) == 2
    pending = session.execute(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.receipt_mailed_at.is_(None))
    ).scalar_one()
    assert pending == 0


def test_in_person_ballots_get_their_receipt_mailed_once_too(session: Session, queued: list[dict]) -> None:
    """DESIGN §4: every vote's receipt goes to the organisation's representatives; an in-person
    vote's, shown on the tablet, is mailed once synced (and then leaves the pending index)."""
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    code = cast_online(session, consultation.id, org.id, person, answers_of(consultation))
    session.execute(sa.update(Ballot).values(channel="in_person", receipt_mailed_at=None))
    session.commit()
    queued.clear()
    tasks.mail_receipts()
    assert [m["to"] for m in queued] == [person.email] and code in queued[0]["body"]
    tasks.mail_receipts()
    assert len(queued) == 1
    assert session.execute(sa.select(Ballot.receipt_mailed_at)).scalar_one() is not None


def test_the_beat_runs_the_receipt_task_on_its_interval(app) -> None:
    schedule = app.extensions["celery"].conf.beat_schedule
    entry = next(e for e in schedule.values() if e["task"] == "voting.mail_receipts")
    assert entry["schedule"] == app.config["RECEIPT_MAIL_INTERVAL"] == 5.0
