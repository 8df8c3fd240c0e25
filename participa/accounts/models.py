from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participa.accounts.rules import Role
from participa.core.db import Base, utcnow
from participa.territory.models import Comuna


class User(UserMixin, Base):
    """A person with an account. Roles are separate rows; a person may hold several."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    rut: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_confirmed_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # Municipal staff act for exactly one comuna.
    comuna_cut: Mapped[int | None] = mapped_column(sa.ForeignKey("comunas.cut"))
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_confirmed_at: Mapped[datetime | None]
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Bumped on password change and role change: other sessions of the person end.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    comuna: Mapped[Comuna | None] = relationship(lazy="joined")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleAssignment.user_id",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: a password change ends every other session.
        return f"{self.id}:{self.session_version}"

    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names().intersection(roles))

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class RoleAssignment(Base):
    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(32))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])

    __table_args__ = (
        sa.UniqueConstraint("user_id", "role"),
        sa.CheckConstraint(sa.column("role").in_([r.value for r in Role]), name="role_known"),
    )


class AccountToken(Base):
    """A single-use, expiring token sent by e-mail (confirmation or password reset). Only its
    SHA-256 is stored: a database leak does not leak usable links."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (sa.CheckConstraint(sa.column("purpose").in_(["confirm", "reset"]), name="purpose_known"),)


class LoginAttempt(Base):
    """A login attempt, kept for throttling: per e-mail and client together (whether or not an
    account has the e-mail, so a delay reveals nothing), per client, and, for the second factor,
    per account."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str] = mapped_column(sa.String(45))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool]
    # password, second_factor, or reset (a password reset: a success that ends a run of failures).
    step: Mapped[str] = mapped_column(sa.String(14), default="password", server_default="password")

    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip", "at"),
        sa.CheckConstraint(sa.column("step").in_(["password", "second_factor", "reset"]), name="step_known"),
    )
