"""Web security: CSRF refusals, every staff page under every role, security headers and cookies,
the local outbox and the health check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.routing import IntegerConverter, UUIDConverter

from participa.accounts.models import LoginAttempt, User
from participa.accounts.rules import Role
from participa.core import db
from participa.territory.models import Comuna
from tests.fixtures.accounts import PASSWORD, csrf_token, login
from tests.web.support import LEG, fresh_client, location_path, text, unique_email

CSRF_MESSAGE = "El formulario expiró"


@pytest.fixture()
def client(app, session):
    return fresh_client(app)


def is_signed_in(client) -> bool:
    return client.get("/cuenta/").status_code == 200


# --- CSRF -----------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused_with_400_and_signs_nobody_in(client, make_user):
    user = make_user()
    client.get("/cuenta/ingresar")  # the session holds a token; the form does not send it
    response = client.post("/cuenta/ingresar", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)
    assert not is_signed_in(client)
    db.session.expire_all()
    assert db.session.execute(sa.select(LoginAttempt).where(LoginAttempt.email == user.email)).first() is None


def test_signup_post_without_csrf_token_is_refused_with_400_and_creates_no_account(client):
    email = unique_email("csrf")
    client.get("/cuenta/registro")
    response = client.post(
        "/cuenta/registro",
        data={"name": "Sin Token", "email": email, "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)
    db.session.expire_all()
    assert db.session.execute(sa.select(User).where(User.email == email)).first() is None


def test_logout_post_without_csrf_token_is_refused_with_400_and_keeps_the_session(client, make_user):
    login(client, make_user())
    assert is_signed_in(client)
    response = client.post("/cuenta/salir")
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)
    assert is_signed_in(client)


def test_locale_post_without_csrf_token_is_refused_with_400_and_keeps_the_language(client, make_user):
    user = make_user()
    login(client, user)
    response = client.post("/cuenta/idioma", data={"locale": "en", "next": "/"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)
    assert 'lang="es-CL"' in text(client.get("/"))
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None


def test_post_with_a_token_from_another_session_is_refused(app, client, make_user):
    user = make_user()
    foreign_token = csrf_token(fresh_client(app), "/cuenta/ingresar")
    client.get("/cuenta/ingresar")
    response = client.post(
        "/cuenta/ingresar", data={"email": user.email, "password": PASSWORD, "csrf_token": foreign_token}
    )
    assert response.status_code == 400
    assert not is_signed_in(client)


# --- staff pages under every role -----------------------------------------------------------


@dataclass(frozen=True)
class StaffPage:
    endpoint: str
    path: str
    method: str
    required_roles: frozenset[str]
    # The path names only objects that exist (so the allowed role can expect 200).
    resolvable: bool


def staff_pages(app: Flask, user_id: int) -> list[StaffPage]:
    """Every URL rule whose view is guarded by ``role_required``, discovered from the app."""
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions.get(rule.endpoint)
            roles = getattr(view, "required_roles", None)
            if roles is None:
                continue
            values: dict[str, object] = {}
            resolvable = True
            for name in rule.arguments:
                converter = rule._converters[name]
                if name == "user_id":
                    values[name] = user_id
                elif isinstance(converter, UUIDConverter):
                    values[name], resolvable = uuid.UUID(int=1), False
                elif isinstance(converter, IntegerConverter):
                    values[name], resolvable = 1, False
                else:
                    values[name], resolvable = "1", False
            methods = rule.methods or set()
            method = "GET" if "GET" in methods else sorted(methods - {"HEAD", "OPTIONS"})[0]
            pages.append(
                StaffPage(rule.endpoint, url_for(rule.endpoint, **values), method, frozenset(roles), resolvable)
            )
    return pages


def request_page(client, page: StaffPage, token: str | None):
    if page.method == "GET":
        return client.get(page.path)
    return client.open(page.path, method=page.method, data={"csrf_token": token}, headers={"X-CSRFToken": token or ""})


@pytest.fixture()
def target(make_user) -> User:
    """An existing person for pages about one user."""
    return make_user(name="Persona Objetivo")


def person_with_only(role: str, make_user, session) -> User:
    comuna = None
    if role == Role.MUNICIPAL_STAFF:
        comuna = session.execute(sa.select(Comuna.cut).order_by(Comuna.cut).limit(1)).scalar_one()
    return make_user(name=f"Persona {role}", roles=[role], comuna_cut=comuna)


def test_staff_pages_are_discovered_including_admin_and_audit(app, target):
    endpoints = {p.endpoint for p in staff_pages(app, target.id)}
    assert {
        "admin.list_users",
        "admin.show_user",
        "admin.assign_role",
        "admin.revoke_role",
        "audit.list_events",
    } <= endpoints
    assert "audit.public_head" not in endpoints


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_staff_page_refuses_a_person_without_its_role_with_403(app, client, make_user, session, target, role):
    person = person_with_only(role, make_user, session)
    login(client, person)
    assert is_signed_in(client)
    token = csrf_token(client, "/cuenta/")
    checked, wrong = [], []
    for page in staff_pages(app, target.id):
        if role in page.required_roles:
            continue
        response = request_page(client, page, token)
        checked.append(page.endpoint)
        if response.status_code != 403:
            wrong.append(f"{page.method} {page.path} ({page.endpoint}): {response.status_code}")
        elif "Sin permiso" not in text(response):
            wrong.append(f"{page.method} {page.path} ({page.endpoint}): 403 without the explanation")
    assert wrong == [], f"as {role}"
    if role != Role.ADMIN:
        assert "admin.list_users" in checked
    db.session.expire_all()
    assert {r.role for r in db.session.get(User, target.id).roles} == set()  # nothing granted on the way


def test_every_staff_get_page_opens_for_each_role_it_names(app, make_user, session, target):
    """Each role named by a staff page signs in once and opens every GET page naming it."""
    pages = [p for p in staff_pages(app, target.id) if p.method == "GET" and p.resolvable]
    roles = sorted({role for p in pages for role in p.required_roles})
    assert Role.ADMIN in roles
    opened, wrong = set(), []
    for role in roles:
        browser = fresh_client(app)
        login(browser, person_with_only(role, make_user, session))
        for page in pages:
            if role in page.required_roles:
                status = browser.get(page.path).status_code
                if status == 200:
                    opened.add((role, page.endpoint))
                else:
                    wrong.append(f"{role}: GET {page.path} ({page.endpoint}): {status}")
    assert wrong == []
    assert {
        ("admin", "admin.list_users"),
        ("admin", "admin.show_user"),
        ("admin", "audit.list_events"),
        ("certifier", "audit.list_events"),
    } <= opened


def test_every_staff_page_sends_anonymous_visitors_to_login(app, client, target):
    token = csrf_token(client, "/cuenta/ingresar")
    wrong = []
    for page in staff_pages(app, target.id):
        response = request_page(client, page, token)
        if response.status_code != 302 or location_path(response) != "/cuenta/ingresar":
            wrong.append(f"{page.method} {page.path}: {response.status_code} {response.headers.get('Location')}")
    assert wrong == []


def test_staff_password_without_the_second_factor_does_not_open_staff_pages(client, make_user):
    admin = make_user(roles=[Role.ADMIN])
    response = login(client, admin, second_factor=False)
    assert location_path(response) == "/cuenta/segundo-factor"
    page = client.get("/admin/usuarios")
    assert page.status_code == 302
    assert location_path(page) == "/cuenta/ingresar"


# --- headers and cookies --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/cuenta/ingresar", "/no-existe"])
def test_security_headers_are_sent(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_home_page_has_no_inline_script(client):
    page = text(client.get("/"))
    assert "<script>" not in page
    assert " onclick=" not in page


def test_session_cookie_is_httponly_and_samesite_lax_after_login(client, make_user):
    response = login(client, make_user())
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("participa_session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"] == "SameSite=Lax"


def test_signed_in_pages_are_not_cached(client, make_user):
    login(client, make_user())
    assert client.get("/cuenta/").headers["Cache-Control"] == "no-store"


# --- local outbox and health ----------------------------------------------------------------


def test_outbox_page_is_available_in_the_embedded_default(client):
    response = client.get("/correo-local/")
    assert response.status_code == 200
    assert "Correo local" in text(response)


def test_outbox_page_does_not_exist_when_mail_goes_by_smtp(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    response = client.get("/correo-local/")
    assert response.status_code == 404
    assert "Página no encontrada" in text(response)


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["broker"] == ("ok" if LEG == "postgres" else "in-process")
    assert body["status"] == "ok"
