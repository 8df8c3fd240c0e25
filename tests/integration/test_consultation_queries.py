"""participa.consultations.queries: each staff read checks the acting person itself, so a view
whose decorator slipped still refuses; what each read answers (issue #18)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from participa.consultations import queries
from participa.consultations.operations import ConsultationError
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import admissible_project, voting_consultation

MANAGER_READS: dict[str, Callable[..., Any]] = {
    "staff_consultations": lambda s, actor, c: queries.staff_consultations(s, actor=actor),
    "consultable_projects": lambda s, actor, c: queries.consultable_projects(s, actor=actor, consultation=c),
    "consultation_to_change": lambda s, actor, c: queries.consultation_to_change(s, actor=actor, consultation_id=c.id),
}
ROLL_READS: dict[str, Callable[..., Any]] = {
    "roll_rows": lambda s, actor, c: queries.roll_rows(s, actor=actor, consultation=c),
    "power_index": lambda s, actor, c: queries.power_index(s, actor=actor, consultation_id=c.id),
}


@pytest.fixture()
def consultation(session: Session):
    found, _manager, _people = voting_consultation(session, organisations=2)
    return found


@pytest.mark.parametrize("roles", [[], ["representative"], ["curator"], ["certifier"], ["admin"]])
@pytest.mark.parametrize("read", sorted(MANAGER_READS))
def test_a_manager_read_refuses_anyone_else(session: Session, consultation, read: str, roles: list[str]) -> None:
    with pytest.raises(ConsultationError) as refused:
        MANAGER_READS[read](session, create_user(session, roles=roles), consultation)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("roles", [[], ["representative"], ["curator"], ["municipal_staff"]])
@pytest.mark.parametrize("read", sorted(ROLL_READS))
def test_the_staff_roll_refuses_the_public_and_other_staff(
    session: Session, consultation, read: str, roles: list[str]
) -> None:
    with pytest.raises(ConsultationError) as refused:
        ROLL_READS[read](session, create_user(session, roles=roles), consultation)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("role", ["manager", "certifier", "admin"])
def test_the_frozen_roll_is_read_by_staff_heaviest_first(session: Session, consultation, role: str) -> None:
    rows = queries.roll_rows(session, actor=create_user(session, roles=[role]), consultation=consultation)
    assert len(rows) == 2
    assert [r.legal_name for r in rows] == sorted(r.legal_name for r in rows)  # equal weights: by id
    assert all(r.comuna == "Renca" for r in rows)


def test_a_manager_may_consult_admissible_projects_and_those_already_held(session: Session, consultation) -> None:
    manager = create_user(session, roles=["manager"])
    other = admissible_project(session, title="Plaza nueva")
    held = [q.project_id for q in consultation.questions]
    fresh = queries.consultable_projects(session, actor=manager, consultation=None)
    editing = queries.consultable_projects(session, actor=manager, consultation=consultation)
    assert other.id in [p.id for p in fresh]
    assert not set(held) & {p.id for p in fresh}  # in consultation: no longer admissible
    assert set(held) | {other.id} == {p.id for p in editing}


def test_the_electorate_by_default_is_the_projects_comunas(session: Session) -> None:
    renca = admissible_project(session, comuna_cut=13128)
    maipu = admissible_project(session, comuna_cut=13119)
    twice = admissible_project(session, comuna_cut=13128, title="Otra")
    assert queries.comunas_of_projects(session, [twice.id, maipu.id, renca.id]) == [13119, 13128]
