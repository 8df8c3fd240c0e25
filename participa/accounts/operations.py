"""Account use cases. Each takes the acting person explicitly, checks what it must, writes,
appends the audit event and flushes; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts import rules
from participa.accounts.models import AccountToken, LoginAttempt, RoleAssignment, User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.core.security import hash_password, password_needs_rehash, verify_password
from participa.territory.models import Comuna


class AccountError(Exception):
    """A refused account operation; ``code`` names the reason for the view to explain."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def find_by_email(session: Session, email: str) -> User | None:
    return session.execute(sa.select(User).where(User.email == rules.normalize_email(email))).scalar_one_or_none()


# --- sign-up and tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    user: User
    created: bool
    token: str | None


def register(
    session: Session, *, email: str, name: str, password: str, now: datetime, confirm_days: int
) -> Registration:
    """Create an unconfirmed account and a confirmation token.

    If the e-mail already has an account nothing is created (``created`` is false): the caller
    tells the owner by e-mail instead, so the sign-up page never reveals who is registered.
    """
    email = rules.normalize_email(email)
    problem = rules.password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(f"password_{problem}")
    # Hashed whether or not the e-mail has an account: the page must take as long either way, or
    # its timing would tell who is registered.
    password_hash = hash_password(password)
    existing = find_by_email(session, email)
    if existing is not None:
        return Registration(existing, False, None)
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    session.add(user)
    session.flush()
    token = issue_token(session, user, "confirm", now=now, ttl=timedelta(days=confirm_days))
    audit.record(
        "account.registered", actor=user, object_type="user", object_id=user.id, payload={"email": email}, session=None
    )
    return Registration(user, True, token)


def issue_token(session: Session, user: User, purpose: str, *, now: datetime, ttl: timedelta) -> str:
    """A new single-use token; earlier unused tokens of the same purpose stop working."""
    session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id, purpose=purpose, token_hash=_token_hash(raw), created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return raw


def consume_token(session: Session, raw: str, purpose: str, *, now: datetime) -> User:
    """Use a token once. Raises ``token_invalid``, ``token_used`` or ``token_expired``."""
    token = session.execute(
        sa.select(AccountToken)
        .where(AccountToken.token_hash == _token_hash(raw or ""), AccountToken.purpose == purpose)
        .with_for_update()
    ).scalar_one_or_none()
    if token is None:
        raise AccountError("token_invalid")
    if token.used_at is not None:
        raise AccountError("token_used")
    if token.expires_at <= now:
        raise AccountError("token_expired")
    token.used_at = now
    user = session.get(User, token.user_id)
    assert user is not None
    return user


def confirm_email(session: Session, raw: str, *, now: datetime) -> User:
    user = consume_token(session, raw, "confirm", now=now)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        audit.record("account.email_confirmed", actor=user, object_type="user", object_id=user.id)
    session.flush()
    return user


# --- login and throttling -------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    status: str  # ok, bad_credentials, locked, throttled, unconfirmed, inactive
    locked_until: datetime | None = None


@dataclass(frozen=True)
class LoginPolicy:
    """How failures slow down the next attempt (config: LOGIN_*)."""

    free_failures: int  # failures of one e-mail from one client before any wait
    first_delay: timedelta  # the first wait, doubled by each further failure
    max_delay: timedelta
    max_failures_per_ip: int  # failures from one client, whatever the e-mails, within ip_window
    ip_window: timedelta


# How long sign-in attempts (an e-mail, an IP address, a time) are kept: long enough to see an
# attack and the throttling windows through, no longer (the privacy notice, /privacidad, says so).
LOGIN_ATTEMPT_RETENTION = timedelta(days=90)


def prune_login_attempts(session: Session, *, now: datetime) -> int:
    """Delete sign-in attempts older than :data:`LOGIN_ATTEMPT_RETENTION`; how many went."""
    result = session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_ATTEMPT_RETENTION))
    return result.rowcount or 0


def authenticate(
    session: Session, *, email: str, password: str, ip: str, now: datetime, policy: LoginPolicy
) -> LoginResult:
    """Check a password, throttled per e-mail and client together, with growing delays, and per
    client (DESIGN §2): a stranger's failures from elsewhere never lock the owner out.

    The attempt is recorded whatever the outcome; the caller commits even on failure.
    """
    email = rules.normalize_email(email)
    ip_failures = session.execute(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > now - policy.ip_window)
    ).scalar_one()
    if ip_failures >= policy.max_failures_per_ip:
        return LoginResult(None, "throttled", now + policy.ip_window)

    failures = _recent_failures(session, email, now=now, window=RETRY_WINDOW, ip=ip, step="password")
    until = rules.retry_after(
        failures, now=now, free=policy.free_failures, base=policy.first_delay, cap=policy.max_delay
    )
    if until is not None:
        return LoginResult(None, "locked", until)

    user = find_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    session.add(LoginAttempt(email=email, ip=ip, at=now, success=ok, step="password"))
    if not ok:
        until = rules.retry_after(
            [*failures, now], now=now, free=policy.free_failures, base=policy.first_delay, cap=policy.max_delay
        )
        session.flush()
        return LoginResult(None, "locked" if until else "bad_credentials", until)
    assert user is not None
    if not user.active:
        return LoginResult(None, "inactive")
    if not user.email_confirmed:
        return LoginResult(user, "unconfirmed")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return LoginResult(user, "ok")


