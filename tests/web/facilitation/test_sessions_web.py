"""In-person sessions over HTTP (issue #13): a manager plans them, the tablet app's API opens,
syncs with the session's token (never the cookie) and closes with the signed acta, and the public
sees the acta in aggregate."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participa.core import db
from participa.core.db import SANTIAGO, utcnow
from participa.facilitation.models import InPersonSession
from participa.voting.models import Ballot
from tests.fixtures.accounts import csrf_token
from tests.fixtures.facilitation import Tablet, in_person_consultation, open_tablet
from tests.web.support import text

API = "/facilitacion/api/sesiones"


def answers_of(consultation, choice: str = "approve") -> dict[int, str]:
    return {q.id: choice for q in consultation.questions}


def local(moment) -> str:
    return moment.astimezone(SANTIAGO).strftime("%Y-%m-%dT%H:%M")


def test_a_manager_plans_a_session_and_a_window_outside_voting_is_refused_with_a_message(sign_in, session):
    consultation, manager, facilitator, _row, _people = in_person_consultation(session, organisations=1)
    browser = sign_in(manager)
    path = f"/gore/consultas/{consultation.id}/sesiones"
    page = text(browser.get(path))
    assert "Programar una sesión" in page and facilitator.name in page
    starts = utcnow() + timedelta(minutes=5)
    data = {
        "csrf_token": csrf_token(browser, path),
        "place": "Gimnasio municipal",
        "comuna": "13128",
        "starts_at": local(starts),
        "ends_at": local(consultation.voting_ends_at + timedelta(hours=1)),
        "facilitator": str(facilitator.id),
    }
    refused = browser.post(path, data=data)
    assert refused.status_code == 400
    assert "dentro del período de votación" in text(refused)
    before = session.execute(sa.select(sa.func.count()).select_from(InPersonSession)).scalar_one()
    data["ends_at"] = local(starts + timedelta(minutes=30))
    planned = browser.post(path, data=data, follow_redirects=True)
    assert planned.status_code == 200 and "La sesión quedó programada" in text(planned)
    db.session.expire_all()
    assert session.execute(sa.select(sa.func.count()).select_from(InPersonSession)).scalar_one() == before + 1


def test_the_app_shell_manifest_and_service_worker_need_no_sign_in_and_hold_nothing_personal(client):
    shell = client.get("/facilitacion/")
    assert shell.status_code == 200 and "Sincronizar ahora" in text(shell)
    assert 'rel="manifest"' in text(shell)
    manifest = client.get("/facilitacion/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["scope"] == "/facilitacion/"
    worker = client.get("/facilitacion/sw.js")
    assert worker.status_code == 200 and worker.mimetype in ("text/javascript", "application/javascript")
    assert worker.headers["Service-Worker-Allowed"] == "/facilitacion/"
    assert client.get(API).status_code == 302  # the data need the facilitator's sign-in


def test_the_facilitator_opens_a_session_through_the_api_with_a_csrf_token(sign_in, session):
    _consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    browser = sign_in(facilitator)
    listing = browser.get(API).get_json()
    assert [s["id"] for s in listing["sessions"]] == [row.id]
    without = browser.post(f"{API}/{row.id}/abrir", json={"device": "Tableta 2"})
    assert without.status_code == 400  # no CSRF token: refused, nothing opened
    opened = browser.post(
        f"{API}/{row.id}/abrir", json={"device": "Tableta 2"}, headers={"X-CSRFToken": listing["csrf_token"]}
    )
    assert opened.status_code == 200
    package = opened.get_json()
    assert len(package["token"]) >= 40 and len(package["roll"]) == 2
    assert all(person.rut not in opened.get_data(as_text=True) for _org, person in people)
    again = browser.post(f"{API}/{row.id}/abrir", json={}, headers={"X-CSRFToken": listing["csrf_token"]})
    assert again.status_code == 409 and again.get_json()["error"] == "already_open"


def test_sync_needs_the_sessions_token_not_a_cookie_and_answers_per_item(client, sign_in, session):
    consultation, manager, facilitator, row, people = in_person_consultation(session, organisations=2)
    tablet = open_tablet(session, row, facilitator)
    (org_a, person_a), (org_b, _person_b) = people
    good = tablet.vote(org_a, person_a, answers_of(consultation))
    bad = tablet.vote(org_b, person_a, answers_of(consultation))  # not B's representative
    path = f"{API}/{row.id}/sincronizar"
    assert client.post(path, json={"items": [good]}).status_code == 401
    signed_in = sign_in(facilitator)  # a signed-in facilitator without the token: refused too
    assert signed_in.post(path, json={"items": [good]}).status_code == 401
    bearer = {"Authorization": f"Bearer {tablet.package['token']}"}
    assert client.post(path, data="not json", headers=bearer).status_code == 400
    assert client.post(path, json={"items": [good] * 501}, headers=bearer).status_code == 400
    answer = client.post(path, json={"items": [good, bad]}, headers=bearer)
    assert answer.status_code == 207
    assert [(r["status"], r.get("reason")) for r in answer.get_json()["results"]] == [
        (201, None),
        (422, "not_authorised"),
    ]
    assert client.post(path, json={"items": [good]}, headers=bearer).status_code == 200
    db.session.expire_all()
    assert session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 1
    # The manager revokes the tablet: its token syncs nothing more.
    browser = sign_in(manager)
    revoke = f"/gore/sesiones/{row.id}/revocar"
    token = csrf_token(browser, f"/gore/consultas/{consultation.id}/sesiones")
    assert browser.post(revoke, data={"csrf_token": token}).status_code == 302
    refused = client.post(
        path, json={"items": [tablet.vote(org_a, person_a, answers_of(consultation))]}, headers=bearer
    )
    assert refused.status_code == 403 and refused.get_json()["error"] == "revoked"


def test_closing_signs_the_acta_which_is_public_in_aggregate(client, sign_in, session):
    consultation, _manager, facilitator, row, people = in_person_consultation(session, organisations=1)
    tablet: Tablet = open_tablet(session, row, facilitator)
    org, person = people[0]
    bearer = {"Authorization": f"Bearer {tablet.package['token']}"}
    vote = tablet.vote(org, person, answers_of(consultation, "reject"))
    assert client.post(f"{API}/{row.id}/sincronizar", json={"items": [vote]}, headers=bearer).status_code == 200
    acta_path = f"/sesiones/{row.id}/acta"
    assert client.get(acta_path).status_code == 404  # not before it is closed

    browser = sign_in(facilitator)
    token = browser.get(API).get_json()["csrf_token"]
    close = f"{API}/{row.id}/cerrar"
    assert browser.post(close, json={"recorded": 1}, headers={"X-CSRFToken": token}).status_code == 401
    assert browser.post(close, json={"recorded": "1"}, headers={"X-CSRFToken": token, **bearer}).status_code == 400
    closed = browser.post(close, json={"recorded": 1}, headers={"X-CSRFToken": token, **bearer})
    assert closed.status_code == 200 and closed.get_json()["acta"].endswith(acta_path)

    page = text(client.get(acta_path))
    assert "Acta de sesión presencial" in page and row.place in page and "Las cifras cuadran" in page
    assert person.rut not in page and org.legal_name not in page
    assert "Rechazar" not in page and "reject" not in page  # no choice, even in aggregate
    listing = text(client.get(f"/consultas/{consultation.id}/sesiones"))
    assert acta_path in listing


def test_a_draft_consultations_sessions_are_not_public(client, session):
    from participa.consultations import operations as consultations
    from tests.fixtures.accounts import create_user
    from tests.fixtures.consultations import admissible_project, consultation_data

    manager = create_user(session, roles=["manager"])
    draft = consultations.create_consultation(
        session, actor=manager, data=consultation_data([admissible_project(session).id])
    )
    session.commit()
    assert client.get(f"/consultas/{draft.id}/sesiones").status_code == 404
    assert client.get("/sesiones/2000000000/acta").status_code == 404
