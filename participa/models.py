"""Every model, imported once so that the metadata is complete (Alembic, tests)."""

from participa.accounts.models import AccountToken, LoginAttempt, RoleAssignment, User
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.core.db import Base
from participa.mail.models import OutboxMessage
from participa.territory.models import Comuna

metadata = Base.metadata

__all__ = [
    "AccountToken",
    "AuditBlock",
    "AuditEvent",
    "AuditSeal",
    "Comuna",
    "LoginAttempt",
    "OutboxMessage",
    "RoleAssignment",
    "User",
    "metadata",
]
