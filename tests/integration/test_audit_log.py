"""The audit log: append in the caller's transaction, seal into hash-linked blocks, verify and
name the first broken link, refuse UPDATE and DELETE in the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from participa.audit import operations as audit
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.core import db

AUDIT_TABLES = ("audit_events", "audit_blocks", "audit_seals")


@pytest.fixture()
def real_session(app: Flask) -> Iterator[Session]:
    """A session that really commits (sealing on PostgreSQL only takes finished transactions).
    Audit rows cannot be deleted, so these tests never assume an empty log."""
    with app.app_context(), Session(app.extensions["participa.engine"]) as sess:
        yield sess


def _append(sess: Session, n: int, action: str = "test.event") -> list[int]:
    events = [
        audit.record(
            action, actor=None, object_type="test", object_id=i, payload={"n": i, "texto": "ñandú"}, session=sess
        )
        for i in range(n)
    ]
    sess.commit()
    return [e.id for e in events]


def _seal_all(sess: Session) -> None:
    while audit.seal(sess).sealed:
        sess.commit()
    sess.commit()


@contextmanager
def tampering(owner_engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction of the schema's owner with the append-only triggers switched off, rolled
    back at the end: what someone holding the owner's credentials could do (the application's
    own role may not touch a trigger: test_audit_roles.py)."""
    with owner_engine.connect() as connection:
        transaction = connection.begin()
        if owner_engine.dialect.name == "postgresql":
            for table in AUDIT_TABLES:
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            for table in AUDIT_TABLES:
                connection.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
                connection.exec_driver_sql(f"DROP TRIGGER {table}_no_delete")
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        try:
            yield connection
        finally:
            transaction.rollback()


def rewrite_and_reseal(connection: sa.Connection, event_id: int, payload: dict[str, object]) -> int:
    """Inside :func:`tampering`: rewrite a sealed event, delete its block and every later one and
    seal again with the real sealing code, then switch the triggers back on. The chain then
    verifies as intact. Answers the number of the block that held the event."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # keep the application's sealer out while the chain is rebuilt
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(audit.SEAL_LOCK_KEY)))
    block_id = connection.execute(sa.select(AuditSeal.block_id).where(AuditSeal.event_id == event_id)).scalar_one()
    connection.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(payload=payload))
    connection.execute(sa.delete(AuditSeal).where(AuditSeal.block_id >= block_id))
    connection.execute(sa.delete(AuditBlock).where(AuditBlock.id >= block_id))
    with Session(bind=connection, join_transaction_mode="create_savepoint") as sealer:
        while audit.seal(sealer).sealed:
            pass
        sealer.commit()
    if postgres:
        for table in AUDIT_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    return block_id


@contextmanager
def cli_session_on(connection: sa.Connection) -> Iterator[None]:
    """Commands run inside the test's connection (they see the tampering)."""
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        db.session.configure(bind=None)


def test_sealed_events_verify_and_head_is_the_newest_block(real_session: Session) -> None:
    ids = _append(real_session, 3)
    _seal_all(real_session)
    sealed = real_session.execute(sa.select(AuditSeal.event_id).where(AuditSeal.event_id.in_(ids))).scalars().all()
    assert sorted(sealed) == sorted(ids)
    result = audit.verify(real_session)
    assert result.ok, result.first_break
    newest = real_session.execute(sa.select(AuditBlock).order_by(AuditBlock.id.desc()).limit(1)).scalar_one()
    assert result.head == newest.block_hash


def test_sealing_again_seals_nothing_new(real_session: Session) -> None:
    _append(real_session, 2)
    _seal_all(real_session)
    assert audit.seal(real_session).sealed == 0


def test_each_block_links_to_the_previous_one(real_session: Session) -> None:
    _append(real_session, 1)
    _seal_all(real_session)
    _append(real_session, 1)
    _seal_all(real_session)
    last_two = real_session.execute(sa.select(AuditBlock).order_by(AuditBlock.id.desc()).limit(2)).scalars().all()
    assert last_two[0].previous_hash == last_two[1].block_hash


def test_verify_names_the_first_tampered_event(owner_engine: sa.Engine, real_session: Session) -> None:
    ids = _append(real_session, 3)
    _seal_all(real_session)
    victim = ids[1]
    with tampering(owner_engine) as connection, Session(bind=connection) as inspector:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.id == victim).values(payload={"n": 999}))
        result = audit.verify(inspector)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.event_id == victim
    block_of_victim = real_session.execute(
        sa.select(AuditSeal.block_id).where(AuditSeal.event_id == victim)
    ).scalar_one()
    assert result.first_break.block_id == block_of_victim


