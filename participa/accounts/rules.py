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


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is not acceptable, or ``None``. Length over complexity (NIST SP
    800-63B): long enough, not the e-mail or name, not one repeated character."""
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
