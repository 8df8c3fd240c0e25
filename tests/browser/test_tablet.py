"""A facilitator's tablet in Chromium (issue #13): the session is opened online, then the tablet
loses the network and the server (stopped, so that not even the service worker can reach it:
Playwright's offline mode does not cover a worker's own requests, microsoft/playwright#2311),
records 30 votes through a reload, a closed and reopened tab and an expired login, and once both
come back syncs each vote exactly once. An online ballot afterwards does not replace them."""

from __future__ import annotations

import contextlib
import re
import threading

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from participa.accounts.models import User
from participa.core import db
from participa.core.rut import format_rut
from participa.facilitation.models import InPersonSession
from participa.voting import operations as voting
from participa.voting.models import Ballot, Vote
from tests.browser.conftest import assert_accessible
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.facilitation import SECRET, in_person_consultation

pytestmark = [pytest.mark.browser]

VOTES = 30
CHOICES = ("Aprobar", "Rechazar", "Abstenerse")


class Server:
    """The application on a fixed local port, which the test can stop and start again."""

    def __init__(self, app: Flask) -> None:
        self.app, self.port, self.server = app, 0, None

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture()
def server(app: Flask):
    running = Server(app)
    running.start()
    yield running
    with contextlib.suppress(OSError, AttributeError):  # already stopped by the test
        running.stop()


