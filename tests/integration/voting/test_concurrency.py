"""Ballots cast at the same instant (DESIGN §4: one effective vote per organisation and
question; a refused vote is refused with a clear reason), on both legs.

Each thread has its own application context and its own database session (the scoped session
is per thread) that really commits: the rolled-back ``session`` fixture would put them on one
connection. The data is therefore committed: it lives in a comuna of its own (Alhué, fresh
RUTs) so that it never lands on the rolls of other tests, and it is deleted afterwards (all but
its audit events, which are append-only) so that lists and counts of later tests stay exact.

Two kinds of race: a free one (both threads released by a barrier, repeated), and a forced
interleaving where both ballots have passed their checks (and read the database) before either
writes: the case a lock has to get right.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.accounts.models import RoleAssignment, User
from participa.admissibility.models import AdmissibilityDecision
from participa.consultations import operations as consultations
from participa.consultations.models import Consultation, PowerIndex, Question, RollEntry
from participa.core import db
from participa.core.db import utcnow
from participa.projects.models import Project, ProjectAttachment, project_commitments
from participa.registry.models import Organisation, Representation
from participa.voting import operations as voting
from participa.voting.models import Ballot, Vote, VoteDecision
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import admissible_project, consultation_data, open_for_voting, representative_of
from tests.fixtures.registry import create_organisation, rut

pytestmark = pytest.mark.commits

LEG = os.environ.get("PARTICIPA_TEST_LEG", "embedded")
ALHUE = 13502
REPEATS = 5
SECRET = "test-secret-key-not-for-production"
SQLITE_SERIALISES = pytest.mark.skipif(
    LEG == "embedded",
    reason="SQLite transactions begin IMMEDIATE (participa/core/db.py): a second ballot waits for the first "
    "to commit, so two ballots can never both be inside their checks; the free races above cover "
    "the embedded leg",
)


@dataclass(frozen=True)
class Pair:
    """An organisation and two of its representatives (say, president and secretary)."""

    organisation_id: int
    first_id: int
    second_id: int


@dataclass(frozen=True)
class Committed:
    consultation_id: int
    question_ids: list[int]
    pairs: list[Pair]


@pytest.fixture()
def plain_app(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The application with the scoped session unbound (no test transaction), and uploads in a
    folder of this test (the representatives' documents)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    db.session.remove()
    db.session.configure(bind=None)
    try:
        yield app
    finally:
        db.session.remove()
        remove_committed(app)


def remove_committed(app: Flask) -> None:
    """Delete what these tests committed: everything of the comuna of Alhué."""
    with app.app_context():
        session = db.session()
        projects = select_ids(session, sa.select(Project.id).where(Project.comuna_cut == ALHUE))
        organisations = select_ids(session, sa.select(Organisation.id).where(Organisation.comuna_cut == ALHUE))
        consultations_ = select_ids(
            session, sa.select(Question.consultation_id).where(Question.project_id.in_(projects))
        )
        votes = select_ids(session, sa.select(Vote.id).where(Vote.consultation_id.in_(consultations_)))
        users = select_ids(
            session,
            sa.union(
                sa.select(Project.created_by_id).where(Project.id.in_(projects)),
                sa.select(Consultation.created_by_id).where(Consultation.id.in_(consultations_)),
                sa.select(Representation.user_id).where(Representation.organisation_id.in_(organisations)),
            ),
        )
        for statement in (
            sa.delete(AdmissibilityDecision).where(
                AdmissibilityDecision.subject_type == "vote", AdmissibilityDecision.subject_id.in_(votes)
            ),
            sa.delete(VoteDecision).where(VoteDecision.consultation_id.in_(consultations_)),
            sa.delete(AdmissibilityDecision).where(
                AdmissibilityDecision.subject_type == "project", AdmissibilityDecision.subject_id.in_(projects)
            ),
            sa.delete(Vote).where(Vote.consultation_id.in_(consultations_)),
            sa.delete(Ballot).where(Ballot.consultation_id.in_(consultations_)),
            sa.delete(RollEntry).where(RollEntry.consultation_id.in_(consultations_)),
            sa.delete(PowerIndex).where(PowerIndex.consultation_id.in_(consultations_)),
            sa.delete(Question).where(Question.consultation_id.in_(consultations_)),
            sa.delete(Consultation).where(Consultation.id.in_(consultations_)),
            sa.delete(project_commitments).where(project_commitments.c.project_id.in_(projects)),
            sa.delete(ProjectAttachment).where(ProjectAttachment.project_id.in_(projects)),
            sa.delete(Project).where(Project.id.in_(projects)),
            sa.delete(Representation).where(Representation.organisation_id.in_(organisations)),
            sa.delete(Organisation).where(Organisation.id.in_(organisations)),
            sa.delete(RoleAssignment).where(RoleAssignment.user_id.in_(users)),
            sa.delete(User).where(User.id.in_(users)),
        ):
            session.execute(statement)
        session.commit()
        left = session.execute(
            sa.select(sa.func.count()).select_from(Organisation).where(Organisation.comuna_cut == ALHUE)
        ).scalar_one()
        db.session.remove()
    assert left == 0, "the committed organisations were not removed"


def select_ids(session: sa.orm.Session, query: sa.Select) -> list[int]:  # type: ignore[type-arg]
    return list(session.execute(query).scalars())


def open_consultation(app: Flask, revote_policy: str, organisations: int = REPEATS) -> Committed:
    """A consultation of Alhué open for voting, committed, with organisations represented by
    two people each."""
    with app.app_context():
        session = db.session()
        project = admissible_project(session, comuna_cut=ALHUE, title=f"Plaza de Alhué {rut()}")
        pairs = []
        for i in range(organisations):
            org = create_organisation(session, rut=rut(), legal_name=f"Junta de Vecinos Alhué {i}", comuna_cut=ALHUE)
            first = representative_of(session, org)
            second = representative_of(session, org)
            pairs.append(Pair(org.id, first.id, second.id))
        manager = create_user(session, roles=["manager"])
        consultation = consultations.create_consultation(
            session,
            actor=manager,
            data=consultation_data(
                [project.id], title="Consulta concurrente", electorate_comunas=[ALHUE], revote_policy=revote_policy
            ),
        )
        session.commit()
        open_for_voting(session, consultation, manager)
        committed = Committed(consultation.id, [q.id for q in consultation.questions], pairs)
        db.session.remove()
    return committed


def at_once(
    app: Flask, data: Committed, casts: list[tuple[int, int, str]], *, online: bool = False
) -> dict[str, object]:
    """Cast each (organisation, person, choice) in its own thread, all released together; what
    each got, by choice: "cast", a VotingError code, or the unexpected exception. ``online``:
    through the confirm step's path (operations.cast_online: on PostgreSQL the database
    function, in autocommit since the session has no transaction), else operations.cast_ballot."""
    barrier = threading.Barrier(len(casts))
    outcomes: dict[str, object] = {}

    def cast(organisation_id: int, person_id: int, choice: str) -> None:
        with app.app_context():
            session = db.session()
            try:
                consultation = session.get(Consultation, data.consultation_id)
                person = session.get(User, person_id)
                answers = {q: choice for q in data.question_ids}
                session.commit()  # no transaction held while waiting at the barrier
                barrier.wait(timeout=30)
                try:
                    if online:
                        voting.cast_online(
                            session,
                            user_id=person.id,
                            session_version=person.session_version,
                            consultation_id=consultation.id,
                            organisation_id=organisation_id,
                            answers=answers,
                            now=utcnow(),
                            secret_key=SECRET,
                        )
                    else:
                        voting.cast_ballot(
                            session,
                            actor=person,
                            consultation=consultation,
                            organisation_id=organisation_id,
                            answers=answers,
                            now=utcnow(),
                            secret_key=SECRET,
                        )
                    session.commit()
                except voting.VotingError as error:
                    session.rollback()
                    outcomes[choice] = error.code
                else:
                    outcomes[choice] = "cast"
            except Exception as error:
                session.rollback()
                outcomes[choice] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast, args=c) for c in casts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
        assert not thread.is_alive(), "a ballot never finished"
    assert set(outcomes) == {choice for _org, _person, choice in casts}
    return outcomes


def same_organisation(pair: Pair) -> list[tuple[int, int, str]]:
    return [(pair.organisation_id, pair.first_id, "approve"), (pair.organisation_id, pair.second_id, "reject")]


@pytest.fixture()
def checked_together(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Force the interleaving: every ballot passes its checks (reading the database in its
    transaction) before any of them goes on to write."""

    def arm(parties: int) -> None:
        barrier = threading.Barrier(parties)
        original = voting.check_ballot

        def check_then_wait(*args: Any, **kwargs: Any) -> Any:
            entry = original(*args, **kwargs)
            barrier.wait(timeout=30)
            return entry

        monkeypatch.setattr(voting, "check_ballot", check_then_wait)

    return arm


