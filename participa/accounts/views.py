from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import segno
from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from participa.accounts import operations as ops
from participa.accounts import sessions
from participa.accounts.forms import (
    LocaleForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
    TotpForm,
)
from participa.accounts.labels import role_label
from participa.accounts.models import User
from participa.accounts.rules import PASSWORD_MIN_LENGTH, needs_second_factor
from participa.core import db, outbox
from participa.core.db import utcnow
from participa.core.i18n import select_locale
from participa.core.security import MFA_SESSION_KEY, acting_user, second_factor_passed
from participa.core.web import client_ip, external_url, safe_next
from participa.mail.operations import send_email

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Ingrese a su cuenta para ver esta página.")
login_manager.login_message_category = "info"
# The session is bound to the browser that signed in by participa.accounts.sessions, not by
# Flask-Login's own protection, whose check is not public API: the vote's hot path needs it
# without loading the person.
login_manager.session_protection = None

PENDING_KEY = "pending_login"
PENDING_SECONDS = 600
SINCE_KEY = "signed_in_at"  # when this session signed in (seconds since the epoch)
SEEN_KEY = "seen_at"  # the session's last request, kept to the minute
SEEN_RESOLUTION = 60

MESSAGES = {
    "password_too_short": _l("La contraseña debe tener al menos %(n)d caracteres.", n=PASSWORD_MIN_LENGTH),
    "password_too_long": _l("La contraseña es demasiado larga."),
    "password_too_simple": _l("La contraseña repite muy pocos caracteres distintos."),
    "password_personal": _l("La contraseña no puede contener su nombre ni su correo."),
    "password_guessable": _l(
        "Esa contraseña es fácil de adivinar: evite palabras comunes, fechas, secuencias como 12345 y "
        "teclas seguidas. Una frase de varias palabras es fácil de recordar y difícil de adivinar."
    ),
    "token_invalid": _l("El enlace no es válido. Pida uno nuevo."),
    "token_used": _l("El enlace ya fue usado. Pida uno nuevo si lo necesita."),
    "token_expired": _l("El enlace venció. Pida uno nuevo."),
    "totp_wrong_code": _l("El código no es correcto o ya fue usado. Espere el siguiente e inténtelo otra vez."),
    "totp_already_enrolled": _l("Su cuenta ya tiene un segundo factor activo."),
    "totp_not_enrolled": _l("Primero active el segundo factor."),
}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if g.get("plain_page"):  # an error page that must not read the database: nobody is loaded
        return None
    identity = sessions.identity(user_id)
    if identity is None:
        return None
    user = db.session.get(User, identity[0])
    if user is None or not user.active or user.session_version != identity[1]:
        return None
    return user


def _now():
    return utcnow()


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending["user_id"])
    if user is None or not user.active:
        session.pop(PENDING_KEY, None)
        return None
    return user


def _finish_login(user: User, *, second_factor: bool, next_url: str | None) -> str:
    # A new session: nothing from before the sign-in carries over but the language and the
    # messages to show (the CSRF secret included: a token seen before the sign-in is worthless
    # after it).
    kept = {key: session[key] for key in ("locale", "_flashes") if key in session}
    session.clear()
    session.update(kept)
    login_user(user)
    sessions.bind()
    session.permanent = True
    session[SINCE_KEY] = session[SEEN_KEY] = int(time.time())
    if second_factor:
        session[MFA_SESSION_KEY] = user.id
    ops.record_login(db.session(), user, ip=client_ip(), second_factor=second_factor)
    db.session.commit()
    return safe_next(next_url, url_for("accounts.profile"))


def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        result = ops.authenticate(
            db.session(),
            email=form.email.data,
            password=form.password.data,
            ip=client_ip(),
            now=_now(),
            policy=_login_policy(),
        )
        db.session.commit()
        if result.status == "ok":
            user = result.user
            assert user is not None
            if needs_second_factor(user.role_names()):
                session[PENDING_KEY] = {"user_id": user.id, "at": time.time(), "next": form.next.data}
                if user.totp_confirmed_at is None:
                    return redirect(url_for("accounts.enrol_totp"))
                return redirect(url_for("accounts.second_factor"))
            return redirect(_finish_login(user, second_factor=False, next_url=form.next.data))
        if result.status in {"locked", "throttled"}:
            form.form_errors.append(_wait_message(result.locked_until))
            status = 429
        elif result.status == "unconfirmed":
            form.form_errors.append(
                _(
                    "Aún no confirma su correo. Revise su bandeja de entrada o pida un enlace nuevo "
                    "con «¿Olvidó su contraseña?»."
                )
            )
            status = 403
        elif result.status == "inactive":
            form.form_errors.append(_("Esta cuenta está desactivada. Escriba a la mesa de ayuda."))
            status = 403
        else:
            form.form_errors.append(_("El correo o la contraseña no son correctos."))
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


