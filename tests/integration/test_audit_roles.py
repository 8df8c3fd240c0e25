"""The application's database role (issue #10, audit anchoring): on PostgreSQL the application
runs as a role that does not own the schema (`flask db grant`). On the audit tables it may only
SELECT and INSERT; not owning them, it cannot drop or switch off their triggers or alter them.
It still appends events and seals them. SQLite has no roles: the command says so and succeeds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from participa import create_app
from participa.audit import operations as audit
from participa.audit.models import AuditSeal
from participa.audit.privileges import AUDIT_TABLES, PrivilegeError, grant_app_role
from tests.conftest import APP_ROLE, LEG, _postgres_url, app_config

postgres = pytest.mark.postgres
INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture()
def owner_app() -> Iterator[Flask]:
    """The application configured as the schema's owner, as the `migrate` service runs."""
    app = create_app(app_config(_postgres_url()))
    yield app
    app.extensions["participa.engine"].dispose()


def refused(engine: sa.Engine, statement: str) -> sa.exc.DBAPIError:
    with engine.connect() as connection, connection.begin(), pytest.raises(sa.exc.DBAPIError) as error:
        connection.exec_driver_sql(statement)
    return error.value


@postgres
def test_the_application_runs_as_the_restricted_role(app: Flask) -> None:
    with app.extensions["participa.engine"].connect() as connection:
        me, superuser = connection.execute(
            sa.text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
        owner = connection.execute(
            sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'")
        ).scalar()
    assert me == APP_ROLE
    assert not superuser
    assert owner != APP_ROLE


@postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = action",
        "UPDATE audit_blocks SET block_hash = block_hash",
        "UPDATE audit_seals SET event_hash = event_hash",
        "DELETE FROM audit_events",
        "DELETE FROM audit_blocks",
        "DELETE FROM audit_seals",
        *(f"TRUNCATE {table} CASCADE" for table in AUDIT_TABLES),
        *(f"DROP TRIGGER {table}_append_only ON {table}" for table in AUDIT_TABLES),
        *(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only" for table in AUDIT_TABLES),
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "ALTER TABLE audit_events ADD COLUMN note text",
        "DROP TABLE audit_seals",
        "DROP FUNCTION audit_refuse_change() CASCADE",
        "SET session_replication_role = replica",
        "CREATE TABLE audit_shadow (id integer)",
        "UPDATE alembic_version SET version_num = version_num",
    ],
)
def test_the_restricted_role_cannot_change_the_audit_log(app: Flask, statement: str) -> None:
    error = refused(app.extensions["participa.engine"], statement)
    assert error.orig.sqlstate == INSUFFICIENT_PRIVILEGE, error  # a permission error, not the trigger


@postgres
def test_the_restricted_role_appends_events_and_seals_them(app: Flask) -> None:
    with app.app_context(), Session(app.extensions["participa.engine"]) as sess:
        event = audit.record("test.restricted", actor=None, object_type="test", payload={"n": 1}, session=sess)
        sess.commit()
        while audit.seal(sess).sealed:
            sess.commit()
        sess.commit()
        assert sess.execute(sa.select(AuditSeal.block_id).where(AuditSeal.event_id == event.id)).scalar() is not None
        assert audit.verify(sess).ok


@postgres
def test_the_restricted_role_refreshes_the_votes_statistics_through_the_owners_function(app: Flask) -> None:
    """Only a table's owner may ANALYZE it (for anyone else PostgreSQL skips it with a warning);
    analyze_votes() runs it as the owner."""
    with app.extensions["participa.engine"].begin() as connection:
        connection.execute(sa.text("SELECT analyze_votes()"))


@postgres
def test_grant_gives_the_audit_tables_only_select_and_insert(owner_engine: sa.Engine) -> None:
    with owner_engine.begin() as connection:
        grant_app_role(connection, APP_ROLE)  # again: idempotent
        grant_app_role(connection, APP_ROLE)
        has = {
            (table, privilege): connection.execute(
                sa.text("SELECT has_table_privilege(:role, :table, :privilege)"),
                {"role": APP_ROLE, "table": table, "privilege": privilege},
            ).scalar_one()
            for table in (*AUDIT_TABLES, "votes", "ballots", "organisations")
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        }
    for table in AUDIT_TABLES:
        assert has[table, "SELECT"] and has[table, "INSERT"]
        assert not any(has[table, p] for p in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")), table
    for table in ("votes", "ballots", "organisations"):
        assert all(has[table, p] for p in ("SELECT", "INSERT", "UPDATE", "DELETE")), table
        assert not has[table, "TRUNCATE"]


@postgres
def test_grant_refuses_the_owner_a_superuser_and_an_unknown_role(owner_engine: sa.Engine) -> None:
    with owner_engine.connect() as connection:
        me = connection.execute(sa.text("SELECT current_user")).scalar_one()
        connection.rollback()
        for role, reason in ((me, "superusuario"), ("participa_no_such_role", "no existe"), ("Bad-Name", "no válido")):
            with connection.begin(), pytest.raises(PrivilegeError, match=reason):
                grant_app_role(connection, role)


@postgres
def test_the_restricted_role_cannot_grant_itself_anything(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "grant", "--role", APP_ROLE])
    assert result.exit_code == 1
    assert "el dueño" in result.output


@postgres
def test_cli_grant_creates_the_role_with_its_password_and_restricts_it(
    owner_app: Flask, owner_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"participa_test_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TEST_APP_DB_PASSWORD", "una clave con 'comillas' y $$")
    runner = owner_app.test_cli_runner()
    try:
        created = runner.invoke(args=["db", "grant", "--role", role, "--password-env", "TEST_APP_DB_PASSWORD"])
        assert created.exit_code == 0, created.output
        assert f"Rol {role} creado" in created.output
        again = runner.invoke(args=["db", "grant", "--role", role, "--password-env", "TEST_APP_DB_PASSWORD"])
        assert again.exit_code == 0, again.output
        assert "creado" not in again.output
        with owner_engine.connect() as connection:
            login, password = connection.execute(
                sa.text("SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = :r"), {"r": role}
            ).one()
            may_update = connection.execute(
                sa.text("SELECT has_table_privilege(:r, 'audit_events', 'UPDATE')"), {"r": role}
            ).scalar_one()
        assert login and password and not may_update
    finally:
        with owner_engine.begin() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                connection.exec_driver_sql(f"DROP OWNED BY {role}")
                connection.exec_driver_sql(f"DROP ROLE {role}")


@postgres
def test_cli_grant_without_the_password_variable_set_changes_nothing(
    owner_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_APP_DB_PASSWORD", raising=False)
    result = owner_app.test_cli_runner().invoke(
        args=["db", "grant", "--role", APP_ROLE, "--password-env", "TEST_APP_DB_PASSWORD"]
    )
    assert result.exit_code == 1
    assert "TEST_APP_DB_PASSWORD" in result.output


@pytest.mark.skipif(LEG == "postgres", reason="SQLite only: the embedded leg")
def test_cli_grant_on_sqlite_has_nothing_to_do(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "grant"])
    assert result.exit_code == 0, result.output
    assert "no hay roles" in result.output
