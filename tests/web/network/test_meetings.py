"""The network's meetings (issue #17, item 3): staff call them, liaisons register their member
before the start, staff take attendance and publish the minutes from the start on; all public
except who registered each member."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participa.core.db import utcnow
from participa.network import operations
from participa.network.models import Meeting
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.network import MAIPU, RENCA, member
from tests.web.support import text


@pytest.fixture()
def staff(session):
    return create_user(session, roles=["network_staff"])


def meeting(session, staff, *, starts_in: timedelta) -> Meeting:
    data = operations.MeetingData(
        title="Taller de datos abiertos municipales", kind="training", starts_at=utcnow() + starts_in,
        place="Sala del Consejo Regional, Bandera 46", link="",
        agenda="Publicar datos: formatos, licencias y el catálogo.",
    )  # fmt: skip
    made = operations.create_meeting(session, actor=staff, data=data)
    session.commit()
    return made


def test_a_meeting_needs_a_place_or_a_link_and_only_staff_call_it(client, session, sign_in, make_user, staff) -> None:
    bad = operations.MeetingData(title="Taller", kind="training", starts_at=utcnow(), place="", link="",
                                 agenda="x" * 30)  # fmt: skip
    with pytest.raises(operations.NetworkError, match="somewhere"):
        operations.create_meeting(session, actor=staff, data=bad)
    with pytest.raises(operations.NetworkError, match="bad_link"):
        operations.create_meeting(session, actor=staff, data=bad.__class__(**{**bad.__dict__, "link": "javascript:x"}))
    for roles in ([], ["manager"], ["admin"]):
        browser = sign_in(make_user(roles=roles))
        assert browser.get("/gore/red/encuentros/nuevo").status_code == 403, roles
    reviewer = sign_in(staff)
    form = {"title": "Intercambio de cuentas públicas", "kind": "exchange", "starts_at": "2027-03-10T10:00",
            "place": "", "link": "https://reunion.example.cl/red", "agenda": "Cómo rinden cuentas cuatro comunas.",
            "csrf_token": csrf_token(reviewer, "/gore/red/encuentros/nuevo")}  # fmt: skip
    response = reviewer.post("/gore/red/encuentros/nuevo", data=form)
    assert response.status_code == 302
    made = session.query(Meeting).one()
    assert made.starts_at.hour == 13  # 10:00 in Santiago is 13:00 UTC in March (summer time)
    public = text(client.get(f"/red/encuentros/{made.id}"))
    assert "Intercambio de cuentas públicas" in public and "https://reunion.example.cl/red" in public


def test_liaisons_register_once_before_the_start_and_staff_take_attendance_after(
    client, session, sign_in, staff
) -> None:
    renca, renca_liaison = member(session, staff, RENCA)
    maipu, maipu_liaison = member(session, staff, MAIPU)
    upcoming = meeting(session, staff, starts_in=timedelta(days=3))
    operations.register(session, actor=renca_liaison, meeting=upcoming, member_id=renca.id, now=utcnow())
    with pytest.raises(operations.NetworkError, match="already_registered"):
        operations.register(session, actor=renca_liaison, meeting=upcoming, member_id=renca.id, now=utcnow())
    with pytest.raises(operations.NetworkError, match="not_liaison"):
        operations.register(session, actor=renca_liaison, meeting=upcoming, member_id=maipu.id, now=utcnow())
    with pytest.raises(operations.NetworkError, match="not_started"):
        operations.take_attendance(session, actor=staff, meeting=upcoming, present={renca.id}, now=utcnow())
    with pytest.raises(operations.NetworkError, match="already_started"):
        operations.register(session, actor=maipu_liaison, meeting=upcoming, member_id=maipu.id,
                            now=upcoming.starts_at + timedelta(minutes=1))  # fmt: skip
    operations.register(session, actor=maipu_liaison, meeting=upcoming, member_id=maipu.id, now=utcnow())
    later = upcoming.starts_at + timedelta(hours=2)
    operations.take_attendance(session, actor=staff, meeting=upcoming, present={renca.id}, now=later)
    operations.record_minutes(session, actor=staff, meeting=upcoming, now=later,
                              minutes="Acordamos publicar el catálogo municipal antes de junio.")  # fmt: skip
    with pytest.raises(operations.NetworkError, match="forbidden"):
        operations.record_minutes(session, actor=renca_liaison, meeting=upcoming, minutes="x" * 30, now=later)
    session.commit()
    page = text(client.get(f"/red/encuentros/{upcoming.id}"))
    assert "2 miembros inscritos" in page and "Municipalidad de Renca · asistió" in page
    assert "Municipalidad de Maipú · no asistió" in page and "Acordamos publicar el catálogo" in page
    assert "Enlace 13128" not in page  # who registered the member is not public


def test_attendance_and_minutes_pages_refuse_everyone_but_staff(client, session, sign_in, make_user, staff) -> None:
    upcoming = meeting(session, staff, starts_in=timedelta(days=-1))
    browser = sign_in(make_user(roles=["manager"]))
    token = csrf_token(browser, f"/red/encuentros/{upcoming.id}")
    for action in ("asistencia", "acta"):
        response = browser.post(f"/gore/red/encuentros/{upcoming.id}/{action}", data={"csrf_token": token,
                                "minutes": "x" * 30, "presente": "1"})  # fmt: skip
        assert response.status_code == 403, action
    session.expire_all()
    assert session.get(Meeting, upcoming.id).minutes is None
    assert client.get("/red/encuentros/999999").status_code == 404
