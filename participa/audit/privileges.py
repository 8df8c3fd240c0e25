"""Two database roles on PostgreSQL: the owner of the schema, who migrates, and the role the
application runs as (web, workers, beat), which reads and writes the application's tables but on
the audit tables may only SELECT and INSERT.

Only a table's owner may drop or disable its triggers, or alter it; with UPDATE, DELETE and
TRUNCATE withheld too, the running application cannot rewrite the audit log even if it were
taken over (DESIGN §4, Audit). ``flask db grant`` applies this after every ``flask db upgrade``:
privileges are granted on the tables that exist when it runs, so a new table needs the command
run again.

SQLite has no roles: there is nothing to do there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

AUDIT_TABLES = ("audit_events", "audit_blocks", "audit_seals")
# Certificates and certifiers' decisions are append-only too (migration 0013 adds triggers).
CERTIFICATION_TABLES = ("certifications", "certification_decisions")
# A plain lower-case identifier: quoted anyway, but nothing that needs quoting is accepted.
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PrivilegeError(Exception):
    """The grant cannot be applied: the message says why."""


@dataclass(frozen=True)
class GrantResult:
    role: str
    schema: str
    tables: int


def _role_sql(connection: sa.Connection, role: str, password: str | None, *, create: bool) -> str:
    """CREATE or ALTER ROLE with the password as a quoted literal (these statements take no
    parameters)."""
    from psycopg import sql

    statement = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" if create else "ALTER ROLE {} LOGIN")
    statement = statement.format(sql.Identifier(role))
    if password is not None:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    return statement.as_string(connection.connection.driver_connection)


def ensure_role(connection: sa.Connection, role: str, password: str | None = None) -> tuple[bool, bool]:
    """Create the login role if it does not exist; set its password when one is given. Safe to
    run while another process does the same. Answers (created, password set)."""
    check_role_name(role)
    exists = connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if exists:
        if password is not None:
            connection.exec_driver_sql(_role_sql(connection, role, password, create=False))
        return False, password is not None
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(_role_sql(connection, role, password, create=True))
    except sa.exc.ProgrammingError as error:  # created meanwhile by another process
        if getattr(error.orig, "sqlstate", None) != "42710":  # duplicate_object
            raise
        if password is not None:
            connection.exec_driver_sql(_role_sql(connection, role, password, create=False))
        return False, password is not None
    return True, password is not None


def check_role_name(role: str) -> None:
    if not ROLE_NAME.match(role):
        raise PrivilegeError(f"nombre de rol no válido: {role!r} (minúsculas, dígitos y '_')")


def _grant_facts(connection: sa.Connection, role: str) -> Any:
    """Who is asking and for whom, refused when the role is missing, a superuser or the owner
    (or inherits from it), or when the caller does not own the tables."""
    facts = connection.execute(
        sa.text(
            "SELECT current_schema() AS schema, current_user AS me, current_database() AS db, "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS me_super, "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = :r) AS role_super, "
            "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            " AND tablename = 'audit_events') AS audit_owner"
        ),
        {"r": role},
    ).one()
    if facts.role_super is None:
        raise PrivilegeError(f"el rol {role} no existe")
    if facts.role_super:
        raise PrivilegeError(f"el rol {role} es superusuario: no se le puede restringir nada")
    if facts.audit_owner is None:
        raise PrivilegeError("no hay tablas de auditoría: ejecute antes flask db upgrade")
    is_owner = connection.execute(
        sa.text("SELECT pg_has_role(:r, :owner, 'MEMBER')"), {"r": role, "owner": facts.audit_owner}
    ).scalar_one()
    if role in (facts.me, facts.audit_owner) or is_owner:
        raise PrivilegeError(f"el rol {role} es (o hereda de) {facts.audit_owner}, el dueño: use un rol distinto")
    if facts.audit_owner != facts.me and not facts.me_super:
        raise PrivilegeError(f"ejecute este comando como {facts.audit_owner}, el dueño de las tablas")
    return facts


def grant_app_role(connection: sa.Connection, role: str) -> GrantResult:
    """Give ``role`` what the application needs in the current schema, and no more on the audit
    tables. Idempotent, and it converges: whatever the role held before, afterwards it holds
    SELECT, INSERT, UPDATE, DELETE on the application's tables, SELECT and INSERT on the audit
    and certification tables, SELECT on alembic_version, USAGE and SELECT on the sequences and EXECUTE on the
    functions. Run it as the owner of the schema, in one transaction."""
    check_role_name(role)
    if connection.dialect.name != "postgresql":
        raise PrivilegeError("solo PostgreSQL tiene roles")
    facts = _grant_facts(connection, role)

    def q(name: str) -> str:
        return connection.dialect.identifier_preparer.quote(name)

    schema, r = q(facts.schema), q(role)
    present = set(
        connection.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
    )
    append_only = [t for t in (*AUDIT_TABLES, *CERTIFICATION_TABLES) if t in present]
    audit = ", ".join(f"{schema}.{q(t)}" for t in append_only)
    for statement in (
        f"GRANT CONNECT ON DATABASE {q(facts.db)} TO {r}",
        f"GRANT USAGE ON SCHEMA {schema} TO {r}",
        # No one but the owner creates objects in the schema (PostgreSQL 15 makes this the
        # default; older servers let everyone create in public).
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r}",
        f"REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA {schema} FROM {r}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {r}",
        # The audit log and the certificates: read and append, nothing else, for the role and
        # for everyone.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {r}, PUBLIC",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.alembic_version FROM {r}, PUBLIC",
    ):
        connection.exec_driver_sql(statement)
    tables = connection.execute(
        sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    ).scalar_one()
    return GrantResult(role=role, schema=facts.schema, tables=tables)
