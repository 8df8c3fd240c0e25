from __future__ import annotations

import time

from celery import shared_task

from participa.core import db, outbox
from participa.core.celery import TASK_SOFT_TIME_LIMIT
from participa.registry import operations

# Leave the task well inside its time limit; the rest of the file goes to a continuation.
WORK_BUDGET_SECONDS = TASK_SOFT_TIME_LIMIT * 0.6


@shared_task(name="registry.import_batch", ignore_result=True)
def import_batch(batch_id: int) -> None:
    """Import a registry file chunk by chunk, committing each chunk with its progress.

    Re-running is safe: a re-delivered task (worker killed) resumes after the last committed
    chunk. A long file is continued by a new task before the time limit."""
    deadline = time.monotonic() + WORK_BUDGET_SECONDS
    while True:
        result = operations.process_next_chunk(db.session(), batch_id)
        if not result.finished and time.monotonic() > deadline:
            # The rest goes to a continuation, queued with this chunk's commit.
            outbox.enqueue("registry.import_batch", batch_id)
            db.session.commit()
            return
        db.session.commit()
        if result.finished:
            return
