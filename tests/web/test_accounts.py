"""Accounts through the real pages: login and lockout, sign-up and confirmation, password reset,
the second factor for staff, the language switch and the login redirect target."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from babel.support import Translations

from participa.accounts.models import AccountToken, LoginAttempt, User
from participa.accounts.rules import Role
from participa.core import db
from participa.core.db import utcnow
from tests.fixtures.accounts import PASSWORD, csrf_token, current_code, login
from tests.web.support import (
    assert_no_mail,
    fresh_client,
    link_path,
    location_path,
    text,
    unique_email,
    wait_for_mail,
    without_tokens,
)

WRONG_CREDENTIALS = "El correo o la contraseña no son correctos."
LOCKED = "Demasiados intentos fallidos"
NEW_PASSWORD = "otra clave larga y distinta"


@pytest.fixture()
def client(app, session):
    return fresh_client(app)


@pytest.fixture(autouse=True)
def account_tasks_in_process(app, monkeypatch):
    """The reset request only queues a task, which looks the address up. On the PostgreSQL leg
    it runs here, in the test's transaction (which no worker process can see); the worker still
    delivers the message it queues."""
    monkeypatch.setitem(app.config, "TASKS_EAGER", True)


def post_login(client, email, password, **extra):
    token = csrf_token(client, "/cuenta/ingresar")
    return client.post("/cuenta/ingresar", data={"email": email, "password": password, "csrf_token": token, **extra})


def is_signed_in(client) -> bool:
    response = client.get("/cuenta/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    return False


def same_page(response_a, email_a, response_b, email_b) -> bool:
    """Two pages are the same but for the e-mail they echo and their CSRF tokens."""
    return without_tokens(text(response_a)).replace(email_a, "X") == without_tokens(text(response_b)).replace(
        email_b, "X"
    )


def login_attempts(email: str) -> list[LoginAttempt]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(LoginAttempt).where(LoginAttempt.email == email)).scalars())


def fresh_user(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def users_with_email(email: str) -> list[User]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(User).where(User.email == email)).scalars())


# --- login ----------------------------------------------------------------------------------


def test_login_with_right_password_redirects_to_profile_showing_the_name(client, make_user):
    user = make_user(name="Ana Pérez Soto")
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/"
    profile = client.get("/cuenta/")
    assert profile.status_code == 200
    assert "Ana Pérez Soto" in text(profile)
    assert user.email in text(profile)
    assert [a.success for a in login_attempts(user.email)] == [True]


def test_login_with_wrong_password_is_refused_with_401_and_nobody_is_signed_in(client, make_user):
    user = make_user()
    response = post_login(client, user.email, "no es la clave correcta")
    assert response.status_code == 401
    assert WRONG_CREDENTIALS in text(response)
    assert not is_signed_in(client)
    assert [a.success for a in login_attempts(user.email)] == [False]


def test_login_with_unknown_email_gives_the_same_401_and_message_as_a_wrong_password(client, make_user):
    user = make_user()
    known = post_login(client, user.email, "no es la clave correcta")
    unknown_email = unique_email("nadie")
    unknown = post_login(fresh_client(client.application), unknown_email, "no es la clave correcta")
    assert unknown.status_code == known.status_code == 401
    assert WRONG_CREDENTIALS in text(unknown)
    # The page differs only by the e-mail echoed back in the form.
    assert same_page(unknown, unknown_email, known, user.email)
    assert [a.success for a in login_attempts(unknown_email)] == [False]


def from_address(app, address: str):
    """A browser whose requests come from ``address``."""
    browser = fresh_client(app)
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_after_the_free_failures_each_attempt_waits_longer_even_with_the_right_password(app, client, make_user):
    user = make_user()
    free = app.config["LOGIN_FREE_FAILURES"]
    assert free == 3
    statuses = [post_login(client, user.email, f"clave equivocada {i}").status_code for i in range(free)]
    assert statuses[: free - 1] == [401] * (free - 1)
    assert statuses[-1] == 429  # the failure that starts the wait says so

    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert LOCKED in text(response)
    assert re.search(r"espere \d+ segundos", text(response))
    assert not is_signed_in(client)
    assert not any(a.success for a in login_attempts(user.email))


def test_the_wait_doubles_with_each_failure_up_to_the_cap(app, client, make_user, session):
    from participa.accounts import operations as ops
    from participa.accounts.models import LoginAttempt
    from participa.core.db import utcnow

    user = make_user()
    now = utcnow()
    for minutes in range(10, 0, -1):  # ten failures, one a minute, the last a minute ago
        session.add(LoginAttempt(email=user.email, ip="127.0.0.1", at=now - timedelta(minutes=minutes), success=False))
    session.commit()
    policy = ops.LoginPolicy(3, timedelta(seconds=2), timedelta(minutes=15), 1000, timedelta(minutes=15))
    result = ops.authenticate(session, email=user.email, password=PASSWORD, ip="127.0.0.1", now=now, policy=policy)
    assert result.status == "locked"
    assert result.locked_until == now - timedelta(minutes=1) + timedelta(seconds=2 * 2**7)
    elsewhere = ops.authenticate(session, email=user.email, password=PASSWORD, ip="10.9.9.9", now=now, policy=policy)
    assert elsewhere.status == "ok"


def test_a_strangers_failures_never_lock_the_owner_out_from_another_client(app, make_user):
    user = make_user()
    attacker = from_address(app, "203.0.113.7")
    for i in range(12):
        assert post_login(attacker, user.email, f"clave equivocada {i}").status_code in (401, 429)
    assert post_login(attacker, user.email, PASSWORD).status_code == 429
    owner = from_address(app, "198.51.100.20")
    assert post_login(owner, user.email, PASSWORD).status_code == 302
    assert is_signed_in(owner)


def test_waits_also_apply_to_unknown_emails_with_the_same_page(app, client, make_user):
    user = make_user()
    unknown_email = unique_email("nadie")
    other = fresh_client(app)
    for i in range(app.config["LOGIN_FREE_FAILURES"] + 1):
        post_login(client, user.email, f"clave equivocada {i}")
        post_login(other, unknown_email, f"clave equivocada {i}")
    known = post_login(client, user.email, PASSWORD)
    unknown = post_login(other, unknown_email, PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert LOCKED in text(unknown)
    assert same_page(unknown, unknown_email, known, user.email)


def test_waits_count_failures_whatever_the_case_or_spacing_of_the_email(app, client, make_user):
    user = make_user()
    variants = [user.email.upper(), f"  {user.email}  ", user.email.capitalize()]
    for i in range(app.config["LOGIN_FREE_FAILURES"] + 1):
        post_login(client, variants[i % len(variants)], f"clave equivocada {i}")
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)


def test_failures_from_one_address_over_many_emails_are_throttled(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 3)
    user = make_user()
    for i in range(3):
        assert post_login(client, unique_email("barrido"), f"clave equivocada {i}").status_code == 401
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert LOCKED in text(response)
    assert not is_signed_in(client)
    assert post_login(from_address(app, "198.51.100.21"), user.email, PASSWORD).status_code == 302


def test_successful_login_clears_earlier_failures(app, client, make_user):
    user = make_user()
    for i in range(app.config["LOGIN_FREE_FAILURES"] - 1):
        post_login(client, user.email, f"clave equivocada {i}")
    assert post_login(client, user.email, PASSWORD).status_code == 302
    client.post("/cuenta/salir", data={"csrf_token": csrf_token(client, "/cuenta/")})
    assert post_login(client, user.email, "otra clave equivocada").status_code == 401
    assert post_login(client, user.email, PASSWORD).status_code == 302


def test_password_reset_lifts_the_wait_as_the_page_suggests(app, client, make_user):
    user = make_user()
    for i in range(app.config["LOGIN_FREE_FAILURES"] + 1):
        post_login(client, user.email, f"clave equivocada {i}")
    locked = post_login(client, user.email, PASSWORD)
    assert locked.status_code == 429
    assert "o recupere su contraseña" in text(locked)

    assert set_new_password(client, reset_link(client, user)).status_code == 302
    response = post_login(client, user.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_unconfirmed_account_is_refused_with_403_and_an_explanation(client, make_user):
    user = make_user(confirmed=False)
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert "Aún no confirma su correo" in text(response)
    assert not is_signed_in(client)


def test_deactivated_account_is_refused_with_403(client, make_user, session):
    user = make_user()
    user.active = False
    session.commit()
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert "Esta cuenta está desactivada" in text(response)
    assert not is_signed_in(client)


def test_logout_ends_the_session(client, make_user):
    user = make_user()
    login(client, user)
    assert is_signed_in(client)
    token = csrf_token(client, "/cuenta/")
    response = client.post("/cuenta/salir", data={"csrf_token": token})
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert "Cerró su sesión." in text(client.get("/"))
    assert not is_signed_in(client)


# --- sign-up and confirmation ---------------------------------------------------------------


def signup(client, *, email, name="Beatriz Lagos", password=PASSWORD, confirm=None):
    token = csrf_token(client, "/cuenta/registro")
    return client.post(
        "/cuenta/registro",
        data={
            "name": name,
            "email": email,
            "password": password,
            "password_confirm": password if confirm is None else confirm,
            "csrf_token": token,
        },
    )


def test_signup_creates_an_unconfirmed_account_and_sends_a_confirmation_mail(client):
    email = unique_email("nueva")
    response = signup(client, email=email)
    assert response.status_code == 200
    assert "Revise su correo" in text(response)
    assert email in text(response)

    [user] = users_with_email(email)
    assert user.name == "Beatriz Lagos"
    assert user.email_confirmed_at is None
    assert user.roles == []

    [mail] = wait_for_mail(email)
    assert mail.subject == "Confirme su correo en Participa"
    assert "Hola, Beatriz Lagos:" in mail.body
    assert link_path(mail.body).startswith("/cuenta/confirmar/")


def test_following_the_confirmation_link_get_then_post_confirms_the_email(client):
    email = unique_email("nueva")
    signup(client, email=email)
    path = link_path(wait_for_mail(email)[0].body)

    page = client.get(path)  # a mail scanner's GET must not spend the token
    assert page.status_code == 200
    assert "Confirmar mi correo" in text(page)
    assert users_with_email(email)[0].email_confirmed_at is None

    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert "Su correo quedó confirmado. Ya puede ingresar." in text(client.get("/cuenta/ingresar"))
    assert users_with_email(email)[0].email_confirmed_at is not None

    assert post_login(client, email, PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_confirmation_link_works_only_once(client):
    email = unique_email("nueva")
    signup(client, email=email)
    path = link_path(wait_for_mail(email)[0].body)
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302
    again = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert again.status_code == 400
    assert "ya fue usado" in text(again)


def test_signing_up_again_with_the_same_email_creates_nothing_and_sends_the_already_registered_mail(client, make_user):
    existing = make_user(name="Carla Muñoz")
    response = signup(client, email=existing.email.upper(), name="Otra Persona", password="una clave diferente")
    # The page is the same as for a new account: the sign-up form reveals nobody.
    assert response.status_code == 200
    assert "Revise su correo" in text(response)

    [user] = users_with_email(existing.email)
    assert user.id == existing.id
    assert user.name == "Carla Muñoz"
    assert post_login(client, existing.email, PASSWORD).status_code == 302  # password unchanged

    [mail] = wait_for_mail(existing.email)
    assert mail.subject == "Intento de registro en Participa"
    assert "ya tiene una" in mail.body
    assert link_path(mail.body) == "/cuenta/clave/olvido"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("corta", "La contraseña debe tener al menos 10 caracteres."),
        ("abababababab", "La contraseña repite muy pocos caracteres distintos."),
        ("mi clave es beatriz lagos", "La contraseña no puede contener su nombre ni su correo."),
    ],
    ids=["too_short", "too_simple", "personal"],
)
def test_signup_with_a_weak_password_is_refused_naming_the_password_field(client, password, message):
    email = unique_email("debil")
    response = signup(client, email=email, password=password)
    assert response.status_code == 400
    page = text(response)
    assert f"Contraseña: {message}" in page  # the error summary names the field
    assert 'aria-invalid="true"' in page
    assert users_with_email(email) == []
    assert_no_mail(email)


def test_signup_with_mismatched_passwords_is_refused(client):
    email = unique_email("distinta")
    response = signup(client, email=email, confirm="otra cosa completamente")
    assert response.status_code == 400
    assert "Las contraseñas no coinciden." in text(response)
    assert users_with_email(email) == []


# --- password reset -------------------------------------------------------------------------


def request_reset(client, email):
    token = csrf_token(client, "/cuenta/clave/olvido")
    return client.post("/cuenta/clave/olvido", data={"email": email, "csrf_token": token})


def set_new_password(client, path, password=NEW_PASSWORD):
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "password_confirm": password, "csrf_token": token})


def reset_link(client, user) -> str:
    assert request_reset(client, user.email).status_code == 200
    [mail] = wait_for_mail(user.email)
    assert mail.subject == "Cambie su contraseña de Participa"
    path = link_path(mail.body)
    assert path.startswith("/cuenta/clave/nueva/")
    return path


def test_password_reset_link_sets_a_new_password_and_the_old_one_stops_working(client, make_user):
    user = make_user()
    path = reset_link(client, user)
    assert client.get(path).status_code == 200

    response = set_new_password(client, path)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
    assert "Su contraseña cambió. Ingrese con la nueva." in text(client.get("/cuenta/ingresar"))

    old = post_login(client, user.email, PASSWORD)
    assert old.status_code == 401
    assert post_login(client, user.email, NEW_PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_password_reset_ends_other_sessions_of_the_person(app, client, make_user):
    user = make_user()
    elsewhere = fresh_client(app)
    login(elsewhere, user)
    assert is_signed_in(elsewhere)
    assert set_new_password(client, reset_link(client, user)).status_code == 302
    assert not is_signed_in(elsewhere)


def test_password_reset_link_cannot_be_used_twice(client, make_user):
    user = make_user()
    path = reset_link(client, user)
    assert set_new_password(client, path).status_code == 302
    again = set_new_password(client, path, password="una tercera clave larga")
    assert again.status_code == 400
    assert "El enlace ya fue usado." in text(again)
    assert post_login(client, user.email, NEW_PASSWORD).status_code == 302


def test_expired_password_reset_link_is_refused(client, make_user, session):
    user = make_user()
    path = reset_link(client, user)
    session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == "reset")
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    response = set_new_password(client, path)
    assert response.status_code == 400
    assert "El enlace venció." in text(response)
    assert post_login(client, user.email, NEW_PASSWORD).status_code == 401
    assert post_login(fresh_client(client.application), user.email, PASSWORD).status_code == 302


def test_password_reset_with_unknown_token_is_refused(client):
    response = set_new_password(client, "/cuenta/clave/nueva/no-existe")
    assert response.status_code == 400
    assert "El enlace no es válido." in text(response)


def test_password_reset_with_weak_password_keeps_the_link_usable(client, make_user):
    user = make_user()
    path = reset_link(client, user)
    weak = set_new_password(client, path, password="corta")
    assert weak.status_code == 400
    assert "Nueva contraseña: La contraseña debe tener al menos 10 caracteres." in text(weak)
    assert set_new_password(client, path).status_code == 302


def test_password_reset_link_ignores_the_host_header_of_the_request(app, client, make_user):
    """A forged Host header must not put the attacker's domain in the reset link."""
    user = make_user()
    evil = "http://evil.example"
    page = text(client.get("/cuenta/clave/olvido", base_url=evil))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/cuenta/clave/olvido", base_url=evil, data={"email": user.email, "csrf_token": token})
    assert response.status_code == 200
    [mail] = wait_for_mail(user.email)
    assert "evil.example" not in mail.body
    assert link_path(mail.body).startswith("/cuenta/clave/nueva/")


