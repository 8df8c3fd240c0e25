"""The audit log: append in the caller's transaction, seal into hash-linked blocks, verify and
name the first broken link, refuse UPDATE and DELETE in the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from participa.audit import operations as audit
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.core import db


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
def tampering(app: Flask) -> Iterator[sa.Connection]:
    """A transaction with the append-only triggers switched off, rolled back at the end: what
    someone with direct database access could do."""
    engine = app.extensions["participa.engine"]
    with engine.connect() as connection:
        transaction = connection.begin()
        if engine.dialect.name == "postgresql":
            for table in ("audit_events", "audit_seals"):
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        try:
            yield connection
        finally:
            transaction.rollback()


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


def test_verify_names_the_first_tampered_event(app: Flask, real_session: Session) -> None:
    ids = _append(real_session, 3)
    _seal_all(real_session)
    victim = ids[1]
    with tampering(app) as connection, Session(bind=connection) as inspector:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.id == victim).values(payload={"n": 999}))
        result = audit.verify(inspector)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.event_id == victim
    block_of_victim = real_session.execute(
        sa.select(AuditSeal.block_id).where(AuditSeal.event_id == victim)
    ).scalar_one()
    assert result.first_break.block_id == block_of_victim


def test_verify_reports_a_deleted_sealed_event(app: Flask, real_session: Session) -> None:
    ids = _append(real_session, 2)
    _seal_all(real_session)
    with tampering(app) as connection, Session(bind=connection) as inspector:
        if connection.dialect.name == "postgresql":
            # The seal's foreign key protects the event; remove the constraint's guard too.
            connection.exec_driver_sql("SET session_replication_role = replica")
        connection.execute(sa.delete(AuditEvent).where(AuditEvent.id == ids[0]))
        result = audit.verify(inspector)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.event_id == ids[0]


def test_cli_verify_exits_nonzero_and_names_the_broken_link(app: Flask, real_session: Session) -> None:
    ids = _append(real_session, 2)
    _seal_all(real_session)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "Cadena íntegra" in clean.output

    with tampering(app) as connection:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.id == ids[0]).values(action="otra.cosa"))
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            broken = runner.invoke(args=["audit", "verify"])
        finally:
            db.session.remove()
            db.session.configure(bind=None)
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
def test_database_refuses_changes_to_the_log(app: Flask, real_session: Session, statement: str) -> None:
    _append(real_session, 1)
    _seal_all(real_session)
    engine = app.extensions["participa.engine"]
    with engine.connect() as connection, connection.begin(), pytest.raises(sa.exc.DatabaseError) as refused:
        connection.exec_driver_sql(statement)
    assert "append-only" in str(refused.value)


@pytest.mark.postgres
def test_postgresql_refuses_truncate_of_the_log(app: Flask) -> None:
    engine = app.extensions["participa.engine"]
    with engine.connect() as connection, connection.begin(), pytest.raises(sa.exc.DatabaseError) as refused:
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
