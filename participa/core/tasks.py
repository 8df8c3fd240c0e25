from __future__ import annotations

from celery import shared_task

from participa.core import db, outbox
from participa.core.db import utcnow


@shared_task(name="outbox.publish", ignore_result=True)
def publish_outbox() -> int:
    """Beat, every few seconds: publish every committed task the broker missed (issue #11)."""
    session = db.session()
    published = outbox.sweep(session, utcnow())
    session.commit()
    return published
