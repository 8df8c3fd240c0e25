"""On the PostgreSQL + Redis leg tasks run in real worker processes, started with the compose
file's command lines; gunicorn and beat start and answer too."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import sqlalchemy as sa
from celery.result import EagerResult
from flask import Flask
from sqlalchemy.orm import Session

from participa.audit import operations as audit
from participa.audit.models import AuditSeal
from participa.mail.models import OutboxMessage
from participa.mail.tasks import deliver_email
from tests.fixtures.processes import compose_command, free_port, process_env, start, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


def test_the_postgres_leg_does_not_run_tasks_eagerly(app: Flask) -> None:
    celery_app = app.extensions["celery"]
    assert app.config["TASKS_EAGER"] is False
    assert celery_app.conf.task_always_eager is False
    assert celery_app.conf.broker_url.startswith("redis://")
    assert app.extensions["participa.engine"].dialect.name == "postgresql"


def test_a_task_is_run_by_a_worker_process(app: Flask, workers) -> None:
    key = f"worker-test-{time.time_ns()}"
    with app.app_context():
        result = deliver_email.delay(key, "worker@ejemplo.cl", "Prueba", "Cuerpo")
    assert not isinstance(result, EagerResult), "the task ran in the test process"
    engine = app.extensions["participa.engine"]

    def delivered() -> bool:
        with Session(engine) as s:
            return s.execute(sa.select(OutboxMessage).where(OutboxMessage.message_key == key)).scalar() is not None

    wait_for(delivered, 30, "the worker to deliver the e-mail", workers["worker"])


def test_redelivered_mail_task_stores_the_message_once(app: Flask, workers) -> None:
    key = f"twice-{time.time_ns()}"
    with app.app_context():
        deliver_email.delay(key, "dos@ejemplo.cl", "Dos veces", "Cuerpo")
        deliver_email.delay(key, "dos@ejemplo.cl", "Dos veces", "Cuerpo")
    engine = app.extensions["participa.engine"]

    def count() -> int:
        with Session(engine) as s:
            return s.execute(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.message_key == key)
            ).scalar_one()

    wait_for(lambda: count() >= 1, 30, "delivery", workers["worker"])
    time.sleep(1.5)
    assert count() == 1


def test_gunicorn_command_line_serves_healthz(app: Flask, tmp_path) -> None:
    command = compose_command("web")
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    web = start("web", command, process_env(app), tmp_path)
    try:
        body: dict[str, str] = {}

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body.update(json.loads(response.read()))
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, 30, "gunicorn to answer /healthz", web)
        assert body == {"database": "ok", "broker": "ok", "status": "ok"}
    finally:
        web.stop()


def test_beat_schedules_sealing_of_new_audit_events(app: Flask, workers, tmp_path) -> None:
    engine = app.extensions["participa.engine"]
    with app.app_context(), Session(engine) as s:
        event = audit.record("test.beat", actor=None, object_type="test", session=s)
        s.commit()
        event_id = event.id
    command = compose_command("beat")
    command[command.index("--schedule") + 1] = str(tmp_path / "beat-schedule")
    beat = start("beat", command, process_env(app), tmp_path)
    try:

        def sealed() -> bool:
            with Session(engine) as s:
                return s.get(AuditSeal, event_id) is not None

        wait_for(sealed, 45, "beat + worker to seal the event", beat)
    finally:
        beat.stop()