def stored(app: Flask, data: Committed, organisation_id: int) -> tuple[list[Ballot], list[Vote]]:
    with app.app_context():
        session = db.session()
        ballots = list(
            session.execute(
                sa.select(Ballot)
                .where(Ballot.consultation_id == data.consultation_id, Ballot.organisation_id == organisation_id)
                .order_by(Ballot.id)
            ).scalars()
        )
        votes = list(
            session.execute(
                sa.select(Vote)
                .where(Vote.consultation_id == data.consultation_id, Vote.organisation_id == organisation_id)
                .order_by(Vote.id)
            ).scalars()
        )
        session.expunge_all()
        db.session.remove()
    return ballots, votes


def check_one_effective_vote_per_question(data: Committed, ballots: list[Ballot], votes: list[Vote]) -> None:
    effective = [v for v in votes if v.effective]
    assert sorted(v.question_id for v in effective) == sorted(data.question_ids), (
        f"exactly one effective vote per question, found {[(v.question_id, v.choice) for v in effective]}"
    )
    assert len({v.ballot_id for v in effective}) == 1, "the effective votes come from one ballot"
    assert len({b.receipt_code for b in ballots}) == len(ballots)


def check_last_policy(app: Flask, data: Committed, pair: Pair, outcomes: dict[str, object]) -> None:
    cast = [choice for choice, outcome in outcomes.items() if outcome == "cast"]
    assert cast, f"at least one of the two ballots is stored: {outcomes}"
    ballots, votes = stored(app, data, pair.organisation_id)
    assert len(ballots) == len(cast), f"a ballot that failed stored nothing: {outcomes}"
    check_one_effective_vote_per_question(data, ballots, votes)
    if len(ballots) == 2:
        earlier, later = ballots
        assert all(not v.effective and v.superseded_at is not None for v in votes if v.ballot_id == earlier.id)
        assert all(v.effective for v in votes if v.ballot_id == later.id), "the last ballot stored counts"
    else:
        assert {v.choice for v in votes if v.effective} == set(cast)


