"""In-person sessions (issue #13): what a tablet syncs is stored exactly once, checked by the cast
rules of every channel at the moment the session's window gives it, and each refusal answers for
its own item only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.audit.models import AuditEvent
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.facilitation import operations, rules
from participa.facilitation.models import SessionCheckin, SyncRefusal
from participa.voting import operations as voting
from participa.voting.models import Ballot, Vote
from tests.fixtures.consultations import representative_of
from tests.fixtures.facilitation import SECRET, in_person_consultation, open_tablet, plan, sync
from tests.fixtures.registry import create_organisation


def answers_of(consultation, choice: str = "approve") -> dict[int, str]:
    return {q.id: choice for q in consultation.questions}


def count(session: Session, model) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_votes_are_stored_once_with_the_receipt_the_tablet_showed(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=3)
    tablet = open_tablet(session, row, facilitator)
    items = [tablet.vote(org, person, answers_of(consultation, "reject")) for org, person in people]

    first = sync(session, tablet, items)
    assert [r.status for r in first] == [201, 201, 201]
    assert [r.receipt for r in first] == [tablet.receipt_for(item) for item in items]
    ballots = session.execute(sa.select(Ballot).where(Ballot.session_id == row.id).order_by(Ballot.id)).scalars().all()
    assert [b.channel for b in ballots] == ["in_person"] * 3
    assert [b.cast_by_id for b in ballots] == [person.id for _org, person in people]
    assert {v.choice for b in ballots for v in b.votes} == {"reject"}
    stored_votes, events = count(session, Vote), count(session, AuditEvent)

    again = sync(session, tablet, items)
    assert [r.status for r in again] == [200, 200, 200]
    assert [r.receipt for r in again] == [r.receipt for r in first]
    assert count(session, Ballot) == 3 and count(session, Vote) == stored_votes
    # Only the sync's own event is added: no ballot, no vote, no conflict.
    assert count(session, AuditEvent) == events + 1


def test_the_same_uuid_with_other_content_is_refused_with_409_and_flagged(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=1)
    tablet = open_tablet(session, row, facilitator)
    (org, person) = people[0]
    item = tablet.vote(org, person, answers_of(consultation, "approve"))
    assert sync(session, tablet, [item])[0].status == 201

    forged = {**item, "answers": {k: "reject" for k in item["answers"]}}
    result = sync(session, tablet, [forged])[0]
    assert (result.status, result.reason) == (409, "conflict")
    assert {v.choice for v in session.execute(sa.select(Vote)).scalars()} == {"approve"}
    refusal = session.execute(sa.select(SyncRefusal)).scalar_one()
    assert (refusal.reason, refusal.client_uuid, refusal.session_id) == ("conflict", item["uuid"], row.id)
    flagged = session.execute(
        sa.select(AuditEvent.payload).where(AuditEvent.action == "facilitation.sync_conflict")
    ).scalar_one()
    assert flagged == {"uuid": item["uuid"], "kind": "vote"}
    # Sent again, the conflict is answered again but recorded once.
    assert sync(session, tablet, [forged])[0].status == 409
    assert count(session, SyncRefusal) == 1


def test_a_device_clock_two_days_wrong_changes_nothing(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    tablet = open_tablet(session, row, facilitator)
    (org_a, person_a), (org_b, person_b) = people
    now = utcnow()
    wrong = (now - timedelta(days=2)).isoformat()
    far = (now + timedelta(days=2)).isoformat()
    results = sync(
        session,
        tablet,
        [
            tablet.vote(org_a, person_a, answers_of(consultation), device_time=wrong),
            tablet.vote(org_b, person_b, answers_of(consultation), device_time=far),
        ],
        now=now,
    )
    assert [r.status for r in results] == [201, 201]
    ballots = session.execute(sa.select(Ballot).order_by(Ballot.id)).scalars().all()
    # The server's clock inside the session's window, never the device's.
    assert [b.cast_at for b in ballots] == [now, now]
    assert [b.late_sync for b in ballots] == [False, False]
    assert ballots[0].device_time == now - timedelta(days=2)


def test_a_vote_synced_after_the_end_counts_at_the_session_end_and_is_flagged(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=1)
    tablet = open_tablet(session, row, facilitator)
    org, person = people[0]
    later = row.ends_at + timedelta(hours=3)
    result = sync(session, tablet, [tablet.vote(org, person, answers_of(consultation))], now=later)[0]
    assert result.status == 201
    ballot = session.execute(sa.select(Ballot)).scalar_one()
    assert ballot.late_sync is True
    assert ballot.cast_at == row.ends_at - timedelta(microseconds=1)
    # After the grace, nothing is accepted any more.
    with pytest.raises(operations.SessionError) as caught:
        sync(session, tablet, [tablet.vote(org, person, answers_of(consultation))], now=row.ends_at + rules.SYNC_GRACE)
    assert caught.value.code == "too_late"


def test_a_revoked_token_syncs_nothing_and_a_wrong_token_finds_no_session(session: Session) -> None:
    consultation, manager, facilitator, row, people = in_person_consultation(session, organisations=1)
    tablet = open_tablet(session, row, facilitator)
    org, person = people[0]
    assert operations.session_for_token(session, row.id, tablet.package["token"]) is row
    assert operations.session_for_token(session, row.id, tablet.package["token"][:-1] + "x") is None
    assert operations.session_for_token(session, row.id, "") is None
    operations.revoke_token(session, actor=manager, row=row, now=utcnow())
    session.commit()
    with pytest.raises(operations.SessionError) as caught:
        sync(session, tablet, [tablet.vote(org, person, answers_of(consultation))])
    assert caught.value.code == "revoked"
    assert count(session, Ballot) == 0
    # Opened again on another tablet: a new token and salt; the old token is no longer the session's.
    second = open_tablet(session, row, facilitator)
    assert second.package["token"] != tablet.package["token"]
    assert operations.session_for_token(session, row.id, tablet.package["token"]) is None


def test_a_vote_for_an_organisation_outside_the_sessions_roll_is_refused_alone(session: Session) -> None:
    consultation, manager, facilitator, _row, people = in_person_consultation(
        session, organisations=2, electorate_comunas=[13128, 13101]
    )
    (org_renca, person_renca), (org_far, _person_far) = people
    org_far.comuna_cut = 13101  # Santiago: on the roll, but not served by a session for Renca
    session.commit()
    consultations.freeze_roll(session, consultation.id)
    from participa.consultations.models import RollEntry

    session.execute(
        sa.update(RollEntry)
        .where(RollEntry.consultation_id == consultation.id, RollEntry.organisation_id == org_far.id)
        .values(comuna_cut=13101)
    )
    session.commit()
    row = plan(session, consultation, manager, facilitator, comuna_cut=13128)
    tablet = open_tablet(session, row, facilitator)
    assert [entry["organisation"] for entry in tablet.package["roll"]] == [org_renca.id]
    outsider = create_organisation(session, legal_name="Organización sin padrón")
    representative_of(session, outsider, person_renca)
    items = [
        tablet.vote(org_renca, person_renca, answers_of(consultation)),
        {
            **tablet.vote(org_far, person_renca, answers_of(consultation)),
            "representative": tablet.hash_of(person_renca),
        },
        tablet.vote(outsider, person_renca, answers_of(consultation)),
        {"uuid": "not-a-uuid", "kind": "vote"},
    ]
    results = sync(session, tablet, items)
    assert [(r.status, r.reason) for r in results] == [
        (201, None),
        (422, "not_on_roll"),
        (422, "not_on_roll"),
        (400, "bad_uuid"),
    ]
    assert session.execute(sa.select(Ballot.organisation_id)).scalars().all() == [org_renca.id]


def test_a_person_not_authorised_at_the_sessions_moment_is_refused(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    tablet = open_tablet(session, row, facilitator)
    (org_a, person_a), (org_b, _person_b) = people
    # A representative of A votes for B: known to the tablet, but not B's representative.
    result = sync(session, tablet, [tablet.vote(org_b, person_a, answers_of(consultation))])[0]
    assert (result.status, result.reason) == (422, "not_authorised")
    unknown = {**tablet.vote(org_a, person_a, answers_of(consultation)), "representative": "0" * 64}
    assert sync(session, tablet, [unknown])[0].reason == "not_authorised"
    assert count(session, Ballot) == 0


def test_in_person_wins_over_online_whichever_came_first(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    (org_before, person_before), (org_after, person_after) = people
    # Online first, then in person: the in-person ballot supersedes the online one...
    voting.cast_ballot(
        session,
        actor=person_before,
        consultation=consultation,
        organisation_id=org_before.id,
        answers=answers_of(consultation, "approve"),
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    tablet = open_tablet(session, row, facilitator)
    results = sync(
        session,
        tablet,
        [
            tablet.vote(org_before, person_before, answers_of(consultation, "reject")),
            tablet.vote(org_after, person_after, answers_of(consultation, "reject")),
        ],
    )
    assert [r.status for r in results] == [201, 201]
    effective = session.execute(
        sa.select(Ballot.channel, Vote.choice)
        .join(Vote, Vote.ballot_id == Ballot.id)
        .where(Vote.organisation_id == org_before.id, Vote.effective)
    ).all()
    assert effective == [("in_person", "reject")]
    # ...and an online ballot afterwards is refused on both online paths, never stored over it.
    for cast in (
        lambda: voting.cast_ballot(
            session,
            actor=person_after,
            consultation=consultation,
            organisation_id=org_after.id,
            answers=answers_of(consultation, "approve"),
            now=utcnow(),
            secret_key=SECRET,
        ),
        lambda: voting.cast_online(
            session,
            user_id=person_after.id,
            session_version=person_after.session_version,
            consultation_id=consultation.id,
            organisation_id=org_after.id,
            answers=answers_of(consultation, "approve"),
            now=utcnow(),
            secret_key=SECRET,
        ),
    ):
        with pytest.raises(voting.VotingError) as caught:
            cast()
        session.rollback()
        assert caught.value.code == "in_person_recorded"
    assert session.execute(
        sa.select(Ballot.channel, Vote.choice)
        .join(Vote, Vote.ballot_id == Ballot.id)
        .where(Vote.organisation_id == org_after.id, Vote.effective)
    ).all() == [("in_person", "reject")]


def test_under_the_first_policy_a_second_in_person_ballot_is_refused_but_online_is_overridden(
    session: Session,
) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(
        session, organisations=1, revote_policy="first"
    )
    org, person = people[0]
    voting.cast_ballot(
        session,
        actor=person,
        consultation=consultation,
        organisation_id=org.id,
        answers=answers_of(consultation, "approve"),
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    tablet = open_tablet(session, row, facilitator)
    first = sync(session, tablet, [tablet.vote(org, person, answers_of(consultation, "reject"))])[0]
    second = sync(session, tablet, [tablet.vote(org, person, answers_of(consultation, "abstain"))])[0]
    assert (first.status, second.status, second.reason) == (201, 422, "already_voted")


def test_checkins_are_idempotent_and_the_actas_counts_add_up(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=3)
    tablet = open_tablet(session, row, facilitator)
    (org_a, person_a), (org_b, person_b), (org_c, _person_c) = people
    checkins = [tablet.checkin(org_a, person_a), tablet.checkin(org_b, person_b)]
    votes = [
        tablet.vote(org_a, person_a, answers_of(consultation)),
        tablet.vote(org_b, person_b, answers_of(consultation, "reject")),
        tablet.vote(org_c, person_a, answers_of(consultation)),  # not C's representative: refused
    ]
    assert [r.status for r in sync(session, tablet, checkins + votes)] == [201, 201, 201, 201, 422]
    assert [r.status for r in sync(session, tablet, checkins)] == [200, 200]
    assert count(session, SessionCheckin) == 2

    acta = operations.close_session(session, actor=facilitator, row=row, recorded=3, now=utcnow())
    session.commit()
    assert acta["attendance"] == {"organisations": 2, "representatives": 2}
    assert acta["votes"]["recorded_on_tablet"] == 3
    assert acta["votes"]["stored"] + acta["votes"]["refused"] == 3
    assert acta["votes"]["refused_by_reason"] == {"not_authorised": 1}
    assert acta["votes"]["adds_up"] is True and acta["votes"]["missing"] == 0
    assert "choice" not in row.acta_json and "approve" not in row.acta_json and "reject" not in row.acta_json
    assert row.acta_sha256 == rules.hashlib.sha256(row.acta_json.encode()).hexdigest()
    # Closed: the token syncs nothing more.
    with pytest.raises(operations.SessionError) as caught:
        sync(session, tablet, [tablet.vote(org_a, person_a, answers_of(consultation))])
    assert caught.value.code == "not_open"


def test_an_acta_whose_tablet_recorded_more_than_arrived_does_not_add_up(session: Session) -> None:
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=1)
    tablet = open_tablet(session, row, facilitator)
    org, person = people[0]
    sync(session, tablet, [tablet.vote(org, person, answers_of(consultation))])
    acta = operations.close_session(session, actor=facilitator, row=row, recorded=4, now=utcnow())
    assert (acta["votes"]["adds_up"], acta["votes"]["missing"]) == (False, 3)


def test_the_count_waits_for_an_open_session_until_it_closes(session: Session) -> None:
    consultation, manager, facilitator, row, _people = in_person_consultation(session, organisations=1)
    open_tablet(session, row, facilitator)
    with pytest.raises(consultations.ConsultationError) as caught:
        consultations.change_phase(
            session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow()
        )
    assert (caught.value.code, caught.value.detail) == ("sessions_waiting", "1")
    session.rollback()
    operations.close_session(session, actor=facilitator, row=row, recorded=0, now=utcnow())
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    assert consultation.phase == Phase.COUNTING


@pytest.mark.parametrize(
    ("case", "code"),
    [("after_voting", "outside_voting"), ("reversed", "window_order"), ("not_a_facilitator", "not_facilitator")],
)
def test_a_session_is_planned_inside_the_voting_window_for_a_facilitator(
    session: Session, case: str, code: str
) -> None:
    consultation, manager, facilitator, _row, people = in_person_consultation(session, organisations=1)
    now = utcnow()
    starts, ends, who = now, now + timedelta(minutes=30), facilitator.id
    if case == "after_voting":
        ends = consultation.voting_ends_at + timedelta(minutes=1)
    elif case == "reversed":
        starts, ends = ends, starts
    else:
        who = people[0][1].id
    plan_ = operations.SessionPlan("Plaza", None, starts, ends, who)
    with pytest.raises(operations.SessionError) as caught:
        operations.plan_session(session, actor=manager, consultation=consultation, plan=plan_)
    assert caught.value.code == code


def test_only_the_sessions_facilitator_opens_and_closes_it(session: Session) -> None:
    _consultation, manager, facilitator, row, _people = in_person_consultation(session, organisations=1)
    for actor in (manager,):
        with pytest.raises(operations.SessionError) as caught:
            operations.open_session(session, actor=actor, row=row, device="x", now=utcnow(), secret_key=SECRET)
        assert caught.value.code == "forbidden"
    open_tablet(session, row, facilitator)
    with pytest.raises(operations.SessionError) as caught:
        operations.open_session(session, actor=facilitator, row=row, device="y", now=utcnow(), secret_key=SECRET)
    assert caught.value.code == "already_open"
    with pytest.raises(operations.SessionError) as caught:
        operations.close_session(session, actor=manager, row=row, recorded=0, now=utcnow())
    assert caught.value.code == "forbidden"


def test_the_tablet_holds_no_rut_in_the_clear(session: Session) -> None:
    _consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    tablet = open_tablet(session, row, facilitator)
    text = str(tablet.package)
    for _org, person in people:
        assert person.rut not in text and person.rut.split("-")[0] not in text
        assert tablet.hash_of(person) in text
    assert {entry["organisation"] for entry in tablet.package["roll"]} == {org.id for org, _ in people}


def test_the_close_reports_the_channel_conflict_and_the_certifier_sees_every_in_person_flag(session: Session) -> None:
    from participa.certification import operations as certification

    consultation, manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    (org_a, person_a), (org_b, person_b) = people
    online = voting.cast_ballot(
        session,
        actor=person_a,
        consultation=consultation,
        organisation_id=org_a.id,
        answers=answers_of(consultation, "approve"),
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()
    tablet = open_tablet(session, row, facilitator)
    replacing = tablet.vote(org_a, person_a, answers_of(consultation, "reject"))
    assert sync(session, tablet, [replacing])[0].status == 201
    late = tablet.vote(org_b, person_b, answers_of(consultation, "approve"))
    assert sync(session, tablet, [late], now=row.ends_at + timedelta(minutes=5))[0].status == 201
    forged = {**late, "answers": {k: "reject" for k in late["answers"]}}
    assert sync(session, tablet, [forged], now=row.ends_at + timedelta(minutes=6))[0].status == 409
    operations.close_session(session, actor=facilitator, row=row, recorded=2, now=row.ends_at + timedelta(minutes=7))
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    session.commit()
    voting.close_consultation(session, consultation.id)
    session.commit()

    refusals = session.execute(sa.select(Vote.refusal).where(Vote.ballot_id == online.id)).scalars().all()
    assert set(refusals) == {"overridden_in_person"}
    found = {flag.code: flag.count for flag in certification.flags(session, consultation, {})}
    assert found["channel_conflict"] == len(consultation.questions)
    assert found["late_in_person"] == 1
    assert found["sync_conflict"] == 1
    assert "acta_unsettled" not in found
