"""Reads moved out of the views (issue #18): each checks the acting person itself, so a view whose
decorator slipped still refuses, and answers what its view showed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from participa.audit import operations as audit
from participa.core.db import utcnow
from participa.projects import operations as projects
from participa.voting import operations as voting
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import admissible_project, voting_consultation


@pytest.mark.parametrize("roles", [[], ["representative"], ["municipal_staff"], ["manager"], ["curator"]])
def test_the_audit_events_are_refused_to_anyone_but_admins_and_certifiers(session: Session, roles) -> None:
    with pytest.raises(PermissionError):
        audit.recent_events(session, actor=create_user(session, roles=roles), before=None, limit=5)


@pytest.mark.parametrize("role", ["admin", "certifier"])
def test_the_audit_events_come_newest_first_below_a_given_event(session: Session, role: str) -> None:
    for number in range(3):
        audit.record("test.event", actor=None, object_type="test", object_id=number, session=session)
    session.commit()
    actor = create_user(session, roles=[role])
    newest = audit.recent_events(session, actor=actor, before=None, limit=2)
    assert [e.id for e in newest] == sorted((e.id for e in newest), reverse=True)
    older = audit.recent_events(session, actor=actor, before=newest[-1].id, limit=50)
    assert older and all(e.id < newest[-1].id for e in older)


@pytest.mark.parametrize("roles", [[], ["representative"], ["municipal_staff"], ["facilitator"]])
def test_every_comunas_projects_are_refused_outside_gore_staff(session: Session, roles) -> None:
    with pytest.raises(projects.ProjectError) as refused:
        projects.submitted_projects(session, actor=create_user(session, roles=roles), state=None)
    assert refused.value.code == "forbidden"


def test_gore_staff_see_submitted_projects_in_the_state_asked(session: Session) -> None:
    project = admissible_project(session)
    manager = create_user(session, roles=["manager"])
    assert project.id in [p.id for p in projects.submitted_projects(session, actor=manager, state="admissible")]
    assert project.id not in [p.id for p in projects.submitted_projects(session, actor=manager, state="rejected")]


def test_a_fresh_receipt_is_only_for_the_person_who_cast_it(session: Session, app) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    code = voting.cast_ballot(
        session,
        actor=person,
        consultation=consultation,
        organisation_id=org.id,
        answers={q.id: "approve" for q in consultation.questions},
        now=utcnow(),
        secret_key=app.config["SECRET_KEY"],
    ).receipt_code
    session.commit()
    found = voting.fresh_receipt(session, actor=person, consultation_id=consultation.id, code=code)
    assert found is not None and found.organisation.id == org.id and found.weight > 0
    stranger = create_user(session, roles=["representative"])
    assert voting.fresh_receipt(session, actor=stranger, consultation_id=consultation.id, code=code) is None
    assert voting.fresh_receipt(session, actor=person, consultation_id=consultation.id, code=code + "X") is None