# Failures older than a day no longer slow anyone down.
RETRY_WINDOW = timedelta(days=1)


def _recent_failures(
    session: Session, email: str, *, now: datetime, window: timedelta, step: str, ip: str | None = None
) -> list[datetime]:
    """Failed attempts of one step (from one client, when ``ip`` is given) since the e-mail's
    last success at that step (or password reset), within ``window``. A password that succeeds
    does not clear the second factor's failures: only a right code, or a reset, does."""
    last_success = session.execute(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.success, LoginAttempt.step.in_([step, "reset"])
        )
    ).scalar()
    query = sa.select(LoginAttempt.at).where(
        LoginAttempt.email == email,
        LoginAttempt.success.is_(False),
        LoginAttempt.step == step,
        LoginAttempt.at > now - window,
    )
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    if last_success is not None:
        query = query.where(LoginAttempt.at > last_success)
    return list(session.execute(query).scalars())


def record_login(session: Session, user: User, *, ip: str, second_factor: bool) -> None:
    audit.record(
        "account.login",
        actor=user,
        object_type="user",
        object_id=user.id,
        payload={"ip": ip, "second_factor": second_factor},
    )
    session.flush()


def end_sessions(session: Session, user: User, *, reason: str) -> None:
    """End every session of the person on the server: each session carries the account's
    session version, which moves on (sign-out, password change, role change)."""
    user.session_version += 1
    audit.record(
        "account.sessions_ended", actor=user, object_type="user", object_id=user.id, payload={"reason": reason}
    )
    session.flush()


# --- password reset -------------------------------------------------------------------------


def request_password_reset(session: Session, email: str, *, now: datetime, ttl: timedelta) -> tuple[User, str] | None:
    """A reset token for an active account with that e-mail, or ``None`` (the page says the same
    in both cases)."""
    user = find_by_email(session, email)
    if user is None or not user.active:
        return None
    token = issue_token(session, user, "reset", now=now, ttl=ttl)
    audit.record("account.password_reset_requested", actor=user, object_type="user", object_id=user.id)
    return user, token


def reset_password(session: Session, raw: str, new_password: str, *, now: datetime) -> User:
    user = consume_token(session, raw, "reset", now=now)
    problem = rules.password_problem(new_password, email=user.email, name=user.name)
    if problem:
        raise AccountError(f"password_{problem}")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    # Following the link proves the mailbox: an unconfirmed account becomes confirmed, and a
    # lockout ends (the lockout message offers the reset as the way out).
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    session.add(LoginAttempt(email=user.email, ip="password-reset", at=now, success=True, step="reset"))
    audit.record("account.password_reset", actor=user, object_type="user", object_id=user.id)
    session.flush()
    return user


# --- second factor --------------------------------------------------------------------------


