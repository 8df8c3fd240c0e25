"""Celery wired to the application factory.

Reliability settings, and why:
- ``task_acks_late`` with ``task_reject_on_worker_lost``: a task is acknowledged only when it
  has finished, and a worker killed mid-task hands it back to the queue. The price is that a
  task can run twice, so every task in Participa is written to be safe to re-run.
- Redis has no real acknowledgements: an unacknowledged message becomes visible again after
  ``visibility_timeout``. It must exceed the longest task (else a running task is delivered a
  second time), and together with the restore sweep it bounds how long a killed worker's task
  waits: 100 s + 5 s sweep < 2 minutes. Hence hard time limits of 90 s, and long jobs (imports,
  tallies) are split into chunks that each finish well within them.
- ``worker_prefetch_multiplier = 1``: a prefetched message counts against the visibility
  timeout while it waits, so workers take one message at a time.
- JSON only: no pickle on the wire.
- Separate queues: e-mail, default short jobs and long jobs never wait behind one another.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask, has_app_context
from kombu import Queue

from participa.config import QUEUE_DEFAULT, QUEUE_LONG, QUEUE_MAIL

# Which queue each task goes to, by task name; anything else goes to the default queue.
TASK_ROUTES = {
    "mail.*": {"queue": QUEUE_MAIL},
    "registry.import_*": {"queue": QUEUE_LONG},
    "consultations.freeze_roll": {"queue": QUEUE_LONG},
    "consultations.power_index": {"queue": QUEUE_LONG},
    "voting.close_consultation": {"queue": QUEUE_LONG},
}

VISIBILITY_TIMEOUT = 100
UNACKED_RESTORE_INTERVAL = 5
TASK_TIME_LIMIT = 90
TASK_SOFT_TIME_LIMIT = 80


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    """What beat sends and how often: each entry expires when a later one would make it stale."""
    return {
        "accounts-prune-login-attempts": {
            "task": "accounts.prune_login_attempts",
            "schedule": 24 * 3600.0,
            "options": {"queue": QUEUE_DEFAULT, "expires": 3600},
        },
        "consultations-advance-phases": {
            "task": "consultations.advance_phases",
            "schedule": 60.0,
            "options": {"queue": QUEUE_DEFAULT, "expires": 120},
        },
        "audit-seal": {
            "task": "audit.seal",
            "schedule": app.config["AUDIT_SEAL_INTERVAL"],
            "options": {"queue": QUEUE_DEFAULT, "expires": app.config["AUDIT_SEAL_INTERVAL"] * 4},
        },
        "outbox-publish": {
            "task": "outbox.publish",
            "schedule": app.config["OUTBOX_INTERVAL"],
            "options": {"queue": QUEUE_DEFAULT, "expires": app.config["OUTBOX_INTERVAL"] * 4},
        },
        "mail-resend": {
            "task": "mail.resend",
            "schedule": 60.0,
            "options": {"queue": QUEUE_MAIL, "expires": 240},
        },
        "voting-mail-receipts": {
            "task": "voting.mail_receipts",
            "schedule": app.config["RECEIPT_MAIL_INTERVAL"],
            "options": {"queue": QUEUE_DEFAULT, "expires": app.config["RECEIPT_MAIL_INTERVAL"] * 4},
        },
    }


def celery_settings(app: Flask) -> dict[str, Any]:
    broker = app.config["REDIS_URL"] or "memory://"
    return {
        "broker_url": broker,
        "result_backend": None,
        "task_ignore_result": True,
        "task_always_eager": app.config["TASKS_EAGER"],
        "task_eager_propagates": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_time_limit": TASK_TIME_LIMIT,
        "task_soft_time_limit": TASK_SOFT_TIME_LIMIT,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "unacked_restore_interval": UNACKED_RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
        },
        "task_default_queue": QUEUE_DEFAULT,
        "task_routes": TASK_ROUTES,
        "task_queues": (Queue(QUEUE_DEFAULT), Queue(QUEUE_MAIL), Queue(QUEUE_LONG)),
        "task_create_missing_queues": False,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": beat_schedule(app),
    }


def init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # In-process (eager) tasks already run inside the request's context.
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
