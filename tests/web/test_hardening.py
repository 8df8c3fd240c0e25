"""Security hardening (issue #10): each finding of the security test, reproduced over HTTP, now
refused: sessions that outlive sign-out, a CSRF secret that survives sign-in, staff sessions
without end, enumeration by the work a page does, a forged client address, huge numbers and
control characters that answered 500, unsanitised text at rest, formula injection in CSV, and
sign-ins that could take every worker from the votes."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.accounts import operations as account_ops
from participa.accounts.models import AccountToken, User
from participa.core import db, security
from tests.fixtures.accounts import PASSWORD, csrf_token, login
from tests.fixtures.registry import create_organisation
from tests.web.support import fresh_client, location_path, text, unique_email


def signed_in(client) -> bool:
    response = client.get("/cuenta/")
    return response.status_code == 200


def copy_of(app: Flask, browser):
    """Another browser holding a copy of ``browser``'s cookies (a stolen or captured cookie)."""
    thief = fresh_client(app)
    for cookie in browser._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


# --- sessions -------------------------------------------------------------------------------


def confirm_vote(client, consultation, org, token: str, submission: str):
    """The confirm step of an online vote, approving every question."""
    return client.post(
        f"/consultas/{consultation.id}/votar",
        data={
            "csrf_token": token,
            "organisation": org.id,
            "step": "confirm",
            "submission": submission,
            **{f"q-{q.id}": "approve" for q in consultation.questions},
        },
    )


def test_a_session_cookie_captured_before_sign_out_no_longer_works_after_it(app, make_user):
    user = make_user()
    browser = fresh_client(app)
    assert login(browser, user).status_code == 302
    thief = copy_of(app, browser)
    assert signed_in(thief)
    browser.post("/cuenta/salir", data={"csrf_token": csrf_token(browser, "/cuenta/")})
    assert not signed_in(browser)
    assert not signed_in(thief), "signing out ends the session on the server, not only in the browser"


@pytest.mark.parametrize("elsewhere", ["address", "browser"])
def test_a_session_cookie_used_from_another_address_or_browser_ends_the_session(app, make_user, elsewhere):
    user = make_user()
    browser = fresh_client(app)
    browser.environ_base.update({"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Navegador/1.0"})
    assert login(browser, user).status_code == 302
    assert signed_in(browser)
    thief = copy_of(app, browser)
    thief.environ_base.update({"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Navegador/1.0"})
    assert signed_in(thief), "the same address and browser: the copy is indistinguishable"
    thief = copy_of(app, browser)
    thief.environ_base.update(
        {"REMOTE_ADDR": "203.0.113.66" if elsewhere == "address" else "198.51.100.7"}
        | {"HTTP_USER_AGENT": "Otro/2.0" if elsewhere == "browser" else "Navegador/1.0"}
    )
    assert not signed_in(thief)
    assert signed_in(browser), "the owner's own session goes on"


def test_a_cookie_from_another_browser_cannot_vote(app, session, uploads):
    from participa.voting.models import Ballot
    from tests.fixtures.consultations import voting_consultation

    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    browser = fresh_client(app)
    assert login(browser, person).status_code == 302
    token = csrf_token(browser, f"/consultas/{consultation.id}/votar")
    thief = copy_of(app, browser)
    thief.environ_base["HTTP_USER_AGENT"] = "Otro/2.0"
    response = confirm_vote(thief, consultation, org, token, "t" * 32)
    assert response.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 0


def test_a_captured_cookie_cannot_vote_after_sign_out(app, session, uploads):
    from participa.voting.models import Ballot
    from tests.fixtures.consultations import voting_consultation

    consultation, _manager, people = voting_consultation(session, organisations=1)
    org, person = people[0]
    browser = fresh_client(app)
    assert login(browser, person).status_code == 302
    thief = copy_of(app, browser)
    token = csrf_token(thief, f"/consultas/{consultation.id}/votar")
    browser.post("/cuenta/salir", data={"csrf_token": csrf_token(browser, "/cuenta/")})
    response = confirm_vote(thief, consultation, org, token, "s" * 32)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert location_path(response) == "/cuenta/ingresar"
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 0


def test_the_csrf_secret_changes_at_sign_in(app, make_user):
    user = make_user()
    browser = fresh_client(app)
    before = csrf_token(browser, "/cuenta/ingresar")
    assert login(browser, user).status_code == 302
    # A form posted with the token seen before signing in is refused.
    response = browser.post("/cuenta/idioma", data={"csrf_token": before, "locale": "en", "next": "/"})
    assert response.status_code == 400
    after = csrf_token(browser, "/cuenta/")
    assert after != before
    assert browser.post("/cuenta/idioma", data={"csrf_token": after, "locale": "en", "next": "/"}).status_code == 302