def start_totp_enrolment(session: Session, user: User) -> str:
    """A new secret for a person who has not confirmed one yet."""
    if user.totp_confirmed_at is not None:
        raise AccountError("totp_already_enrolled")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    return user.totp_secret


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    """Accept a code of the current step or the one before or after (clock drift), never a
    step at or before the last one accepted (no replay)."""
    if not user.totp_secret:
        return False
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    step_now = int(now.timestamp()) // totp.interval
    for step in (step_now - 1, step_now, step_now + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


@dataclass(frozen=True)
class Throttle:
    """How often a person who knows the password may fail the second factor before it locks
    for a while: per account (reaching this step takes the password, so a stranger cannot
    trigger it)."""

    ip: str
    max_failures: int
    lockout: timedelta


def _check_code(session: Session, user: User, code: str, now: datetime, throttle: Throttle) -> None:
    """Six digits cannot be guessed without limit: wrong codes lock the second factor."""
    failures = _recent_failures(session, user.email, now=now, window=2 * throttle.lockout, step="second_factor")
    if rules.locked_until(failures, now=now, max_failures=throttle.max_failures, lockout=throttle.lockout):
        raise AccountError("locked")
    if _accept_totp(user, code, now):
        session.add(LoginAttempt(email=user.email, ip=throttle.ip, at=now, success=True, step="second_factor"))
        return
    session.add(LoginAttempt(email=user.email, ip=throttle.ip, at=now, success=False, step="second_factor"))
    until = rules.locked_until([*failures, now], now=now, max_failures=throttle.max_failures, lockout=throttle.lockout)
    if until is not None:
        audit.record(
            "account.locked",
            actor=None,
            object_type="user",
            object_id=user.id,
            payload={"until": until.isoformat(), "ip": throttle.ip, "step": "second_factor"},
        )
        session.flush()
        raise AccountError("locked")
    session.flush()
    raise AccountError("totp_wrong_code")


def confirm_totp_enrolment(session: Session, user: User, code: str, *, now: datetime, throttle: Throttle) -> None:
    if user.totp_confirmed_at is not None:
        raise AccountError("totp_already_enrolled")
    _check_code(session, user, code, now, throttle)
    user.totp_confirmed_at = now
    audit.record("account.totp_enrolled", actor=user, object_type="user", object_id=user.id)
    session.flush()


def verify_second_factor(session: Session, user: User, code: str, *, now: datetime, throttle: Throttle) -> None:
    if user.totp_confirmed_at is None:
        raise AccountError("totp_not_enrolled")
    _check_code(session, user, code, now, throttle)
    session.flush()


def totp_uri(user: User, issuer: str) -> str:
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


# --- administration -------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise AccountError("forbidden")


def list_users(session: Session, *, actor: User, search: str = "") -> list[User]:
    _require_admin(actor)
    query = sa.select(User).order_by(User.name)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(like), User.email.like(like)))
    return list(session.execute(query.limit(200)).scalars())


def assign_role(session: Session, *, actor: User, user: User, role: str, comuna_cut: int | None = None) -> None:
    """Grant a role. Municipal staff are bound to one comuna, given here."""
    _require_admin(actor)
    if role not in {r.value for r in Role}:
        raise AccountError("role_unknown")
    if role in rules.COMUNA_ROLES:
        if comuna_cut is None or session.get(Comuna, comuna_cut) is None:
            raise AccountError("comuna_required")
        if user.comuna_cut != comuna_cut:
            previous = user.comuna_cut
            user.comuna_cut = comuna_cut
            audit.record(
                "account.comuna_set",
                actor=actor,
                object_type="user",
                object_id=user.id,
                payload={"from": previous, "to": comuna_cut},
            )
    if role in user.role_names():
        raise AccountError("role_already_held")
    user.roles.append(RoleAssignment(role=role, granted_by_id=actor.id))
    user.session_version += 1
    audit.record(
        "role.granted",
        actor=actor,
        object_type="user",
        object_id=user.id,
        payload={"role": role, "comuna": user.comuna_cut if role in rules.COMUNA_ROLES else None},
    )
    session.flush()


def revoke_role(session: Session, *, actor: User, user: User, role: str) -> None:
    _require_admin(actor)
    assignment = next((r for r in user.roles if r.role == role), None)
    if assignment is None:
        raise AccountError("role_not_held")
    if role == Role.ADMIN and user.id == actor.id:
        # An administrator cannot lock the platform out by removing their own role.
        raise AccountError("cannot_revoke_own_admin")
    user.roles.remove(assignment)
    if role in rules.COMUNA_ROLES:
        user.comuna_cut = None
    user.session_version += 1
    audit.record("role.revoked", actor=actor, object_type="user", object_id=user.id, payload={"role": role})
    session.flush()


def create_administrator(session: Session, *, email: str, name: str, password: str, now: datetime) -> User:
    """Bootstrap: a confirmed account holding the administrator role (command line only)."""
    email = rules.normalize_email(email)
    problem = rules.password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(f"password_{problem}")
    if find_by_email(session, email) is not None:
        raise AccountError("email_taken")
    user = User(email=email, name=name, password_hash=hash_password(password), email_confirmed_at=now)
    user.roles.append(RoleAssignment(role=Role.ADMIN))
    session.add(user)
    session.flush()
    record_created_with_role(user, Role.ADMIN, via="command line")
    session.flush()
    return user


def record_created_with_role(user: User, role: Role, *, via: str, **details: object) -> None:
    """Audit an account made outside the sign-up pages (the command line, the demo) and the role
    it was given (DESIGN §4, Audit): who exists and with which power is never unrecorded."""
    audit.record(
        "account.created", actor=None, object_type="user", object_id=user.id, payload={"email": user.email, "via": via}
    )
    audit.record(
        "role.granted",
        actor=None,
        object_type="user",
        object_id=user.id,
        payload={"role": role.value, "via": via, **details},
    )
