"""Demo data for the embedded default: an account for every role, with known passwords."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import RoleAssignment, User
from participa.accounts.rules import STAFF_ROLES, Role
from participa.audit import operations as audit
from participa.core.db import utcnow
from participa.core.security import hash_password
from participa.territory.operations import load_comunas


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    totp_secret: str | None


DEMO_PEOPLE = [
    ("admin@demo.participa.cl", "Ana Administradora", Role.ADMIN, None),
    ("curador@demo.participa.cl", "Carlos Curador", Role.CURATOR, None),
    ("gestora@demo.participa.cl", "Gabriela Gestora", Role.MANAGER, None),
    ("certifica1@demo.participa.cl", "Cecilia Certificadora", Role.CERTIFIER, None),
    ("certifica2@demo.participa.cl", "Claudio Certificador", Role.CERTIFIER, None),
    ("municipal@demo.participa.cl", "Matías Municipal (Renca)", Role.MUNICIPAL_STAFF, 13128),
    ("facilita@demo.participa.cl", "Francisca Facilitadora", Role.FACILITATOR, None),
    ("representante@demo.participa.cl", "Rosa Representante", Role.REPRESENTATIVE, None),
]
DEMO_PASSWORD = "participa-demo-2026"  # noqa: S105 - printed by make run, demo only


def load_demo(session: Session, *, if_empty: bool = False) -> list[DemoAccount] | None:
    """Create the demo accounts (idempotent by e-mail). With ``if_empty``, create nothing when
    the database already has any account, and return the demo accounts present (or ``None``)."""
    load_comunas(session)
    if if_empty and session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one():
        # Not empty: create nothing, but list the demo accounts that are there.
        found = session.execute(
            sa.select(User).where(User.email.in_([p[0] for p in DEMO_PEOPLE]))
        ).scalars()
        by_email = {u.email: u for u in found}
        return [
            DemoAccount(email, DEMO_PASSWORD, role.value, by_email[email].totp_secret)
            for email, _name, role, _comuna in DEMO_PEOPLE
            if email in by_email
        ] or None
    now = utcnow()
    accounts = []
    for email, name, role, comuna in DEMO_PEOPLE:
        user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD),
                        email_confirmed_at=now, comuna_cut=comuna)
            if role in STAFF_ROLES:
                user.totp_secret = pyotp.random_base32()
                user.totp_confirmed_at = now
            user.roles.append(RoleAssignment(role=role))
            session.add(user)
            session.flush()
            audit.record("account.created", actor=None, object_type="user", object_id=user.id,
                         payload={"email": email, "via": "demo"})
            audit.record("role.granted", actor=None, object_type="user", object_id=user.id,
                         payload={"role": role.value, "via": "demo", "comuna": comuna})
        accounts.append(DemoAccount(email, DEMO_PASSWORD, role.value, user.totp_secret))
    session.flush()
    return accounts