def test_a_staff_session_ends_after_a_while_without_use(app, make_user, sign_in):
    curator = make_user(roles=["curator"])
    browser = sign_in(curator)
    assert browser.get("/catastro/organizaciones").status_code == 200
    idle = app.config["STAFF_IDLE_MINUTES"] * 60
    with browser.session_transaction() as stored:
        stored["seen_at"] -= idle + 1
    response = browser.get("/catastro/organizaciones")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert not signed_in(browser)


def test_a_staff_session_ends_hours_after_sign_in_even_if_used_all_along(app, make_user, sign_in):
    curator = make_user(roles=["curator"])
    browser = sign_in(curator)
    with browser.session_transaction() as stored:
        stored["signed_in_at"] -= app.config["STAFF_SESSION_HOURS"] * 3600 + 1
    assert browser.get("/catastro/organizaciones").status_code == 302
    assert not signed_in(browser)


def test_a_representatives_session_has_no_idle_limit(app, make_user, sign_in):
    person = make_user(roles=["representative"])
    browser = sign_in(person)
    with browser.session_transaction() as stored:
        stored["seen_at"] = stored.get("seen_at", int(time.time())) - 24 * 3600
    assert signed_in(browser)


# --- enumeration --------------------------------------------------------------------------------


def test_sign_up_does_the_same_work_for_a_registered_and_a_new_address(app, client, make_user, monkeypatch):
    hashed: list[str] = []
    real = account_ops.hash_password
    monkeypatch.setattr(account_ops, "hash_password", lambda password: hashed.append(password) or real(password))
    existing = make_user()
    hashed.clear()
    for email in (existing.email, unique_email("nueva")):
        token = csrf_token(client, "/cuenta/registro")
        response = client.post(
            "/cuenta/registro",
            data={
                "name": "Beatriz Lagos",
                "email": email,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "accept": "y",
                "csrf_token": token,
            },
        )
        assert response.status_code == 200
    assert len(hashed) == 2, "the password is hashed whether or not the address has an account"


def test_a_password_reset_request_does_the_same_work_whoever_asks(app, client, make_user, monkeypatch):
    from participa.core import outbox

    published: list[tuple[str, list]] = []
    monkeypatch.setattr(outbox, "_publish", lambda task, args: published.append((task, args)) or True)
    user = make_user()
    pages = []
    for email in (user.email, unique_email("nadie")):
        token = csrf_token(client, "/cuenta/clave/olvido")
        pages.append(client.post("/cuenta/clave/olvido", data={"email": email, "csrf_token": token}))
    assert [p.status_code for p in pages] == [200, 200]
    assert [task for task, _args in published] == ["accounts.password_reset_mail"] * 2, "both only queue one task"
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(AccountToken)).scalar_one() == 0


def test_the_reset_task_mails_a_link_only_to_an_existing_account(app, session, make_user, monkeypatch):
    from participa.accounts import tasks

    sent: list[str] = []
    monkeypatch.setattr(tasks, "send_email", lambda to, subject, body, **kw: sent.append(to))
    user = make_user()
    tasks.password_reset_mail(user.email, "es_CL")
    tasks.password_reset_mail(unique_email("nadie"), "es_CL")
    assert sent == [user.email]


def test_a_guessable_password_is_refused_at_sign_up_with_a_message(client):
    for weak in ("1234567890", "password123"):
        token = csrf_token(client, "/cuenta/registro")
        response = client.post(
            "/cuenta/registro",
            data={
                "name": "Beatriz Lagos",
                "email": unique_email("debil"),
                "password": weak,
                "password_confirm": weak,
                "accept": "y",
                "csrf_token": token,
            },
        )
        assert response.status_code == 400
        assert "fácil de adivinar" in text(response)
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


