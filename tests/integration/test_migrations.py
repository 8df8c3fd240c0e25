"""Every revision upgrades and downgrades on SQLite and on PostgreSQL, and the migrated schema
matches the models."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from participa import create_app
from participa.core import migrations
from participa.models import metadata
from tests.conftest import LEG, app_config


def _scratch_urls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    urls = [f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'scratch.db'}"]
    if LEG == "postgres":
        base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_test")
        urls.append(base.rsplit("/", 1)[0] + "/participa_migrations_test")
    return urls


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    urls = [u for u in _scratch_urls(tmp_path_factory) if u.startswith(request.param)]
    if not urls:
        pytest.skip("PostgreSQL runs on the PostgreSQL + Redis leg")
    url = urls[0]
    if url.startswith("postgresql"):
        from tests.conftest import _recreate_postgres_database

        _recreate_postgres_database(url)
    app = create_app(app_config(url))
    yield app
    app.extensions["participa.engine"].dispose()


def _tables(app: Flask) -> set[str]:
    return set(sa.inspect(app.extensions["participa.engine"]).get_table_names()) - {"alembic_version"}


def test_upgrade_then_downgrade_to_base_then_upgrade_again(scratch_app: Flask) -> None:
    with scratch_app.app_context():
        migrations.upgrade(scratch_app)
        assert set(metadata.tables) <= _tables(scratch_app)
        migrations.downgrade(scratch_app, "base")
        assert _tables(scratch_app) == set()
        migrations.upgrade(scratch_app)
        assert set(metadata.tables) <= _tables(scratch_app)


def test_each_revision_downgrades_one_step(scratch_app: Flask) -> None:
    with scratch_app.app_context():
        config = migrations.alembic_config(scratch_app)
        revisions = list(ScriptDirectory.from_config(config).walk_revisions())
        migrations.upgrade(scratch_app)
        for _ in revisions:
            migrations.downgrade(scratch_app, "-1")
        assert _tables(scratch_app) == set()


def test_migrated_schema_matches_the_models(scratch_app: Flask) -> None:
    with scratch_app.app_context():
        migrations.upgrade(scratch_app)
        engine = scratch_app.extensions["participa.engine"]
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    assert differences == []


def test_revision_files_are_dated_and_described() -> None:
    from participa.config import ROOT

    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        assert path.name[:8].isdigit(), f"{path.name}: revision files start with their date"
        text = path.read_text()
        assert text.startswith('"""') and "def downgrade" in text, path.name


def test_vote_decisions_move_to_their_narrow_table_and_back(scratch_app: Flask) -> None:
    """Revision 0014 copies each earlier vote decision (run close-<id>[-r<round>], verdicts JSON)
    into vote_decisions; its downgrade writes the decisions made since back, with every verdict."""
    import json

    verdicts = [
        {"rule": "effective", "ok": True, "reason": None, "detail": None},
        {"rule": "within_window", "ok": False, "reason": "outside_window", "detail": "x"},
        {"rule": "on_roll", "ok": True, "reason": None, "detail": None},
        {"rule": "authorised", "ok": False, "reason": "not_authorised", "detail": None},
        {"rule": "in_person_precedence", "ok": True, "reason": None, "detail": None},
    ]
    with scratch_app.app_context():
        migrations.upgrade(scratch_app, "0013_certification")
        engine = scratch_app.extensions["participa.engine"]
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO admissibility_decisions (subject_type, subject_id, run, admissible, reason, "
                    "verdicts, decided_at) VALUES ('vote', 41, 'close-7-r2', false, 'outside_window', :v, "
                    "CURRENT_TIMESTAMP), ('project', 41, 'submission-1', true, NULL, '[]', CURRENT_TIMESTAMP)"
                ),
                {"v": json.dumps(verdicts)},
            )
        migrations.upgrade(scratch_app)
        with engine.begin() as connection:
            moved = connection.execute(sa.text("SELECT * FROM vote_decisions")).mappings().all()
            assert [dict(row) for row in moved] == [
                {
                    "consultation_id": 7,
                    "count_round": 2,
                    "vote_id": 41,
                    "admissible": False,
                    "reason": "outside_window",
                    "failed": "outside_window,not_authorised",
                }
            ]
            connection.execute(
                sa.text(
                    "INSERT INTO vote_decisions (consultation_id, count_round, vote_id, admissible, reason, failed) "
                    "VALUES (8, 1, 50, false, 'superseded', 'superseded')"
                )
            )
        migrations.downgrade(scratch_app, "0013_certification")
        with engine.connect() as connection:
            back = connection.execute(
                sa.text(
                    "SELECT subject_id, run, admissible, reason, verdicts FROM admissibility_decisions "
                    "WHERE subject_type = 'vote' ORDER BY subject_id"
                )
            ).all()
        assert [(row[0], row[1], bool(row[2]), row[3]) for row in back] == [
            (41, "close-7-r2", False, "outside_window"),
            (50, "close-8", False, "superseded"),
        ]
        written = back[1][4] if isinstance(back[1][4], list) else json.loads(back[1][4])
        assert [(v["rule"], v["ok"]) for v in written] == [
            ("effective", False),
            ("within_window", True),
            ("on_roll", True),
            ("authorised", True),
            ("in_person_precedence", True),
        ]
