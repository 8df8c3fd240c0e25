"""Sign-in attempts (an e-mail, an IP address, a time) are kept 90 days, as the privacy notice
says, and no longer."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participa.accounts import operations
from participa.accounts.models import LoginAttempt
from participa.core.db import utcnow


def test_attempts_older_than_90_days_are_deleted_and_newer_ones_kept(session) -> None:
    now = utcnow()
    for days in (200, 91, 89, 0):
        session.add(LoginAttempt(email=f"{days}@example.cl", ip="10.0.0.1", at=now - timedelta(days=days),
                                 success=False, step="password"))  # fmt: skip
    session.flush()
    assert operations.prune_login_attempts(session, now=now) == 2
    kept = session.execute(sa.select(LoginAttempt.email).order_by(LoginAttempt.email)).scalars().all()
    assert kept == ["0@example.cl", "89@example.cl"]
    assert operations.prune_login_attempts(session, now=now) == 0
