"""Account rules as plain functions: roles, the second-factor requirement, password policy,
lockout."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    REPRESENTATIVE = "representative"
    MUNICIPAL_STAFF = "municipal_staff"
    FACILITATOR = "facilitator"
    CURATOR = "curator"
    MANAGER = "manager"
    CERTIFIER = "certifier"
    # Keeps the record of the governor's programme commitments (issue #14).
    PROGRAMME_STAFF = "programme_staff"
    # Keep the regional open-government network: members, liaisons, the practices' review (#17).
    NETWORK_STAFF = "network_staff"
    ADMIN = "admin"


# Every staff role signs in with a second factor: GORE staff hold power over results (DESIGN
# §2), and municipal staff and facilitators submit projects and record votes for others.
STAFF_ROLES = frozenset(Role) - {Role.REPRESENTATIVE}
# Roles bound to one comuna.
COMUNA_ROLES = frozenset({Role.MUNICIPAL_STAFF})

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200


def needs_second_factor(roles: Iterable[str]) -> bool:
    return any(role in STAFF_ROLES for role in roles)


# Words people in Chile reach for when a site asks for a password, and this site's own names:
# zxcvbn's dictionaries are English, so these are given to it as if the person had typed them.
LOCAL_WORDS = (
    "contraseña",
    "contrasena",
    "clave",
    "claveclave",
    "secreto",
    "chile",
    "chilena",
    "chileno",
    "santiago",
    "colocolo",
    "universidad",
    "catolica",
    "gobierno",
    "regional",
    "participa",
    "participacion",
    "junta",
    "vecinos",
    "juntadevecinos",
    "organizacion",
    "comuna",
    "municipalidad",
    "renca",
    "maipu",
    "puentealto",
    "nunoa",
    "providencia",
    "temuco",
    "valparaiso",
    "hola",
    "holahola",
    "amor",
    "teamo",
    "bienvenido",
    "bienvenida",
    "sebastian",
    "francisca",
    "catalina",
    "matias",
    "javiera",
    "benjamin",
    "florencia",
)
# zxcvbn scores 0 (guessable in under 10^3 tries) to 4 (over 10^10): 3 means "safely
# unguessable" for an online attack that the login throttle slows down.
PASSWORD_MIN_SCORE = 3


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is not acceptable, or ``None``. Length over composition rules (NIST
    SP 800-63B): long enough, not the e-mail or name, and not guessable: common passwords,
    keyboard patterns, sequences, dates and dictionary words (Spanish ones included) are
    refused by an estimator that needs no network (zxcvbn)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if len(set(lowered)) < 4:
        return "too_simple"
    for personal in (email.lower(), email.lower().split("@")[0], name.lower()):
        if personal and len(personal) >= 4 and personal in lowered:
            return "personal"
    from zxcvbn import zxcvbn

    personal_words = [w for w in (email.lower().split("@")[0], *name.lower().split()) if len(w) >= 3]
    # The estimator reads at most 72 characters; a longer password is judged by its beginning.
    if zxcvbn(password[:72], user_inputs=[*LOCAL_WORDS, *personal_words])["score"] < PASSWORD_MIN_SCORE:
        return "guessable"
    return None


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def locked_until(failures: list[datetime], *, now: datetime, max_failures: int, lockout: timedelta) -> datetime | None:
    """When a login identifier is locked, until when; else ``None``.

    ``failures`` are the times of failed attempts since the last success (at least the last two
    ``lockout`` periods of them). Whenever ``max_failures`` of them fall within one ``lockout``
    period, the identifier is locked until ``lockout`` after the last of those: the time the
    login page announces, however the failures were spread.
    """
    times = sorted(failures)
    until: datetime | None = None
    for last in range(max_failures - 1, len(times)):
        if times[last] - times[last - max_failures + 1] <= lockout:
            candidate = times[last] + lockout
            until = candidate if until is None or candidate > until else until
    return until if until is not None and until > now else None


def retry_after(
    failures: list[datetime], *, now: datetime, free: int, base: timedelta, cap: timedelta
) -> datetime | None:
    """Until when one person, from one client, must wait before trying a password again, or
    ``None``. The first ``free`` failures cost nothing; each further one doubles the wait, from
    ``base`` up to ``cap``, counted from the latest failure. Keyed on account and client
    together, it slows a guesser down without letting anyone lock the real owner out from
    elsewhere (DESIGN §2; issue #10). ``failures`` are the times since the last success."""
    extra = len(failures) - free
    if extra < 0:
        return None
    wait = min(base * (2 ** min(extra, 32)), cap)
    until = max(failures) + wait
    return until if until > now else None
