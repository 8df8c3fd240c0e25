from __future__ import annotations

import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from participa.core import db
from participa.core.db import utcnow
from participa.mail import operations
from participa.mail.models import OutboxMessage

# Worth another try: the mail server or the network (SMTP, OSError) or our own database.
TRANSIENT = (smtplib.SMTPException, OSError, sa.exc.OperationalError, sa.exc.InterfaceError)


@shared_task(name="mail.deliver", bind=True, ignore_result=True, max_retries=8)
def deliver_email(self, key: str, recipient: str, subject: str, body: str) -> None:
    """Deliver one message, then mark it sent. Re-running after a crash delivers to the local
    outbox once (keyed); over SMTP the Message-ID carries the key so that a receiving server can
    drop a duplicate. A transient failure is retried with growing waits; past those, the
    message is still due in ``mail_messages`` and the sweeper hands it out again."""
    try:
        _deliver(key, recipient, subject, body)
        operations.mark_sent(db.session(), key, utcnow())
        db.session.commit()
    except TRANSIENT as error:
        db.session.rollback()
        try:
            operations.mark_failed(db.session(), key, utcnow(), f"{type(error).__name__}: {error}")
            db.session.commit()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
        raise self.retry(exc=error, countdown=min(300, 5 * 2**self.request.retries)) from error


def _deliver(key: str, recipient: str, subject: str, body: str) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "outbox":
        exists = db.session.execute(sa.select(OutboxMessage.id).where(OutboxMessage.message_key == key)).scalar()
        if exists is None:
            db.session.add(OutboxMessage(message_key=key, recipient=recipient, subject=subject, body=body))
        return
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{key}@participa>"
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


@shared_task(name="mail.resend", ignore_result=True)
def resend_due() -> int:
    """Beat, every minute: hand every message still undelivered a while after it was queued to
    a worker again (after a broker outage, a worker killed mid-delivery, or retries spent)."""
    session = db.session()
    now = utcnow()
    handed = 0
    for message in operations.due_again(session, now):
        try:
            deliver_email.delay(message.message_key, message.recipient, message.subject, message.body)
        except Exception:  # the broker is still down: try again at the next run
            break
        message.last_attempt_at = now
        handed += 1
    session.commit()
    return handed