def sign_in(page, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/cuenta/ingresar?next=/facilitacion/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url(f"{base}/facilitacion/")


def pending(page) -> int:
    return int(page.locator("#pending").get_attribute("data-count") or "-1")


def record_vote(page, rut: str, organisation: str, choice: str) -> str:
    page.get_by_label("RUT de la persona que vota").fill(rut)
    page.get_by_role("button", name="Buscar sus organizaciones").click()
    page.get_by_role("button", name=re.compile("^" + re.escape(organisation) + " ·")).click()
    page.get_by_label(choice).check()
    page.get_by_role("button", name="Revisar el voto").click()
    page.get_by_role("heading", name="Revise el voto antes de confirmarlo").wait_for()
    page.get_by_role("button", name="Confirmar y registrar el voto").click()
    page.get_by_role("heading", name="Voto registrado en la tableta").wait_for()
    code = page.locator("#receipt-code").inner_text()
    page.get_by_role("button", name="Siguiente persona").click()
    return code


def test_thirty_votes_recorded_offline_survive_everything_and_sync_exactly_once(app: Flask, server, page) -> None:
    with app.app_context():
        consultation, _manager, facilitator, row, people = in_person_consultation(
            db.session(), organisations=VOTES, title="Consulta con sesión presencial"
        )
        voters = [(org.id, org.legal_name, format_rut(person.rut), person.id) for org, person in people]
        session_id, consultation_id = row.id, consultation.id
        question_ids = [q.id for q in consultation.questions]
        email, secret, facilitator_id = facilitator.email, facilitator.totp_secret, facilitator.id
        db.session.remove()
    base = server.url
    context = page.context
    first = context.new_page()  # the tab that will be closed; `page` is the one reopened

    # Online: sign in, let the service worker take the shell, open the session on this tablet.
    sign_in(first, base, email, secret)
    first.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    first.reload()
    first.wait_for_function("() => navigator.serviceWorker.controller !== null && document.body.dataset.ready")
    assert_accessible(first)
    first.get_by_label("Nombre de esta tableta").fill("Tableta de prueba")
    first.get_by_role("button", name=re.compile("Abrir en esta tableta")).click()
    first.get_by_role("heading", name="Consulta con sesión presencial").wait_for()
    assert_accessible(first)

    # Offline, and nothing to reach: the network is cut and the server is stopped.
    context.set_offline(True)
    server.stop()
    shown: dict[int, str] = {}

    def record(indexes, on) -> None:
        for i in indexes:
            organisation_id, name, rut, _person = voters[i]
            shown[organisation_id] = record_vote(on, rut, name, CHOICES[i % 3])

    record(range(0, 12), first)
    assert pending(first) == 24  # 12 check-ins and 12 votes
    first.reload()  # served by the service worker, the queue read back from IndexedDB
    first.get_by_role("heading", name="Consulta con sesión presencial").wait_for()
    assert pending(first) == 24
    record(range(12, 22), first)
    first.get_by_label("RUT de la persona que vota").fill("12.345.678-9")  # a wrong check digit
    first.get_by_role("button", name="Buscar sus organizaciones").click()
    first.get_by_text("El RUT no es válido").wait_for()
    assert_accessible(first)

    # The tab is closed and another one opened: the app and its queue are still there.
    first.close()
    tab = page
    tab.goto(f"{base}/facilitacion/")
    tab.get_by_role("heading", name="Consulta con sesión presencial").wait_for()
    assert pending(tab) == 44
    record(range(22, VOTES), tab)
    assert pending(tab) == 2 * VOTES
    queued = tab.evaluate(
        """() => new Promise((resolve) => {
             const open = indexedDB.open("participa-facilitacion");
             open.onsuccess = () => {
               const all = open.result.transaction(["queue"]).objectStore("queue").getAll();
               all.onsuccess = () => resolve(all.result.map((e) => ({uuid: e.uuid, ...e.item})));
             };
           })"""
    )
    # The login expires while offline; the sync does not need it.
    context.clear_cookies()

    # Back: the server and the network return; the app syncs by itself.
    server.start()
    context.set_offline(False)
    tab.wait_for_function("() => document.getElementById('pending').dataset.count === '0'", timeout=30_000)
    assert "Todo está sincronizado" in tab.locator("#pending").inner_text()

    with app.app_context():
        session = db.session()
        ballots = session.execute(sa.select(Ballot).where(Ballot.session_id == session_id)).scalars().all()
        assert len(ballots) == VOTES
        assert {b.organisation_id: b.receipt_code for b in ballots} == shown
        assert len({b.client_uuid for b in ballots}) == VOTES
        assert {b.channel for b in ballots} == {"in_person"}
        counted = session.execute(
            sa.select(sa.func.count()).select_from(Vote).where(Vote.ballot_id.in_([b.id for b in ballots]))
        ).scalar_one()
        assert counted == VOTES * len(question_ids)
        token_row = session.get(InPersonSession, session_id)
        assert token_row.opened_at is not None
        db.session.remove()

    # A second sync of everything the tablet had queued changes nothing.
    status = tab.evaluate(
        """async ([url, items]) => {
             const record = await new Promise((resolve) => {
               const open = indexedDB.open("participa-facilitacion");
               open.onsuccess = () => {
                 const r = open.result.transaction(["sessions"]).objectStore("sessions").getAll();
                 r.onsuccess = () => resolve(r.result[0]);
               };
             });
             const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
               Authorization: "Bearer " + record.package.token}, body: JSON.stringify({items})});
             return [response.status, (await response.json()).results.map((r) => r.status)];
           }""",
        [f"{base}/facilitacion/api/sesiones/{session_id}/sincronizar", queued],
    )
    assert status[0] == 200 and set(status[1]) == {200}

    with app.app_context():
        session = db.session()
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(Ballot).where(Ballot.session_id == session_id)
            ).scalar_one()
            == VOTES
        )
        # An online ballot afterwards does not replace the organisation's in-person vote.
        organisation_id, _name, _rut, person_id = voters[0]
        person = session.get(User, person_id)
        with pytest.raises(voting.VotingError) as caught:
            voting.cast_online(
                session,
                user_id=person.id,
                session_version=person.session_version,
                consultation_id=consultation_id,
                organisation_id=organisation_id,
                answers=dict.fromkeys(question_ids, "reject"),
                now=db.utcnow(),
                secret_key=SECRET,
            )
        assert caught.value.code == "in_person_recorded"
        session.rollback()
        effective = (
            session.execute(
                sa.select(Ballot.channel)
                .join(Vote, Vote.ballot_id == Ballot.id)
                .where(Vote.organisation_id == organisation_id, Vote.effective)
            )
            .scalars()
            .all()
        )
        assert set(effective) == {"in_person"}
        # Signing the acta needs the facilitator signed in again (a new second-factor step).
        session.execute(sa.update(User).where(User.id == facilitator_id).values(totp_last_step=None))
        session.commit()
        db.session.remove()

    tab.get_by_role("button", name="Cerrar la sesión y firmar el acta").click()
    tab.get_by_role("link", name="Ingresar", exact=True).click()
    tab.get_by_label("Correo electrónico").fill(email)
    tab.get_by_label("Contraseña").fill(PASSWORD)
    tab.get_by_role("button", name="Ingresar").click()
    tab.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
    tab.get_by_role("button", name="Verificar").click()
    tab.wait_for_url(f"{base}/facilitacion/")
    tab.get_by_role("heading", name="Consulta con sesión presencial").wait_for()
    tab.get_by_role("button", name="Cerrar la sesión y firmar el acta").click()
    tab.locator("#acta-link").click()
    tab.get_by_role("heading", name="Acta de sesión presencial").wait_for()
    assert "Las cifras cuadran" in tab.locator("main").inner_text()
    assert_accessible(tab)
