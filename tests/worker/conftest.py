"""Real processes for the PostgreSQL + Redis leg: the command lines of docker-compose.yml
(gunicorn, Celery workers, beat) started against the test database and broker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"][service]["command"]
    assert isinstance(command, list), f"{service}: keep the command a YAML list"
    return list(command)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(app: Flask) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PARTICIPA_ENV": "development",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "AUDIT_SEAL_INTERVAL": "1",
            "PATH": f"{BIN}:{env.get('PATH', '')}",
        }
    )
    env.pop("TASKS_EAGER", None)
    env.pop("MAIL_SERVER", None)
    return env


class Running:
    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.process, self.log = name, process, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, command: list[str], env: dict[str, str], logs: Path) -> Running:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Running(name, process, log)


def wait_for(predicate, timeout: float, what: str, running: Running | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if running is not None and running.process.poll() is not None:
            pytest.fail(f"{running.name} exited early:\n{running.output()}")
        time.sleep(0.2)
    detail = f"\n{running.output()}" if running else ""
    pytest.fail(f"timed out waiting for {what}{detail}")


@pytest.fixture(scope="session")
def broker_clean(app: Flask) -> None:
    import redis

    redis.Redis.from_url(app.config["REDIS_URL"]).flushdb()


@pytest.fixture(scope="session")
def workers(app: Flask, broker_clean: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Running]]:
    """Both Celery workers of the compose file, answering pings."""
    logs = tmp_path_factory.mktemp("worker-logs")
    env = process_env(app)
    running = {
        name: start(name, [*compose_command(name), "--hostname", f"{name}@%h"], env, logs)
        for name in ("worker", "worker-long")
    }
    celery_app = app.extensions["celery"]
    try:
        for name, proc in running.items():
            def answered(name: str = name) -> bool:
                replies = celery_app.control.ping(timeout=0.5) or []
                return any(name in key for reply in replies for key in reply)

            wait_for(answered, 60, f"{name} to answer ping", proc)
        yield running
    finally:
        for proc in running.values():
            proc.stop()
