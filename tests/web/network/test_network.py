"""The regional open-government network (issue #17): membership changes, the practices' review
(a refusal needs its reason), replication counts, who may do what, and each comuna's page."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from participa.audit.models import AuditEvent
from participa.core.db import utcnow
from participa.network import operations
from participa.network.models import NetworkMember, Practice
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.network import MAIPU, RENCA, member, practice
from tests.web.support import text


@pytest.fixture()
def staff(session):
    return create_user(session, roles=["network_staff"])


def test_membership_changes_follow_their_rules_and_are_public_and_audited(client, session, staff) -> None:
    renca, _liaison = member(session, staff, RENCA)
    assert "Municipalidad de Renca" in text(client.get("/red")) and "Piloto" in text(client.get("/red"))
    with pytest.raises(operations.NetworkError, match="already_member"):
        operations.add_member(session, actor=staff, kind="municipality", comuna_cut=RENCA, organisation_id=None,
                              name="", status="member", joined_on=date(2026, 4, 1))  # fmt: skip
    session.rollback()
    operations.change_member_status(session, actor=staff, member=renca, target="member", on=date(2026, 6, 1))
    with pytest.raises(operations.NetworkError, match="bad_transition"):
        operations.change_member_status(session, actor=staff, member=renca, target="pilot", on=date(2026, 6, 2))
    operations.change_member_status(session, actor=staff, member=renca, target="left", on=date(2026, 9, 1))
    session.commit()
    assert (renca.status, renca.left_on) == ("left", date(2026, 9, 1))
    assert "Se retiró" in text(client.get("/red"))
    operations.change_member_status(session, actor=staff, member=renca, target="member", on=date(2026, 11, 1))
    session.commit()
    assert (renca.status, renca.left_on, renca.joined_on) == ("member", None, date(2026, 11, 1))
    actions = session.execute(sa.select(AuditEvent.payload).where(AuditEvent.action == "network.member_status"))
    assert [p["to"] for p in actions.scalars()] == ["member", "left", "member"]


def test_only_network_staff_manage_members_through_the_pages(client, session, sign_in, make_user, staff) -> None:
    data = {"kind": "municipality", "comuna": str(MAIPU), "status": "pilot", "joined_on": "2026-03-01"}
    for roles in ([], ["manager"], ["curator"], ["admin"], ["programme_staff"]):
        browser = sign_in(make_user(roles=roles))
        assert browser.get("/gore/red").status_code == 403, roles
        response = browser.post("/gore/red/miembros", data={**data, "csrf_token": csrf_token(browser, "/red")})
        assert response.status_code == 403, roles
    anonymous = client.post("/gore/red/miembros", data=data)
    assert anonymous.status_code in (302, 400)
    assert session.execute(sa.select(sa.func.count()).select_from(NetworkMember)).scalar_one() == 0
    manager = sign_in(staff)
    token = csrf_token(manager, "/gore/red")
    assert manager.post("/gore/red/miembros", data={**data, "csrf_token": token}).status_code == 302
    refused = manager.post("/gore/red/miembros", data={**data, "csrf_token": token})
    assert refused.status_code == 400 and "Ya es miembro de la red." in text(refused)
    no_comuna = manager.post("/gore/red/miembros", data={**data, "comuna": "", "csrf_token": token})
    assert no_comuna.status_code == 400 and "Elija la comuna" in text(no_comuna)
    assert session.execute(sa.select(sa.func.count()).select_from(NetworkMember)).scalar_one() == 1


def test_a_practice_is_public_once_published_and_a_refusal_needs_its_reason(
    client, session, sign_in, make_user, staff
) -> None:
    renca, liaison = member(session, staff, RENCA)
    shared = practice(session, liaison, renca)
    assert client.get(f"/red/practicas/{shared.id}").status_code == 404  # not public while in review
    assert "Presupuesto participativo" not in text(client.get("/red/practicas"))
    reviewer = sign_in(staff)
    page = f"/red/practicas/{shared.id}"
    no_reason = reviewer.post(f"{page}/revision", data={"decision": "refuse", "reason": "  ",
                                                         "csrf_token": csrf_token(reviewer, page)})  # fmt: skip
    assert no_reason.status_code == 400 and "escriba el motivo" in text(no_reason)
    session.expire_all()
    assert session.get(Practice, shared.id).status == "submitted"
    refused = reviewer.post(f"{page}/revision", data={"decision": "refuse", "reason": "Faltan los resultados medidos.",
                                                      "csrf_token": csrf_token(reviewer, page)})  # fmt: skip
    assert refused.status_code == 302
    own = sign_in(liaison)
    assert "Faltan los resultados medidos." in text(own.get(page))
    assert client.get(page).status_code == 404
    with pytest.raises(operations.NetworkError, match="already_reviewed"):
        operations.review_practice(session, actor=staff, practice=session.get(Practice, shared.id),
                                   decision="publish", reason="", now=utcnow())  # fmt: skip
    session.rollback()
    second = practice(session, liaison, renca, title="Cuenta pública en lenguaje claro", pillar="accountability")
    operations.review_practice(session, actor=staff, practice=second, decision="publish", reason="", now=utcnow())
    session.commit()
    library = text(client.get("/red/practicas", query_string={"pilar": "accountability"}))
    assert "Cuenta pública en lenguaje claro" in library and "Presupuesto participativo" not in library
    stranger = sign_in(make_user(roles=["manager"]))
    assert stranger.post(f"/red/practicas/{second.id}/revision", data={"decision": "publish",
                         "csrf_token": csrf_token(stranger, "/red")}).status_code == 403  # fmt: skip


def test_replications_are_counted_once_per_other_member(client, session, sign_in, staff) -> None:
    renca, renca_liaison = member(session, staff, RENCA)
    maipu, maipu_liaison = member(session, staff, MAIPU)
    shared = practice(session, renca_liaison, renca)
    with pytest.raises(operations.NetworkError, match="not_published"):
        operations.replicate_practice(session, actor=maipu_liaison, practice=shared, member_id=maipu.id,
                                      note="La hicimos en 2026.", now=utcnow())  # fmt: skip
    operations.review_practice(session, actor=staff, practice=shared, decision="publish", reason="", now=utcnow())
    session.commit()
    browser = sign_in(maipu_liaison)
    page = f"/red/practicas/{shared.id}"
    data = {"member": str(maipu.id), "note": "La hicimos con las juntas de vecinos en 2026.",
            "csrf_token": csrf_token(browser, page)}  # fmt: skip
    assert browser.post(f"{page}/replicada", data=data).status_code == 302
    again = browser.post(f"{page}/replicada", data=data)
    assert again.status_code == 400 and "ya la marcó como replicada" in text(again)
    own = sign_in(renca_liaison)
    refused = own.post(f"{page}/replicada", data={**data, "member": str(renca.id), "csrf_token": csrf_token(own, page)})
    assert refused.status_code == 400
    as_other = own.post(f"{page}/replicada", data={**data, "csrf_token": csrf_token(own, page)})
    assert as_other.status_code == 400  # Renca's liaison does not speak for Maipú
    session.expire_all()
    assert session.get(Practice, shared.id).replications == 1
    public = text(client.get(page))
    assert "La replicó 1 miembro" in public and "Municipalidad de Maipú" in public
    operations.change_member_status(session, actor=staff, member=maipu, target="left", on=date(2026, 10, 1))
    session.commit()
    with pytest.raises(operations.NetworkError, match="not_a_member"):
        operations.replicate_practice(session, actor=maipu_liaison, practice=shared, member_id=maipu.id,
                                      note="Otra vez", now=utcnow())  # fmt: skip


def test_a_liaison_submits_only_for_their_member(session, staff, sign_in) -> None:
    _renca, renca_liaison = member(session, staff, RENCA)
    maipu, _maipu_liaison = member(session, staff, MAIPU)
    with pytest.raises(operations.NetworkError, match="not_liaison"):
        practice(session, renca_liaison, maipu)
    session.rollback()
    nobody = sign_in(create_user(session))
    assert nobody.get("/red/practicas/nueva").status_code == 403


def test_the_comuna_page_shows_its_network_practices_and_data_in_few_queries(app, client, session, staff) -> None:
    from tests.fixtures.certification import closed_consultation

    renca, renca_liaison = member(session, staff, RENCA)
    maipu, maipu_liaison = member(session, staff, MAIPU)
    shared = practice(session, renca_liaison, renca)
    operations.review_practice(session, actor=staff, practice=shared, decision="publish", reason="", now=utcnow())
    operations.replicate_practice(session, actor=maipu_liaison, practice=shared, member_id=maipu.id,
                                  note="La replicamos en la villa.", now=utcnow())  # fmt: skip
    closed_consultation(session, comuna_cut=RENCA, choices=("approve", "reject", "approve"))
    from participa.commitments.models import Commitment

    reaching, elsewhere = session.query(Commitment).order_by(Commitment.id).limit(2).all()
    reaching.comunas, elsewhere.comunas = [13101, RENCA], [MAIPU]
    session.commit()
    engine = app.extensions["participa.engine"]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        response = client.get(f"/comunas/{RENCA}")
    finally:
        sa.event.remove(session.get_bind(), "before_cursor_execute", listener)
    page = text(response)
    assert response.status_code == 200 and engine is not None
    assert "Gobierno abierto en Renca" in page and "es parte de la Red Regional de Gobierno Abierto" in page
    assert "Presupuesto participativo en línea" in page
    assert "En el padrón" in page and "Votaron" in page
    assert reaching.label in page and elsewhere.label not in page
    queries = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    assert 5 <= len(queries) <= 15, queries  # counted (the listener sees them), and few
    maipu_page = text(client.get(f"/comunas/{MAIPU}"))
    assert "Replicadas por la comuna" in maipu_page and "Presupuesto participativo en línea" in maipu_page
    assert client.get("/comunas/99999").status_code == 404
    assert "Renca" in text(client.get("/comunas"))