def check_first_policy(app: Flask, data: Committed, pair: Pair, outcomes: dict[str, object]) -> None:
    (winner,) = [choice for choice, outcome in outcomes.items() if outcome == "cast"]
    ballots, votes = stored(app, data, pair.organisation_id)
    assert len(ballots) == 1
    check_one_effective_vote_per_question(data, ballots, votes)
    assert {v.choice for v in votes} == {winner}


# --- free races, repeated: the database state -----------------------------------------------


@pytest.mark.parametrize("online", [False, True], ids=["cast_ballot", "cast_online"])
@pytest.mark.parametrize("policy", ["last", "first"])
def test_two_simultaneous_ballots_of_one_organisation_never_leave_two_effective_votes(plain_app, policy, online):
    """Whatever each request got back, afterwards there is exactly one effective vote per
    question for the organisation, and a ballot that was not stored left nothing behind. The
    online path does not wait for the other ballot (no row lock): the loser is refused as
    'concurrent' (or, under 'first', 'already_voted' if the winner committed first)."""
    data = open_consultation(plain_app, policy)
    for pair in data.pairs:
        outcomes = at_once(plain_app, data, same_organisation(pair), online=online)
        refusals = {outcome for outcome in outcomes.values() if outcome != "cast"}
        assert refusals <= {"concurrent", "already_voted"}, outcomes
        if policy == "last":
            check_last_policy(plain_app, data, pair, outcomes)
        else:
            check_first_policy(plain_app, data, pair, outcomes)


# --- forced interleaving: the answer each voter gets ------------------------------------------


# Two ballots of one organisation can no longer be "checked together": the check itself takes
# the roll entry's row lock (participa/voting/operations.py, check_ballot(lock=True)), so the
# second waits for the first to commit and then supersedes it or is refused; the free races
# above hold that outcome. Ballots of two organisations lock two rows and go through together:


@SQLITE_SERIALISES
def test_ballots_of_two_organisations_checked_together_are_both_stored(plain_app, checked_together):
    data = open_consultation(plain_app, "last", organisations=2)
    first, second = data.pairs
    checked_together(2)
    outcomes = at_once(
        plain_app,
        data,
        [(first.organisation_id, first.first_id, "approve"), (second.organisation_id, second.first_id, "reject")],
    )
    assert outcomes == {"approve": "cast", "reject": "cast"}, outcomes
    for pair, choice in ((first, "approve"), (second, "reject")):
        ballots, votes = stored(plain_app, data, pair.organisation_id)
        assert len(ballots) == 1
        assert [(v.choice, v.effective) for v in votes] == [(choice, True)] * len(data.question_ids)