def test_verify_reports_a_deleted_sealed_event(owner_engine: sa.Engine, real_session: Session) -> None:
    ids = _append(real_session, 2)
    _seal_all(real_session)
    with tampering(owner_engine) as connection, Session(bind=connection) as inspector:
        if connection.dialect.name == "postgresql":
            # The seal's foreign key protects the event; remove the constraint's guard too.
            connection.exec_driver_sql("SET session_replication_role = replica")
        connection.execute(sa.delete(AuditEvent).where(AuditEvent.id == ids[0]))
        result = audit.verify(inspector)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.event_id == ids[0]


def test_cli_verify_exits_nonzero_and_names_the_broken_link(
    app: Flask, owner_engine: sa.Engine, real_session: Session
) -> None:
    ids = _append(real_session, 2)
    _seal_all(real_session)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "Cadena íntegra" in clean.output

    with tampering(owner_engine) as connection, cli_session_on(connection):
        connection.execute(sa.update(AuditEvent).where(AuditEvent.id == ids[0]).values(action="otra.cosa"))
        broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"evento {ids[0]}" in broken.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "UPDATE audit_blocks SET block_hash = 'x'",
        "DELETE FROM audit_seals",
    ],
)
def test_database_refuses_changes_to_the_log(owner_engine: sa.Engine, real_session: Session, statement: str) -> None:
    """Even the owner's statements are refused by the triggers (the application's role is refused
    before that, by its privileges: test_audit_roles.py)."""
    _append(real_session, 1)
    _seal_all(real_session)
    with owner_engine.connect() as connection, connection.begin(), pytest.raises(sa.exc.DatabaseError) as refused:
        connection.exec_driver_sql(statement)
    assert "append-only" in str(refused.value)


@pytest.mark.postgres
def test_postgresql_refuses_truncate_of_the_log(owner_engine: sa.Engine) -> None:
    with owner_engine.connect() as connection, connection.begin(), pytest.raises(sa.exc.DatabaseError) as refused:
        connection.exec_driver_sql("TRUNCATE audit_events CASCADE")
    assert "append-only" in str(refused.value)


@pytest.mark.postgres
def test_an_event_committed_late_is_sealed_later_never_skipped(app: Flask, real_session: Session) -> None:
    """A transaction that took its id early but commits after a newer one: the sealer must
    wait for it rather than move past it (DESIGN §4: sealing must not lose events)."""
    engine = app.extensions["participa.engine"]
    with Session(engine) as slow:
        early = audit.record("test.slow", actor=None, object_type="test", session=slow)
        slow.flush()  # the slow transaction now holds an id and is still open
        early_id = early.id
        quick_ids = _append(real_session, 1, "test.quick")
        _seal_all(real_session)
        sealed_now = set(real_session.execute(sa.select(AuditSeal.event_id)).scalars())
        assert early_id not in sealed_now
        assert quick_ids[0] not in sealed_now, "a newer transaction was sealed past an open older one"
        slow.commit()
    _seal_all(real_session)
    sealed_after = set(real_session.execute(sa.select(AuditSeal.event_id)).scalars())
    assert {early_id, quick_ids[0]} <= sealed_after
    assert audit.verify(real_session).ok


def test_an_event_rolled_back_with_its_change_leaves_no_trace(session: Session) -> None:
    before = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    audit.record("test.rolled_back", actor=None, object_type="test")
    session.rollback()
    after = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    assert after == before


# --- heads saved by anyone (issue #10: audit anchoring) -------------------------------------------