# --- the client's address ---------------------------------------------------------------------


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(app, make_user, monkeypatch):
    from participa.core.proxy import TrustedProxies

    seen: list[str] = []
    monkeypatch.setattr(account_ops, "record_login", lambda s, u, ip, second_factor: seen.append(ip))
    inner = app.wsgi_app
    while isinstance(inner, TrustedProxies):
        inner = inner.app
    monkeypatch.setattr(app, "wsgi_app", TrustedProxies(inner, ["10.0.0.5"]))
    user = make_user()
    direct = fresh_client(app)
    direct.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    token = csrf_token(direct, "/cuenta/ingresar")
    direct.post(
        "/cuenta/ingresar",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    proxied = fresh_client(app)
    proxied.environ_base["REMOTE_ADDR"] = "10.0.0.5"
    token = csrf_token(proxied, "/cuenta/ingresar")
    proxied.post(
        "/cuenta/ingresar",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert seen == ["203.0.113.9", "198.51.100.2"]


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/consultas/99999999999",
        "/consultas/2147483648/resultado",
        "/proyectos/99999999999999999999",
        "/catastro/importaciones/99999999999",
        "/consultas/99999999999/padron.csv",
        "/admin/usuarios/99999999999",
    ],
)
def test_a_number_no_row_can_have_is_not_found(client, path):
    assert client.get(path).status_code in (404, 302)  # 302: staff pages ask to sign in first


@pytest.mark.parametrize("page", ["99999999999999", "-5", "abc", "1e9"])
def test_any_page_number_gives_a_page(client, page):
    response = client.get("/organizaciones", query_string={"pagina": page})
    assert response.status_code == 200


def test_control_characters_in_next_never_reach_a_location_header(app, make_user):
    user = make_user()
    browser = fresh_client(app)
    token = csrf_token(browser, "/cuenta/ingresar")
    response = browser.post(
        "/cuenta/ingresar",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/cuenta/\r\nSet-Cookie: x=1"},
    )
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/"
    assert "Set-Cookie: x=1" not in str(response.headers)


# --- text at rest and CSV -------------------------------------------------------------------------


def test_proposal_text_is_stored_sanitised_and_shown_once_escaped():
    from participa.proposals.rules import clean_text

    stored = clean_text('Hola <script>alert(1)</script> &lt;script&gt; <b>negrita</b> 5 > 3 & "x"')
    assert "<" not in stored and ">" not in stored
    assert "alert(1)" not in stored and "negrita" in stored
    assert clean_text(stored) == stored, "cleaning sanitised text changes nothing"


def test_every_csv_of_the_registry_is_safe_from_formula_injection(client, session):
    create_organisation(session, legal_name='=HYPERLINK("http://malo.example","clic")', address="=1+1")
    data = client.get("/datos/organizaciones.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(data[1:], newline=""), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://malo.example","clic")' in cells and "'=1+1" in cells
    assert not any(re.match(r"^[=+\-@]", cell) for cell in cells if not re.fullmatch(r"-?\d+", cell))


# --- sign-in storms -------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_at_owasps_minimum():
    digest = security.hash_password("una clave larga de prueba")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_older_hash_is_rehashed_at_the_next_sign_in(app, make_user, session):
    from argon2 import PasswordHasher

    user = make_user()
    user.password_hash = PasswordHasher().hash(PASSWORD)  # argon2-cffi's default: 64 MiB, 3 passes, 4 lanes
    session.commit()
    assert login(fresh_client(app), user).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_sign_ins_beyond_the_password_slots_are_told_to_retry(app, make_user, monkeypatch):
    import threading

    user = make_user()
    monkeypatch.setattr(security, "_password_slots", threading.BoundedSemaphore(1))
    monkeypatch.setattr(security, "PASSWORD_SLOT_WAIT", 0.05)
    browser = fresh_client(app)
    token = csrf_token(browser, "/cuenta/ingresar")
    security._password_slots.acquire()  # another sign-in holds the only slot
    try:
        response = browser.post(
            "/cuenta/ingresar", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
    finally:
        security._password_slots.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(security.RETRY_AFTER_SECONDS)
    assert "muchas personas están ingresando" in text(response)
    assert login(browser, user).status_code == 302


def test_sign_ins_beyond_the_hosts_password_slots_are_told_to_retry(app, make_user, monkeypatch):
    """Another process of the same instance holds the host's only slot (its lock file): this
    process, with slots of its own free, still answers 503 rather than add a check to a full host."""
    import fcntl
    import os

    user = make_user()
    locks = os.path.join(app.instance_path, "locks")
    monkeypatch.setattr(security, "_host_slots", (locks, 1))
    monkeypatch.setattr(security, "PASSWORD_SLOT_WAIT", 0.05)
    browser = fresh_client(app)
    token = csrf_token(browser, "/cuenta/ingresar")
    held = os.open(os.path.join(locks, "password-0.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        response = browser.post(
            "/cuenta/ingresar", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
    finally:
        os.close(held)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(security.RETRY_AFTER_SECONDS)
    assert login(browser, user).status_code == 302  # the slot is free again
