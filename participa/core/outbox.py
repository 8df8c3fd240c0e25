"""A transactional outbox: a task asked for by a request or a task is written in the same
transaction as the change it follows, and published to the broker after the commit. If the
broker does not answer then, the row stays unpublished and the sweeper (``outbox.publish``, run
by beat every few seconds) publishes it once the broker is back: nothing committed ever waits
for a task that was lost (issue #11). Every task is written to be safe to run twice, since a
row whose publication succeeded but could not be marked is published again.

In embedded mode (no broker) the task runs in-process right after the commit, as before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from participa.core import background, db
from participa.core.db import Base, utcnow

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
SWEEP_MIN_AGE = timedelta(seconds=3)  # leave the request's own publication a moment first
PENDING_KEY = "outbox_rows"


class QueuedTask(Base):
    """One task to publish: its name and arguments, and when it reached the broker."""

    __tablename__ = "task_outbox"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(100))
    args: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index(
            "ix_task_outbox_pending",
            "id",
            sqlite_where=sa.text("published_at IS NULL"),
            postgresql_where=sa.text("published_at IS NULL"),
        ),
    )


def enqueue(task: str, *args: Any, session: Session | None = None) -> None:
    """Ask for ``task(*args)`` in the current transaction: it is published once the transaction
    commits (now if the broker answers, else by the sweeper), never if it rolls back."""
    sess = session or db.session()
    row = QueuedTask(task=task, args=list(args))
    sess.add(row)
    sess.info.setdefault(PENDING_KEY, []).append(row)
    if sess is db.session():
        db.after_commit(publish_committed, once=True)


def publish_committed() -> None:
    """After a commit: publish the rows that transaction added (best effort)."""
    sess = db.session()
    rows = sess.info.pop(PENDING_KEY, [])
    if not rows:
        return
    published = []
    for row in rows:
        if not _publish(row.task, row.args):
            break  # the broker is down: the sweeper takes the rest
        published.append(row.id)
    if published:
        _mark_published(sess, published)


def _publish(task: str, args: list[Any]) -> bool:
    celery_app = current_app.extensions["celery"]
    if background.runs_in_background(task):
        background.runner().submit(task, args)  # after the response, on the embedded default
        return True
    if current_app.config["TASKS_EAGER"]:
        celery_app.tasks[task].apply(args=args, throw=True)
        return True
    try:
        celery_app.send_task(task, args=args)
    except Exception as error:  # the broker is unreachable: kombu and redis raise many kinds
        log.warning("outbox: %s not published now (%s); the sweeper will publish it", task, error)
        return False
    return True


def _mark_published(sess: Session, ids: list[int]) -> None:
    try:
        sess.execute(sa.update(QueuedTask).where(QueuedTask.id.in_(ids)).values(published_at=utcnow()))
        sess.commit()
    except sa.exc.SQLAlchemyError:  # published but not marked: published again later, harmlessly
        sess.rollback()
        log.warning("outbox: %d published tasks not marked; they will be published again", len(ids))


def sweep(session: Session, now: datetime) -> int:
    """Publish every committed task still waiting (oldest first, locked so that two sweepers
    share the work); stop at the first refusal of the broker. Returns how many were published."""
    rows = list(
        session.execute(
            sa.select(QueuedTask)
            .where(QueuedTask.published_at.is_(None), QueuedTask.created_at < now - SWEEP_MIN_AGE)
            .order_by(QueuedTask.id)
            .limit(SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    published = 0
    for row in rows:
        row.attempts += 1
        if not _publish(row.task, row.args):
            row.last_error = "broker unavailable"
            break
        row.published_at = utcnow()
        published += 1
    session.flush()
    return published


def pending(session: Session) -> int:
    return session.execute(
        sa.select(sa.func.count()).select_from(QueuedTask).where(QueuedTask.published_at.is_(None))
    ).scalar_one()
