"""Every model, imported once so that the metadata is complete (Alembic, tests)."""

from participa.accounts.models import AccountToken, LoginAttempt, RoleAssignment, User
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.core.db import Base
from participa.mail.models import OutboxMessage
from participa.registry.models import ImportBatch, ImportRow, Organisation, Representation
from participa.territory.models import Comuna

metadata = Base.metadata

__all__ = [
    "AccountToken",
    "AuditBlock",
    "AuditEvent",
    "AuditSeal",
    "Comuna",
    "ImportBatch",
    "ImportRow",
    "LoginAttempt",
    "Organisation",
    "OutboxMessage",
    "Representation",
    "RoleAssignment",
    "User",
    "metadata",
]
