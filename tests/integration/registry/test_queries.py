"""participa.registry.queries: each read that is not public checks the acting person itself, so a
view whose decorator slipped still refuses (issue #18)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from participa.registry import operations, queries
from participa.registry.models import ImportBatch, Organisation, Representation
from tests.fixtures.accounts import create_user
from tests.fixtures.registry import create_organisation, csv_bytes, row
from tests.web.registry.helpers import make_representation


@pytest.fixture()
def curator(session: Session):
    return create_user(session, roles=["curator"])


@pytest.fixture()
def batch(session: Session, curator) -> ImportBatch:
    data = csv_bytes([row()])
    found = operations.start_import(session, actor=curator, stream=io.BytesIO(data), filename="x.csv")
    session.commit()
    return found


@pytest.fixture()
def org(session: Session) -> Organisation:
    return create_organisation(session)


@pytest.fixture()
def request_of_someone(session: Session, org: Organisation) -> Representation:
    return make_representation(session, create_user(session), org)


CURATOR_READS: dict[str, Callable[..., Any]] = {
    "recent_imports": lambda s, actor, b, o, r: queries.recent_imports(s, actor=actor),
    "import_batch": lambda s, actor, b, o, r: queries.import_batch(s, actor=actor, batch_id=b.id),
    "rejected_rows": lambda s, actor, b, o, r: queries.rejected_rows(s, actor=actor, batch=b, limit=5),
    "report_rows": lambda s, actor, b, o, r: queries.report_rows(s, actor=actor, batch=b),
    "search_organisations": lambda s, actor, b, o, r: queries.search_organisations(
        s, actor=actor, criteria=queries.OrgFilter(), page=1, page_size=10
    ),
    "organisation": lambda s, actor, b, o, r: queries.organisation(s, actor=actor, org_id=o.id),
    "organisation_history": lambda s, actor, b, o, r: queries.organisation_history(s, actor=actor, organisation=o),
    "organisation_representations": lambda s, actor, b, o, r: queries.organisation_representations(
        s, actor=actor, organisation=o
    ),
    "pending_representations": lambda s, actor, b, o, r: queries.pending_representations(s, actor=actor),
    "recent_decisions": lambda s, actor, b, o, r: queries.recent_decisions(s, actor=actor),
    "representation": lambda s, actor, b, o, r: queries.representation(s, actor=actor, rep_id=r.id),
}


@pytest.mark.parametrize("roles", [[], ["manager"], ["representative"], ["admin"]])
@pytest.mark.parametrize("read", sorted(CURATOR_READS))
def test_a_curator_read_refuses_anyone_else(
    session: Session, batch, org, request_of_someone, read: str, roles: list[str]
) -> None:
    actor = create_user(session, roles=roles)
    with pytest.raises(operations.RegistryError) as refused:
        CURATOR_READS[read](session, actor, batch, org, request_of_someone)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("read", sorted(CURATOR_READS))
def test_a_curator_read_answers_a_curator(session: Session, curator, batch, org, request_of_someone, read) -> None:
    assert CURATOR_READS[read](session, curator, batch, org, request_of_someone) is not None


def test_the_report_is_refused_before_its_first_row_is_read(session: Session, batch) -> None:
    # The download streams: a check made lazily would run after the response had begun.
    with pytest.raises(operations.RegistryError):
        queries.report_rows(session, actor=create_user(session), batch=batch)


def test_the_public_directory_search_is_open_and_leaves_pending_records_out(session: Session) -> None:
    verified = create_organisation(session, legal_name="Club Deportivo Verificado")
    create_organisation(session, legal_name="Club Deportivo Pendiente", status="pending")
    found, total = queries.search_organisations(
        session, actor=None, criteria=queries.OrgFilter(text="club deportivo", public=True), page=1, page_size=10
    )
    assert ([o.id for o in found], total) == ([verified.id], 1)
    with pytest.raises(operations.RegistryError):
        queries.search_organisations(session, actor=None, criteria=queries.OrgFilter(), page=1, page_size=10)


def test_a_person_sees_only_their_own_representations(session: Session, org, request_of_someone) -> None:
    person = create_user(session)
    own = make_representation(session, person, org)
    assert [r.id for r in queries.own_representations(session, actor=person)] == [own.id]


def test_a_document_is_for_its_owner_and_curators_only(session: Session, curator, request_of_someone) -> None:
    owner = request_of_someone.user
    assert queries.document(session, actor=owner, rep_id=request_of_someone.id)[0] is request_of_someone
    assert queries.document(session, actor=curator, rep_id=request_of_someone.id)[0] is request_of_someone
    with pytest.raises(operations.RegistryError) as refused:
        queries.document(session, actor=create_user(session, roles=["manager"]), rep_id=request_of_someone.id)
    assert refused.value.code == "forbidden"
    assert queries.document(session, actor=owner, rep_id=request_of_someone.id + 1000) is None