def logout():
    """End the session on the server, not only in this browser: the account's session version
    moves on, so a copy of the cookie taken before is refused (on every device)."""
    if current_user.is_authenticated:
        ops.end_sessions(db.session(), acting_user(), reason="logout")
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("public.home"))


def template_globals() -> dict[str, Any]:
    """What every page's layout needs of accounts: the language switch and role names."""
    if not has_request_context():  # a worker rendering an e-mail
        return {"role_label": role_label}
    form = LocaleForm(formdata=None, locale=select_locale(), next=request.full_path.rstrip("?"))
    return {"locale_form": form, "current_locale": select_locale(), "role_label": role_label}


def end_expired_staff_session() -> Any:
    """Before each request: a staff session (second factor passed) ends after STAFF_IDLE_MINUTES
    without a request and STAFF_SESSION_HOURS after sign-in, whatever the cookie says. Other
    sessions are untouched (the vote request pays nothing for it)."""
    if MFA_SESSION_KEY not in session or "_user_id" not in session:
        return None
    cfg = current_app.config
    now = int(time.time())
    since, seen = session.get(SINCE_KEY, 0), session.get(SEEN_KEY, 0)
    if now - since > cfg["STAFF_SESSION_HOURS"] * 3600 or now - seen > cfg["STAFF_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        flash(_("Su sesión terminó por seguridad tras un tiempo sin uso. Ingrese de nuevo."), "info")
        if request.method == "GET" and request.endpoint not in (None, "static"):
            return redirect(url_for("accounts.login", next=request.full_path))
        return None
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now
    return None


def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            reg = ops.register(
                db.session(),
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                now=_now(),
                confirm_days=current_app.config["EMAIL_CONFIRM_DAYS"],
            )
        except ops.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(MESSAGES[error.code]))
        else:
            if reg.created:
                link = external_url("accounts.confirm_email", token=reg.token)
                send_email(
                    reg.user.email,
                    _("Confirme su correo en Participa"),
                    render_template("accounts/email_confirm.txt", user=reg.user, link=link),
                )
            else:
                send_email(
                    reg.user.email,
                    _("Intento de registro en Participa"),
                    render_template(
                        "accounts/email_already.txt", user=reg.user, link=external_url("accounts.request_reset")
                    ),
                )
            db.session.commit()
            return render_template("accounts/signup_sent.html", email=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/signup.html", form=form), status


def confirm_email(token: str):
    # GET shows a button; the POST spends the token (mail scanners follow links with GET).
    if request.method == "GET":
        return render_template("accounts/confirm.html", token=token)
    try:
        ops.confirm_email(db.session(), token, now=_now())
    except ops.AccountError as error:
        db.session.rollback()
        return render_template("accounts/token_error.html", message=MESSAGES[error.code]), 400
    db.session.commit()
    flash(_("Su correo quedó confirmado. Ya puede ingresar."), "success")
    return redirect(url_for("accounts.login"))


def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same work whatever the address: the lookup and the e-mail happen in a task.
        outbox.enqueue("accounts.password_reset_mail", form.email.data, select_locale())
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/reset_request.html", form=form), status


def reset_password(token: str):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            ops.reset_password(db.session(), token, form.password.data, now=_now())
        except ops.AccountError as error:
            db.session.rollback()
            if error.code.startswith("password_"):
                form.password.errors.append(str(MESSAGES[error.code]))
            else:
                return render_template("accounts/token_error.html", message=MESSAGES[error.code]), 400
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Su contraseña cambió. Ingrese con la nueva."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status


def _login_policy() -> ops.LoginPolicy:
    cfg = current_app.config
    return ops.LoginPolicy(
        free_failures=cfg["LOGIN_FREE_FAILURES"],
        first_delay=timedelta(seconds=cfg["LOGIN_FIRST_DELAY_SECONDS"]),
        max_delay=timedelta(minutes=cfg["LOGIN_MAX_DELAY_MINUTES"]),
        max_failures_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
        ip_window=timedelta(minutes=cfg["LOGIN_IP_WINDOW_MINUTES"]),
    )


def _throttle() -> ops.Throttle:
    cfg = current_app.config
    return ops.Throttle(
        ip=client_ip(), max_failures=cfg["TOTP_MAX_FAILURES"], lockout=timedelta(minutes=cfg["TOTP_LOCKOUT_MINUTES"])
    )


def _wait_message(until: Any) -> str:
    """How long to wait before trying again, in words a person reads at a glance."""
    seconds = max(1, int((until - _now()).total_seconds()) + 1) if until is not None else 60
    if seconds < 120:
        return _(
            "Demasiados intentos fallidos. Por seguridad, espere %(n)d segundos e inténtelo otra vez, "
            "o recupere su contraseña.",
            n=seconds,
        )
    return _(
        "Demasiados intentos fallidos. Por seguridad, espere %(n)d minutos e inténtelo otra vez, "
        "o recupere su contraseña.",
        n=(seconds + 59) // 60,
    )


def _lockout_message() -> str:
    return _(
        "Demasiados códigos incorrectos. Por seguridad, espere %(m)d minutos e inténtelo otra vez.",
        m=current_app.config["TOTP_LOCKOUT_MINUTES"],
    )


def _second_factor_subject() -> tuple[User | None, bool]:
    """Who is proving the second factor: a person halfway through login, or a signed-in person
    whose session has not passed it yet (for example, after being given a staff role)."""
    if current_user.is_authenticated:
        return current_user._get_current_object(), True  # type: ignore[attr-defined]
    return _pending_user(), False


def second_factor():
    user, signed_in = _second_factor_subject()
    if user is None:
        flash(_("Su ingreso expiró. Ingrese de nuevo."), "info")
        return redirect(url_for("accounts.login"))
    if user.totp_confirmed_at is None:
        return redirect(url_for("accounts.enrol_totp", next=request.args.get("next", "")))
    if signed_in and second_factor_passed():
        return redirect(url_for("accounts.profile"))
    pending = session.get(PENDING_KEY) or {}
    form = TotpForm(next=request.args.get("next") or pending.get("next", ""))
    status = 200
    if form.validate_on_submit():
        status = _code_refused(
            form, lambda: ops.verify_second_factor(db.session(), user, form.code.data, now=_now(), throttle=_throttle())
        )
        if status is None:
            return _code_accepted(user, signed_in, form.next.data)
    elif request.method == "POST":
        status = 400
    return render_template("accounts/second_factor.html", form=form), status


def _code_refused(form: TotpForm, check: Callable[[], object]) -> int | None:
    """Run a second-factor code check; on a refusal its message goes on the form and the status
    is returned (429 once locked out), the failed attempt committed: it counts towards the
    lockout."""
    try:
        check()
    except ops.AccountError as error:
        db.session.commit()
        if error.code == "locked":
            form.form_errors.append(_lockout_message())
            return 429
        form.code.errors.append(str(MESSAGES[error.code]))
        return 400
    return None


def _code_accepted(user: User, signed_in: bool, next_url: str | None):
    """A good code: a signed-in person's session passes the second factor; one signing in
    finishes the sign-in."""
    if signed_in:
        session[MFA_SESSION_KEY] = user.id
        db.session.commit()
        return redirect(safe_next(next_url, url_for("accounts.profile")))
    return redirect(_finish_login(user, second_factor=True, next_url=next_url))


def enrol_totp():
    user, signed_in = _second_factor_subject()
    if user is None:
        flash(_("Su ingreso expiró. Ingrese de nuevo."), "info")
        return redirect(url_for("accounts.login"))
    if user.totp_confirmed_at is not None:
        return redirect(url_for("accounts.second_factor"))
    pending = session.get(PENDING_KEY) or {}
    form = TotpForm(next=request.args.get("next") or pending.get("next", ""))
    status = 200
    if not user.totp_secret:
        ops.start_totp_enrolment(db.session(), user)
        db.session.commit()
    if form.validate_on_submit():
        code = form.code.data
        status = _code_refused(
            form, lambda: ops.confirm_totp_enrolment(db.session(), user, code, now=_now(), throttle=_throttle())
        )
        if status is None:
            flash(_("Segundo factor activado."), "success")
            return _code_accepted(user, signed_in, form.next.data)
    elif request.method == "POST":
        status = 400
    uri = ops.totp_uri(user, current_app.config["TOTP_ISSUER"])
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    secret = " ".join(user.totp_secret[i : i + 4] for i in range(0, len(user.totp_secret), 4))
    return render_template("accounts/enrol_totp.html", form=form, qr=qr, secret=secret), status


def set_locale():
    form = LocaleForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db.session.commit()
    return redirect(safe_next(form.next.data, url_for("public.home")))


@login_required
def profile():
    return render_template(
        "accounts/profile.html",
        user=current_user,
        needs_mfa=needs_second_factor(current_user.role_names()),
        mfa_passed=second_factor_passed(),
    )
