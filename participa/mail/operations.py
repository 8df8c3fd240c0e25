"""Queue an e-mail. The body is rendered in the request (in the reader's language) and written,
with the change that asked for it, to ``mail_messages``; a worker delivers it once that
transaction has committed, and the message stays due until delivered (issue #11)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.core import db
from participa.mail.models import MailMessage, OutboxMessage

RESEND_AFTER = timedelta(minutes=2)  # a message not delivered by then is handed out again
RESEND_BATCH = 200
MAX_ATTEMPTS = 60  # about two days of tries at the sweeper's pace, then it waits for a person


def local_outbox(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """The latest messages of the local outbox (the embedded default's mail backend)."""
    return list(session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars())


def send_email(recipient: str, subject: str, body: str, *, key: str | None = None) -> str:
    """Queue a plain-text message; returns its key. Kept only if the transaction commits. A task
    that may run twice passes a stable ``key``: a message already queued under it is not
    queued again."""
    from participa.mail.tasks import deliver_email

    key = key or uuid.uuid4().hex
    session = db.session()
    exists = session.execute(sa.select(MailMessage.id).where(MailMessage.message_key == key)).scalar()
    if exists is not None:
        return key
    session.add(MailMessage(message_key=key, recipient=recipient, subject=subject[:200], body=body))
    db.after_commit(lambda: _hand_over(deliver_email, key, recipient, subject, body))
    return key


def _hand_over(task: object, *args: str) -> None:
    """Give the message to a worker now if the broker answers; if not, the sweeper will."""
    import logging

    try:
        task.delay(*args)  # type: ignore[attr-defined]
    except Exception as error:  # an unreachable broker raises many kinds
        logging.getLogger(__name__).warning("mail: not handed to a worker now (%s); the sweeper will", error)


def mark_sent(session: Session, key: str, now: datetime) -> None:
    """Delivered: stamp it and forget the body."""
    session.execute(
        sa.update(MailMessage).where(MailMessage.message_key == key).values(sent_at=now, body="", last_error=None)
    )


def mark_failed(session: Session, key: str, now: datetime, error: str) -> None:
    session.execute(
        sa.update(MailMessage)
        .where(MailMessage.message_key == key, MailMessage.sent_at.is_(None))
        .values(attempts=MailMessage.attempts + 1, last_attempt_at=now, last_error=error[:500])
    )


def due_again(session: Session, now: datetime) -> list[MailMessage]:
    """Messages still undelivered a while after they were queued or last tried, locked so that
    two sweepers share them."""
    return list(
        session.execute(
            sa.select(MailMessage)
            .where(
                MailMessage.sent_at.is_(None),
                MailMessage.attempts < MAX_ATTEMPTS,
                MailMessage.created_at < now - RESEND_AFTER,
                sa.or_(MailMessage.last_attempt_at.is_(None), MailMessage.last_attempt_at < now - RESEND_AFTER),
            )
            .order_by(MailMessage.id)
            .limit(RESEND_BATCH)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
