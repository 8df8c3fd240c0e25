"""Alembic environment: the engine comes from the application, the metadata from the models."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from participa.models import metadata

config = context.config
if config.config_file_name and not config.attributes.get("engine"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from participa import create_app

    return create_app().extensions["participa.engine"]


def _sqlite_foreign_keys(connection, enabled: bool) -> None:
    """SQLite changes a table by rebuilding it (batch mode): dropping the old copy of a table that
    others refer to would trip their foreign keys. They are switched off around the migration,
    on the raw connection (the pragma is ignored inside a transaction), and checked before the
    migration commits."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}")


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                # SQLite can roll DDL back: one transaction for the whole upgrade, as on PostgreSQL.
                transactional_ddl=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration leaves rows with broken foreign keys: {broken[:10]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, True)


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported: run against a database.")
run_migrations_online()