def _download_blocks(app: Flask) -> str:
    response = app.test_client().get("/auditoria/bloques.json")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_saved_heads_catch_a_rewrite_and_reseal_that_plain_verify_misses(
    app: Flask, owner_engine: sa.Engine, real_session: Session, tmp_path: Path
) -> None:
    """Whoever holds the owner's credentials rewrites a sealed event and re-seals from its block
    on: `flask audit verify` finds an intact chain. A citizen who saved the heads before (the
    JSON download, or one line "block hash") catches it, and the command names the block."""
    ids = _append(real_session, 3)
    _seal_all(real_session)
    _append(real_session, 2)
    _seal_all(real_session)
    victim = ids[1]
    victim_block = real_session.execute(sa.select(AuditSeal.block_id).where(AuditSeal.event_id == victim)).scalar_one()
    victim_hash = real_session.get(AuditBlock, victim_block).block_hash
    real_session.rollback()  # end the read (on SQLite every transaction holds the write lock)

    saved_json = tmp_path / "bloques.json"
    saved_json.write_text(_download_blocks(app), encoding="utf-8")
    saved_line = tmp_path / "cabeza.txt"
    saved_line.write_text(f"# guardada antes\n{victim_block} {victim_hash}\n", encoding="utf-8")

    runner = app.test_cli_runner()
    for path in (saved_json, saved_line):
        before = runner.invoke(args=["audit", "verify", "--heads", str(path)])
        assert before.exit_code == 0, before.output
        assert "coinciden con la cadena" in before.output

    with tampering(owner_engine) as connection, cli_session_on(connection):
        assert rewrite_and_reseal(connection, victim, {"n": 999, "texto": "reescrito"}) == victim_block
        plain = runner.invoke(args=["audit", "verify"])
        assert plain.exit_code == 0, plain.output  # the re-sealed chain looks intact
        assert "Cadena íntegra" in plain.output
        from_json = runner.invoke(args=["audit", "verify", "--heads", str(saved_json)])
        from_line = runner.invoke(args=["audit", "verify", "--heads", str(saved_line)])

    for caught in (from_json, from_line):
        assert caught.exit_code == 1, caught.output
        assert f"Cabeza guardada del bloque {victim_block}: el hash del bloque no coincide con el guardado" in (
            caught.output
        )
        assert victim_hash in caught.output
    # Blocks before the rewritten one still match: only it and later ones are named.
    assert f"bloque {victim_block - 1}:" not in from_json.output
    # Outside the tampering transaction, nothing happened.
    after = runner.invoke(args=["audit", "verify", "--heads", str(saved_json)])
    assert after.exit_code == 0, after.output


def test_cli_verify_heads_names_a_block_that_is_gone(app: Flask, real_session: Session, tmp_path: Path) -> None:
    _append(real_session, 1)
    _seal_all(real_session)
    newest = real_session.execute(sa.select(sa.func.max(AuditBlock.id))).scalar_one()
    real_session.rollback()
    saved = tmp_path / "cabezas.txt"
    saved.write_text(f"{newest + 1000} {'ab' * 32}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--heads", str(saved)])
    assert result.exit_code == 1
    assert f"Cabeza guardada del bloque {newest + 1000}: el bloque ya no existe en la cadena" in result.output


def test_cli_verify_heads_refuses_a_file_it_cannot_read(app: Flask, tmp_path: Path) -> None:
    saved = tmp_path / "cabezas.txt"
    saved.write_text("1 no-es-un-hash\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--heads", str(saved)])
    assert result.exit_code == 2
    assert "línea 1" in result.output


def test_blocks_are_listed_oldest_first_in_chunks_up_to_a_fixed_block(real_session: Session) -> None:
    for _ in range(3):
        _append(real_session, 1)
        _seal_all(real_session)
    total = audit.block_total(real_session)
    assert total == real_session.execute(sa.select(sa.func.count()).select_from(AuditBlock)).scalar_one()
    listed = [row.id for row in audit.iter_blocks(real_session, up_to=total, chunk=2)]
    assert listed == list(range(1, total + 1))
    assert [row.id for row in audit.iter_blocks(real_session, after=total - 2, up_to=total - 1, chunk=2)] == [total - 1]
    newest = audit.blocks_newest_first(real_session, up_to=total, limit=2)
    assert [row.id for row in newest] == [total, total - 1]


def test_verify_fails_on_events_left_unsealed_beyond_the_grace_period(session: Session) -> None:
    """Events are sealed within seconds: one still unsealed long after means sealing stopped (as
    after a restore, issue #11) or an event slipped in past the sealer."""
    from datetime import timedelta

    from participa.core.db import utcnow

    event = audit.record("test.late", actor=None, object_type="test", object_id=1, session=session)
    session.flush()
    fresh = audit.verify(session, now=utcnow())
    assert fresh.first_break is None or fresh.first_break.event_id != event.id, "not yet: within the grace"
    later = audit.verify(session, now=utcnow() + audit.UNSEALED_GRACE + timedelta(minutes=1))
    assert not later.ok
    assert later.first_break is not None and "sin sellar" in later.first_break.reason
