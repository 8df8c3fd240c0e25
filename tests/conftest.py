"""Test fixtures for both legs.

Leg ``embedded`` (default): a temporary SQLite file, tasks in-process.
Leg ``postgres``: PostgreSQL and Redis from TEST_DATABASE_URL / TEST_REDIS_URL; tasks go to
Redis and a real ``celery worker`` process (tests/worker) runs them. As in production, the
owner of the schema (the user of TEST_DATABASE_URL) migrates and grants, and the application
under test, with its workers and servers, connects as the restricted role ``participa_app``
(``flask db grant``); a test that needs the owner uses ``owner_engine``.

Each test runs inside a transaction that is rolled back (the session joins it with savepoints),
so tests see an empty, migrated database with the 52 comunas and nothing else.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from participa import create_app
from participa.core import db

LEG = os.environ.get("PARTICIPA_TEST_LEG", "embedded")
ROOT = Path(__file__).resolve().parent.parent
APP_ROLE = "participa_app"  # the restricted role of the application on the PostgreSQL leg


def _postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_test")


def _recreate_postgres_database(url: str) -> None:
    target = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if LEG == "postgres":
        return [
            f"participa leg: postgres: database {_postgres_url()} (the application as role {APP_ROLE}), "
            f"broker {os.environ.get('TEST_REDIS_URL')}"
        ]
    return ["participa leg: embedded: database SQLite (temporary file), broker none (tasks in-process)"]


COMMITTING_MARKERS = ("browser", "worker", "commits")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="runs on the PostgreSQL + Redis leg (make test runs both legs)")
    for item in items:
        if ("postgres" in item.keywords or "worker" in item.keywords) and LEG != "postgres":
            item.add_marker(skip_pg)
    # Tests that commit for real (other processes must see their data) run last, so that every
    # other test starts from a database holding only the comunas and the commitments.
    items.sort(key=lambda item: any(marker in item.keywords for marker in COMMITTING_MARKERS))


def app_config(database_url: str) -> dict[str, object]:
    config: dict[str, object] = {
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "TESTING": True,
        "SERVER_NAME": "participa.test",
        "LOGIN_MAX_FAILURES_PER_IP": 1000,
        # Every test request comes from 127.0.0.1: limits far above what the suite sends; the
        # limits themselves are tested with their own rate (tests/web/opendata/test_rate_limit.py).
        "API_RATE_LIMIT": "100000 per minute",
        "DOWNLOAD_RATE_LIMIT": "100000 per minute",
    }
    if LEG == "postgres":
        config["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        config["TASKS_EAGER"] = False
    else:
        config["REDIS_URL"] = None
        config["TASKS_EAGER"] = True
        # Every task in the request: a test's rolled-back transaction (the ``session`` fixture)
        # is one connection that a background thread must not share. The embedded default's
        # background thread has its own test (tests/integration/test_embedded_import.py).
        config["BACKGROUND_TASKS"] = frozenset()
    return config


def _migrate_and_grant(owner_url: str) -> str:
    """As the owner: migrate, create the application's role if missing (trust authentication on
    127.0.0.1: no password) and grant it what ``flask db grant`` grants. Answers the URL the
    application under test connects with: the same database as that role."""
    from participa.audit.privileges import ensure_role, grant_app_role
    from participa.core import migrations

    owner = create_app(app_config(owner_url))
    engine = owner.extensions["participa.engine"]
    try:
        with owner.app_context():
            migrations.upgrade(owner)
        with engine.begin() as connection:
            ensure_role(connection, APP_ROLE)
            grant_app_role(connection, APP_ROLE)
    finally:
        engine.dispose()
    return sa.make_url(owner_url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if LEG == "postgres":
        url = _postgres_url()
        _recreate_postgres_database(url)
        return _migrate_and_grant(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'participa-test.db'}"


@pytest.fixture(scope="session")
def owner_engine(app: Flask) -> Iterator[sa.Engine]:
    """The schema owner's engine (TEST_DATABASE_URL), for what the application's role may not do:
    tampering with the audit log, checking the triggers. On SQLite, with no roles, the
    application's engine."""
    if LEG != "postgres":
        yield app.extensions["participa.engine"]
        return
    engine = db.create_engine(_postgres_url())
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(app_config(database_url))
    from tests.fixtures.clients import FreshClient

    app.test_client_class = FreshClient
    with app.app_context():
        from participa.commitments.operations import load_commitments
        from participa.core import migrations
        from participa.territory.operations import load_comunas

        migrations.upgrade(app)
        load_comunas(db.session())
        load_commitments(db.session())
        db.session.commit()
        db.session.remove()
    yield app
    app.extensions["participa.engine"].dispose()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture()
def session(app: Flask) -> Iterator[sa.orm.Session]:
    """The scoped session bound to one outer transaction that is rolled back after the test.
    Commits inside the test (views, operations) become savepoint releases."""
    engine = app.extensions["participa.engine"]
    connection = engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        yield db.session()
    db.session.remove()
    db.session.configure(bind=None)
    outer.rollback()
    connection.close()


@pytest.fixture()
def client(app: Flask, session: sa.orm.Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def anon_client(app: Flask, session: sa.orm.Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.registry",
    "tests.fixtures.processes",
    "tests.fixtures.consultations",
    "tests.fixtures.services",
]


@pytest.fixture(scope="session", autouse=True)
def _worker_for_queued_tasks(request: pytest.FixtureRequest) -> None:
    """On the PostgreSQL leg queued tasks (e-mail above all) need a worker process from the
    start of the session, not only once the worker tests begin."""
    if LEG == "postgres":
        request.getfixturevalue("workers")
