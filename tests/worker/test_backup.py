"""The README's backup and restore procedure, run as written (scripts/backup.sh and
scripts/restore.sh), into a fresh PostgreSQL cluster of its own (issue #11): the audit log still
verifies, every result keeps its hash, the uploaded files come back, and events written after
the restore are sealed although the new cluster's transaction ids start again below the seal
cursor."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.audit import operations as audit
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.config import ROOT
from participa.core import db, migrations
from participa.core.db import utcnow
from participa.registry.models import Representation
from participa.voting.models import TallyResult
from tests.fixtures.services import PrivatePostgres
from tests.worker.test_faults import another_app

pytestmark = [pytest.mark.postgres, pytest.mark.commits]


def _seal_everything() -> None:
    while audit.seal(db.session()).sealed:
        db.session.commit()
    db.session.commit()


def test_backup_restored_into_a_fresh_cluster_verifies_and_keeps_sealing(
    app: Flask, owner_engine: sa.Engine, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    source_url = owner_engine.url.set(database="participa_backup_source", drivername="postgresql").render_as_string(
        hide_password=False
    )
    with owner_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        admin.exec_driver_sql("DROP DATABASE IF EXISTS participa_backup_source WITH (FORCE)")
        admin.exec_driver_sql("CREATE DATABASE participa_backup_source")
    source_instance = tmp_path / "source"
    with (
        another_app(app, source_instance, DATABASE_URL=source_url, REDIS_URL=None, TASKS_EAGER=True) as source,
        source.app_context(),
    ):
        migrations.upgrade(source)
        from participa.demo import load_demo

        load_demo(db.session())  # closed consultations with results, documents on disk
        db.session.commit()
        _seal_everything()
        results = dict(db.session.execute(sa.select(TallyResult.consultation_id, TallyResult.sha256)).all())
        documents = {
            r.document_stored: r.document_sha256 for r in db.session.execute(sa.select(Representation)).scalars()
        }
        assert results and documents
        db.session.remove()

    backup = tmp_path / "backup"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "backup.sh"), source_url, str(source_instance), str(backup)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    private_postgres.psql("postgres", "CREATE DATABASE participa")
    restored_url = private_postgres.url("participa")
    restored_instance = tmp_path / "restored"
    restore = subprocess.run(
        ["bash", str(ROOT / "scripts" / "restore.sh"), restored_url, str(restored_instance), str(backup)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "Cadena íntegra" in restore.stdout

    with (
        another_app(app, restored_instance, DATABASE_URL=restored_url, REDIS_URL=None, TASKS_EAGER=True) as again,
        again.app_context(),
    ):
        session = db.session()
        assert audit.verify(session).ok
        for consultation_id, sha256 in results.items():
            stored = session.execute(
                sa.select(TallyResult).where(TallyResult.consultation_id == consultation_id)
            ).scalar_one()
            assert stored.sha256 == sha256 == hashlib.sha256(stored.canonical_json.encode()).hexdigest()
        for stored_name, sha256 in documents.items():
            path = restored_instance / "uploads" / "representations" / stored_name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256

        # Life goes on after the restore: new events are sealed, and verify still passes.
        blocks_before = session.execute(sa.select(sa.func.count()).select_from(AuditBlock)).scalar_one()
        cursor = session.execute(sa.select(sa.func.max(AuditBlock.cursor_txid))).scalar_one()
        current = session.execute(sa.text("SELECT (pg_current_xact_id()::text)::bigint")).scalar_one()
        assert current < cursor, "a fresh cluster's transaction ids start below the restored cursor"
        for n in range(3):
            audit.record("backup.test_event", actor=None, object_type="test", object_id=n, session=session)
        session.commit()
        _seal_everything()
        unsealed = session.execute(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(~sa.exists().where(AuditSeal.event_id == AuditEvent.id))
        ).scalar_one()
        assert unsealed == 0
        assert session.execute(sa.select(sa.func.count()).select_from(AuditBlock)).scalar_one() > blocks_before
        assert audit.verify(session, now=utcnow()).ok
        db.session.remove()
    with owner_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        admin.exec_driver_sql("DROP DATABASE IF EXISTS participa_backup_source WITH (FORCE)")