def test_password_reset_for_unknown_email_shows_the_same_page_and_sends_nothing(client, make_user):
    user = make_user()
    known = request_reset(client, user.email)
    unknown_email = unique_email("nadie")
    unknown = request_reset(client, unknown_email)
    assert unknown.status_code == known.status_code == 200
    assert "Revise su correo" in text(unknown)
    assert same_page(unknown, unknown_email, known, user.email)
    assert_no_mail(unknown_email)
    wait_for_mail(user.email)


# --- second factor --------------------------------------------------------------------------


def codes_near_now(secret: str) -> set[str]:
    totp = pyotp.TOTP(secret)
    step = int(utcnow().timestamp()) // totp.interval
    return {totp.generate_otp(s) for s in range(step - 2, step + 3)}


def wrong_code(secret: str) -> str:
    valid = codes_near_now(secret)
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in valid)


def post_code(client, path, code):
    token = csrf_token(client, path)
    return client.post(path, data={"code": code, "csrf_token": token})


def test_staff_password_alone_does_not_sign_in_until_the_totp_code(client, make_user):
    curator = make_user(name="Curadora Uno", roles=[Role.CURATOR])
    response = post_login(client, curator.email, PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/segundo-factor"
    assert not is_signed_in(client)

    page = client.get("/cuenta/segundo-factor")
    assert page.status_code == 200
    assert "escriba el código que muestra su aplicación" in text(page)

    done = post_code(client, "/cuenta/segundo-factor", current_code(curator))
    assert done.status_code == 302
    assert location_path(done) == "/cuenta/"
    profile = client.get("/cuenta/")
    assert profile.status_code == 200
    assert "Curadora Uno" in text(profile)
    assert "Verificar ahora" not in text(profile)


def test_staff_wrong_totp_code_is_refused_with_400(client, make_user):
    curator = make_user(roles=[Role.CURATOR])
    post_login(client, curator.email, PASSWORD)
    response = post_code(client, "/cuenta/segundo-factor", wrong_code(curator.totp_secret))
    assert response.status_code == 400
    assert "El código no es correcto o ya fue usado." in text(response)
    assert not is_signed_in(client)


def test_totp_code_cannot_be_replayed(client, make_user):
    curator = make_user(roles=[Role.CURATOR])
    code = current_code(curator)
    post_login(client, curator.email, PASSWORD)
    assert post_code(client, "/cuenta/segundo-factor", code).status_code == 302
    client.post("/cuenta/salir", data={"csrf_token": csrf_token(client, "/cuenta/")})
    assert not is_signed_in(client)

    post_login(client, curator.email, PASSWORD)
    replay = post_code(client, "/cuenta/segundo-factor", code)
    assert replay.status_code == 400
    assert "ya fue usado" in text(replay)
    assert not is_signed_in(client)

    # The next code (within the allowed clock drift) is accepted: only the replay was refused.
    totp = pyotp.TOTP(curator.totp_secret)
    next_code = totp.at(int(time.time()) + totp.interval)
    assert post_code(client, "/cuenta/segundo-factor", next_code).status_code == 302
    assert is_signed_in(client)


def test_staff_without_totp_is_sent_to_enrol_and_is_signed_in_after_a_valid_code(client, make_user):
    curator = make_user(name="Curador Nuevo", roles=[Role.CURATOR], totp=False)
    response = post_login(client, curator.email, PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/segundo-factor/activar"
    assert not is_signed_in(client)

    page = client.get("/cuenta/segundo-factor/activar")
    assert page.status_code == 200
    secret = fresh_user(curator.id).totp_secret
    assert secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in text(page)
    assert fresh_user(curator.id).totp_confirmed_at is None

    bad = post_code(client, "/cuenta/segundo-factor/activar", wrong_code(secret))
    assert bad.status_code == 400
    assert fresh_user(curator.id).totp_confirmed_at is None
    assert not is_signed_in(client)

    done = post_code(client, "/cuenta/segundo-factor/activar", pyotp.TOTP(secret).now())
    assert done.status_code == 302
    assert location_path(done) == "/cuenta/"
    profile = client.get("/cuenta/")
    assert profile.status_code == 200
    assert "Segundo factor activado." in text(profile)
    assert "Curador Nuevo" in text(profile)
    assert fresh_user(curator.id).totp_confirmed_at is not None


def test_second_factor_is_locked_after_max_failures(app, client, make_user):
    curator = make_user(roles=[Role.CURATOR])
    post_login(client, curator.email, PASSWORD)
    valid = codes_near_now(curator.totp_secret)
    guesses = [c for c in (f"{n:06d}" for n in range(100)) if c not in valid]
    for code in guesses[: app.config["TOTP_MAX_FAILURES"] * 4]:
        assert post_code(client, "/cuenta/segundo-factor", code).status_code in (400, 429)
    response = post_code(client, "/cuenta/segundo-factor", current_code(curator))
    assert response.status_code in (400, 429)
    assert not is_signed_in(client)


def test_totp_enrolment_page_showing_the_secret_is_not_cached(client, make_user):
    curator = make_user(roles=[Role.CURATOR], totp=False)
    post_login(client, curator.email, PASSWORD)
    page = client.get("/cuenta/segundo-factor/activar")
    assert page.status_code == 200
    assert page.headers.get("Cache-Control") == "no-store"


def test_staff_sent_to_login_from_a_staff_page_returns_to_it_after_the_second_factor(app, client, make_user):
    admin = make_user(roles=[Role.ADMIN])
    first = client.get("/admin/usuarios")
    assert first.status_code == 302
    login_url = first.headers["Location"]
    assert location_path(first) == "/cuenta/ingresar"
    page = text(client.get(login_url))
    login_form = re.search(r'<form method="post" action="/cuenta/ingresar".*?</form>', page, re.S)
    assert login_form
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', login_form.group(0)).group(1)
    assert next_value.startswith("/admin/usuarios")
    post_login(client, admin.email, PASSWORD, next=next_value)
    response = post_code(client, "/cuenta/segundo-factor", current_code(admin))
    assert response.status_code == 302
    assert location_path(response) == "/admin/usuarios"
    assert client.get("/admin/usuarios").status_code == 200


def test_representative_signs_in_without_totp(client, make_user):
    rep = make_user(name="Rosa Representante", roles=[Role.REPRESENTATIVE])
    assert rep.totp_secret is None
    response = post_login(client, rep.email, PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/"
    profile = client.get("/cuenta/")
    assert profile.status_code == 200
    assert "Rosa Representante" in text(profile)


def test_second_factor_page_without_a_pending_login_sends_to_login(client):
    response = client.get("/cuenta/segundo-factor")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"


def test_login_page_has_unique_element_ids(client):
    page = text(client.get("/cuenta/ingresar"))
    ids = re.findall(r'\sid="([^"]+)"', page)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []


# --- language -------------------------------------------------------------------------------


def english(message: str) -> str | None:
    """The English translation of ``message`` if the compiled catalogue has one."""
    import participa

    translations = Translations.load(str(Path(participa.__file__).parent / "translations"), ["en"])
    translated = translations.gettext(message)
    return translated if translated != message else None


def switch_locale(client, locale, next_path="/"):
    token = csrf_token(client, "/")
    return client.post("/cuenta/idioma", data={"locale": locale, "next": next_path, "csrf_token": token})


def test_locale_switch_to_english_makes_the_next_pages_english(client):
    assert 'lang="es-CL"' in text(client.get("/"))
    response = switch_locale(client, "en")
    assert response.status_code == 302
    assert location_path(response) == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="en">' in text(home)
    translated = english("Inicio")
    if translated:  # the English catalogue may not be translated yet
        assert translated in text(home)
    back = switch_locale(client, "es_CL")
    assert back.status_code == 302
    assert 'lang="es-CL"' in text(client.get("/"))


def test_locale_switch_is_saved_on_the_account_of_a_signed_in_person(client, make_user):
    user = make_user()
    login(client, user)
    assert switch_locale(client, "en").status_code == 302
    assert fresh_user(user.id).locale == "en"


def test_locale_switch_never_redirects_off_site(client):
    response = switch_locale(client, "en", next_path="https://evil.example/")
    assert response.status_code == 302
    assert location_path(response) == "/"


def test_invalid_locale_is_refused_with_400(client):
    response = switch_locale(client, "fr")
    assert response.status_code == 400
    assert 'lang="es-CL"' in text(client.get("/"))


# --- where login leads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "http:/evil.example"],
)
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    page = client.get("/cuenta/ingresar", query_string={"next": target})
    assert page.status_code == 200
    response = post_login(client, user.email, PASSWORD, next=target)
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    assert location_path(response) == "/cuenta/"


def test_staff_login_never_redirects_off_site_after_the_second_factor(client, make_user):
    admin = make_user(roles=[Role.ADMIN])
    post_login(client, admin.email, PASSWORD, next="https://evil.example/")
    response = post_code(client, "/cuenta/segundo-factor", current_code(admin))
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/"


def test_login_follows_a_same_site_next(client, make_user):
    user = make_user()
    response = post_login(client, user.email, PASSWORD, next="/auditoria/")
    assert response.status_code == 302
    assert location_path(response) == "/auditoria/"
