from __future__ import annotations

import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from participa.core import db
from participa.mail.models import OutboxMessage


@shared_task(
    name="mail.deliver",
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=8,
)
def deliver_email(key: str, recipient: str, subject: str, body: str) -> None:
    """Deliver one message. Re-running after a crash delivers to the outbox once (keyed); over
    SMTP the Message-ID carries the key so that a receiving server can drop a duplicate."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "outbox":
        exists = db.session.execute(sa.select(OutboxMessage.id).where(OutboxMessage.message_key == key)).scalar()
        if exists is None:
            db.session.add(OutboxMessage(message_key=key, recipient=recipient, subject=subject, body=body))
            db.session.commit()
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
