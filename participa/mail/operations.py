"""Queue an e-mail. The body is rendered in the request (in the reader's language); a worker
delivers it once the transaction that asked for it has committed."""

from __future__ import annotations

import uuid

from participa.core import db


def send_email(recipient: str, subject: str, body: str, *, key: str | None = None) -> str:
    """Queue a plain-text message; returns its key. Sent only if the transaction commits. A
    task that may run twice passes a stable ``key`` so that the message is delivered once."""
    from participa.mail.tasks import deliver_email

    key = key or uuid.uuid4().hex
    db.after_commit(lambda: deliver_email.delay(key, recipient, subject, body))
    return key
