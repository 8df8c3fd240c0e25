from __future__ import annotations

from celery import shared_task

from participa.audit import operations
from participa.core import db


@shared_task(name="audit.seal", ignore_result=True)
def seal_task() -> int:
    """Seal pending audit events (Celery beat runs it every few seconds). Re-running is safe."""
    total = 0
    while True:
        result = operations.seal(db.session())
        db.session.commit()
        total += result.sealed
        if result.sealed < operations.SEAL_BATCH:
            return total
