"""The first administrator, made from the command line (``flask create-admin``): a good password,
a free e-mail, and both the account and its role in the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts import operations
from participa.audit.models import AuditEvent
from participa.core.db import utcnow

GOOD = "una clave bastante larga para administrar"


def test_an_administrator_is_made_and_recorded(session: Session) -> None:
    admin = operations.create_administrator(
        session, email="Jefa.Sistemas@GORE.cl", name="Jefa de sistemas", password=GOOD, now=utcnow()
    )
    session.commit()
    assert admin.email == "jefa.sistemas@gore.cl" and admin.has_role("admin")
    events = session.execute(
        sa.select(AuditEvent.action, AuditEvent.payload)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(admin.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(action, payload["via"]) for action, payload in events] == [
        ("account.created", "command line"),
        ("role.granted", "command line"),
    ]
    assert events[1][1]["role"] == "admin"


def test_a_weak_password_or_a_taken_email_makes_nobody(session: Session) -> None:
    with pytest.raises(operations.AccountError) as weak:
        operations.create_administrator(session, email="a@gore.cl", name="A", password="corta", now=utcnow())
    assert weak.value.code.startswith("password_")
    operations.create_administrator(session, email="b@gore.cl", name="B", password=GOOD, now=utcnow())
    session.commit()
    with pytest.raises(operations.AccountError) as taken:
        operations.create_administrator(session, email="B@gore.cl", name="Otra", password=GOOD, now=utcnow())
    assert taken.value.code == "email_taken"
