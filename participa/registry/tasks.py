from __future__ import annotations

import time

from celery import shared_task

from participa.core import db, outbox
from participa.core.celery import TASK_SOFT_TIME_LIMIT
from participa.registry import operations

# Leave the task well inside its time limit; the rest of the file goes to a continuation.
WORK_BUDGET_SECONDS = TASK_SOFT_TIME_LIMIT * 0.6
SQLITE_CHUNK_ROWS = 2_000
# Between two chunks on SQLite: longer than the longest sleep of SQLite's busy handler (100 ms),
# so that a request waiting for the lock gets it instead of the next chunk.
SQLITE_PAUSE_SECONDS = 0.15


def _chunk_rows() -> int:
    """Rows per committed chunk. SQLite lets one writer at a time and every request waits for
    the write lock: smaller chunks there keep each wait under a second or so."""
    return operations.CHUNK_ROWS if db.is_postgresql() else SQLITE_CHUNK_ROWS


@shared_task(name="registry.import_batch", ignore_result=True)
def import_batch(batch_id: int) -> None:
    """Import a registry file chunk by chunk, committing each chunk with its progress.

    Re-running is safe: a re-delivered task (worker killed) resumes after the last committed
    chunk. A long file is continued by a new task before the time limit."""
    deadline = time.monotonic() + WORK_BUDGET_SECONDS
    while True:
        result = operations.process_next_chunk(db.session(), batch_id, max_rows=_chunk_rows())
        if not result.finished and time.monotonic() > deadline:
            # The rest goes to a continuation, queued with this chunk's commit.
            outbox.enqueue("registry.import_batch", batch_id)
            db.session.commit()
            return
        db.session.commit()
        if result.finished:
            return
        if not db.is_postgresql():
            time.sleep(SQLITE_PAUSE_SECONDS)  # let the requests waiting for the write lock have it
