"""Long tasks on the embedded default, after the response (issue #16).

With no broker (``TASKS_EAGER``) a task runs in the request that queued it, which is right for
short ones (an e-mail, a seal) but made a 150,000-row registry upload wait a minute for its own
import, its progress page useless. The tasks named in ``BACKGROUND_TASKS`` run instead on one
thread of the process, one after another, each in its own application context and session, as
a worker would run them: the upload answers at once and the progress page advances. Nothing
else changes: with a broker, Celery's workers run every task.

A process that stops takes its queue with it; what was queued is resumed when someone next asks
about it (:func:`ensure`), because the tasks it runs resume from what they committed.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from flask import Flask, current_app

from participa.core import db

log = logging.getLogger(__name__)
EXTENSION = "participa.background"


class Runner:
    """One thread that runs queued tasks in order, in the application's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.waiting: set[tuple[str, tuple[Any, ...]]] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, task: str, args: list[Any] | tuple[Any, ...]) -> None:
        key = (task, tuple(args))
        with self.lock:
            self.waiting.add(key)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="participa-background", daemon=True)
                self.thread.start()
        self.queue.put(key)

    def busy_with(self, task: str, args: list[Any] | tuple[Any, ...]) -> bool:
        with self.lock:
            return (task, tuple(args)) in self.waiting

    def join(self) -> None:
        """Wait until every queued task has run (tests, the command line)."""
        self.queue.join()

    def _run(self) -> None:
        while True:
            key = self.queue.get()
            task, args = key
            try:
                with self.app.app_context():
                    try:
                        self.app.extensions["celery"].tasks[task].apply(args=list(args), throw=True)
                    except Exception:  # logged; the task resumes from its last commit when asked again
                        log.exception("background task %s%r failed", task, args)
                    finally:
                        db.session.remove()
            finally:
                with self.lock:
                    self.waiting.discard(key)
                self.queue.task_done()


def runner(app: Flask | None = None) -> Runner:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = Runner(app)
    return found


def runs_in_background(task: str) -> bool:
    return bool(current_app.config["TASKS_EAGER"]) and task in current_app.config["BACKGROUND_TASKS"]


def ensure(task: str, *args: Any) -> None:
    """Queue ``task(*args)`` again on the embedded default if this process is not already on it
    (a restart lost its queue): for unfinished work someone is looking at."""
    if runs_in_background(task) and not runner().busy_with(task, args):
        runner().submit(task, args)
