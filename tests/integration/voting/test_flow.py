"""Projects, consultation, roll, ballots, close and tally, through the operations (issue #4)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.consultations import operations as consultations
from participa.consultations.models import PowerIndex, RollEntry
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.voting import operations as voting
from participa.voting import records
from participa.voting.models import Ballot, TallyResult, Vote, VoteDecision
from tests.fixtures.consultations import voting_consultation

SECRET = "test-secret-key-not-for-production"


def cast(session: Session, consultation, org, person, choice: str, *, now=None) -> Ballot:
    ballot = voting.cast_ballot(
        session,
        actor=person,
        consultation=consultation,
        organisation_id=org.id,
        answers={q.id: choice for q in consultation.questions},
        now=now or utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    return ballot


def close(session: Session, consultation, manager) -> TallyResult:
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    session.commit()
    result = voting.close_consultation(session, consultation.id)
    session.commit()
    return result


def documented_roll_hash(entries: list[RollEntry]) -> str:
    """The roll's hash as /verificar documents it, written out here rather than borrowed from the
    code: SHA-256 of the JSON list, by organisation, of objects with the keys inputs, organisation,
    rut and weight (six decimals as text); keys sorted, no spaces, UTF-8 without escapes."""
    listed = [
        {"inputs": e.inputs, "organisation": e.organisation_id, "rut": e.rut, "weight": f"{e.weight:.6f}"}
        for e in sorted(entries, key=lambda e: e.organisation_id)
    ]
    text = json.dumps(listed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_roll_holds_every_eligible_organisation_with_its_weight_and_a_hash(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=4)
    entries = session.execute(sa.select(RollEntry).where(RollEntry.consultation_id == consultation.id)).scalars().all()
    assert {e.organisation_id for e in entries} == {org.id for org, _ in people}
    assert {(e.organisation_id, e.rut) for e in entries} == {(org.id, org.rut) for org, _ in people}
    assert all(str(e.weight) == "1.000000" for e in entries)
    assert consultation.roll_hash == documented_roll_hash(entries)
    assert consultations.freeze_roll(session, consultation.id) is False, "a frozen roll is never recomputed"


def test_power_index_is_stored_for_the_roll(session: Session) -> None:
    consultation, _manager, _people = voting_consultation(session, organisations=3)
    consultations.compute_power_index(session, consultation.id)
    session.commit()
    index = session.get(PowerIndex, consultation.id)
    assert index is not None and (index.method, index.exact, index.error_bound) == ("exact", True, None)
    # Three equal weights under a simple majority: every pair wins, so each organisation turns a
    # losing coalition into a winning one equally often, a third of the power each; no dictator, no veto.
    entries = session.execute(sa.select(RollEntry).where(RollEntry.consultation_id == consultation.id)).scalars().all()
    assert index.values == {str(e.organisation_id): "0.333333" for e in entries}
    assert index.flags == {}


def test_a_full_consultation_ends_in_a_binding_verdict(session: Session) -> None:
    consultation, manager, people = voting_consultation(session, organisations=5)
    choices = ["approve", "approve", "approve", "reject", "abstain"]
    for (org, person), choice in zip(people, choices, strict=True):
        cast(session, consultation, org, person, choice)
    result = close(session, consultation, manager)
    data = json.loads(result.canonical_json)
    question = data["questions"][0]
    assert question["verdict"] == "approved"
    assert question["binding"] is True
    assert question["approve"]["heads"] == 3 and question["reject"]["heads"] == 1
    assert consultation.phase == Phase.CERTIFICATION


def test_closing_twice_leaves_one_result(session: Session) -> None:
    consultation, manager, people = voting_consultation(session, organisations=3)
    for org, person in people:
        cast(session, consultation, org, person, "approve")
    first = close(session, consultation, manager)
    second = voting.close_consultation(session, consultation.id)
    session.commit()
    assert second.id == first.id and second.sha256 == first.sha256
    assert (
        session.execute(
            sa.select(sa.func.count()).select_from(TallyResult).where(TallyResult.consultation_id == consultation.id)
        ).scalar_one()
        == 1
    )


def test_revoting_keeps_the_earlier_vote_marked_superseded_and_the_last_counts(session: Session) -> None:
    consultation, manager, people = voting_consultation(session, organisations=3)
    (org, person), *others = people
    cast(session, consultation, org, person, "reject")
    cast(session, consultation, org, person, "approve")
    for other_org, other_person in others:
        cast(session, consultation, other_org, other_person, "reject")
    votes = session.execute(sa.select(Vote).where(Vote.organisation_id == org.id)).scalars().all()
    assert sorted((v.choice, v.effective) for v in votes) == [("approve", True), ("reject", False)]
    data = json.loads(close(session, consultation, manager).canonical_json)
    assert data["questions"][0]["approve"]["heads"] == 1
    assert data["superseded"] == 1, "the earlier vote is published as superseded, not counted"
    assert data["counted"] == 3


def test_under_first_vote_policy_a_second_ballot_is_refused(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2, revote_policy="first")
    org, person = people[0]
    cast(session, consultation, org, person, "approve")
    with pytest.raises(voting.VotingError) as refused:
        cast(session, consultation, org, person, "reject")
    assert refused.value.code == "already_voted"


def test_a_representative_of_one_organisation_cannot_vote_as_another(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2)
    (_org_a, person_a), (org_b, _person_b) = people
    with pytest.raises(voting.VotingError) as refused:
        cast(session, consultation, org_b, person_a, "approve")
    assert refused.value.code == "not_authorised"
    session.rollback()
    assert session.execute(sa.select(Ballot).where(Ballot.organisation_id == org_b.id)).first() is None


def test_voting_after_close_is_refused(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    with pytest.raises(voting.VotingError) as refused:
        cast(session, consultation, org, person, "approve", now=consultation.voting_ends_at + timedelta(seconds=1))
    assert refused.value.code == "closed"


def test_an_incomplete_or_invalid_ballot_is_refused(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    with pytest.raises(voting.VotingError) as refused:
        voting.cast_ballot(
            session,
            actor=person,
            consultation=consultation,
            organisation_id=org.id,
            answers={},
            now=utcnow(),
            secret_key=SECRET,
        )
    assert refused.value.code == "incomplete"
    with pytest.raises(voting.VotingError) as refused:
        voting.cast_ballot(
            session,
            actor=person,
            consultation=consultation,
            organisation_id=org.id,
            answers={q.id: "maybe" for q in consultation.questions},
            now=utcnow(),
            secret_key=SECRET,
        )
    assert refused.value.code == "bad_choice"


def test_the_database_refuses_a_second_effective_vote(session: Session) -> None:
    """Even if the application slipped, the partial unique index holds one effective vote."""
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    ballot = cast(session, consultation, org, person, "approve")
    question = consultation.questions[0]
    session.add(
        Vote(
            ballot_id=ballot.id,
            consultation_id=consultation.id,
            question_id=question.id,
            organisation_id=org.id,
            choice="reject",
            effective=True,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_a_vote_cast_by_a_person_authorised_only_later_is_not_admitted(session: Session) -> None:
    consultation, manager, people = voting_consultation(session, organisations=3)
    for org, person in people:
        cast(session, consultation, org, person, "approve")
    from participa.registry.models import Representation

    late = session.execute(sa.select(Representation).where(Representation.organisation_id == people[0][0].id)).scalar()
    late.decided_at = late.approved_at = utcnow() + timedelta(minutes=5)
    session.commit()
    data = json.loads(close(session, consultation, manager).canonical_json)
    assert data["questions"][0]["approve"]["heads"] == 2
    refused = (
        session.execute(
            sa.select(VoteDecision).where(
                VoteDecision.consultation_id == consultation.id, VoteDecision.admissible.is_(False)
            )
        )
        .scalars()
        .all()
    )
    assert any(v.rule == "authorised" and not v.ok for d in refused for v in d.verdicts)
    assert {d.failed for d in refused} == {"not_authorised"}


def test_receipts_are_unique_and_do_not_reveal_the_choice(session: Session) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=3)
    choices = ["approve", "reject", "abstain"]
    cast_at = [utcnow() + timedelta(seconds=i) for i in range(3)]
    ballots = [
        cast(session, consultation, org, person, choice, now=now)
        for (org, person), choice, now in zip(people, choices, cast_at, strict=True)
    ]
    codes = [ballot.receipt_code for ballot in ballots]
    assert len(set(codes)) == 3
    assert all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code) for code in codes), codes

    # The public list shows each ballot alike whatever its choice: tracker, weight and status.
    public = {item["tracker"]: item for item in records.tracker_items(session, consultation.id)}
    lines = [public[ballot.tracker] for ballot in ballots]
    assert [line["tracker"] for line in lines] == [hashlib.sha256(code.encode()).hexdigest() for code in codes]
    assert len({(line["weight"], line["status"], line["reason"]) for line in lines}) == 1
    assert {key for line in lines for key in line} == {"tracker", "weight", "status", "reason"}

    # The code depends on the choice only through the server's secret: someone who knows all else
    # about a ballot (organisation, person, instant) finds no choice that gives its code without
    # the secret, while the same computation with the secret finds the one that was cast.
    questions = [q.id for q in consultation.questions]
    for ballot, (org, person), cast_choice, now in zip(ballots, people, choices, cast_at, strict=True):

        def code_for(choice: str, secret: str, org=org, person=person, now=now) -> str:
            return voting.receipt_for(
                secret,
                consultation_id=consultation.id,
                organisation_id=org.id,
                user_id=person.id,
                answers=dict.fromkeys(questions, choice),
                now=now,
            )

        assert ballot.receipt_code not in {code_for(c, "guessed-" + SECRET) for c in choices}
        assert [c for c in choices if code_for(c, SECRET) == ballot.receipt_code] == [cast_choice]


def test_admissibility_judged_in_small_chunks_gives_the_same_result_once(session: Session, monkeypatch) -> None:
    from participa.voting import tasks

    consultation, manager, people = voting_consultation(session, organisations=5)
    for (org, person), choice in zip(people, ["approve", "approve", "reject", "abstain", "approve"], strict=True):
        cast(session, consultation, org, person, choice)
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    session.commit()
    monkeypatch.setattr(tasks, "JUDGE_CHUNK", 2)
    tasks.close_consultation.run(consultation.id)
    tasks.close_consultation.run(consultation.id)  # re-delivered: nothing more
    decisions = session.execute(
        sa.select(sa.func.count())
        .select_from(VoteDecision)
        .where(VoteDecision.consultation_id == consultation.id, VoteDecision.count_round == 1)
    ).scalar_one()
    assert decisions == 5
    data = json.loads(
        session.execute(
            sa.select(TallyResult.canonical_json).where(TallyResult.consultation_id == consultation.id)
        ).scalar_one()
    )
    question = data["questions"][0]
    assert (question["approve"]["heads"], question["reject"]["heads"], question["abstain"]["heads"]) == (3, 1, 1)
    assert all(
        v.admitted for v in session.execute(sa.select(Vote).where(Vote.consultation_id == consultation.id)).scalars()
    )
