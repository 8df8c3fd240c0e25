"""Processes: a gunicorn server started and stopped by the benchmark alone, and the CPU time
it, PostgreSQL's backends, the client and the rest of the machine spend during a phase."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn in its own process group, started and stopped by this script only."""

    def __init__(
        self,
        name: str,
        app: str,
        env: dict[str, str],
        args: argparse.Namespace,
        logs: Path,
        extra: list[str] | None = None,
        health: str = "/healthz",
    ) -> None:
        # health: a GET that answers below 500 once the app is up (the baseline's GET /insert
        # answers 405 and writes nothing).
        self.port = free_port()
        self.name = name
        self.log = logs / f"{name}.log"
        self.command = [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
            *(extra or []),
            app,
        ]
        with self.log.open("wb") as handle:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", health)
                if conn.getresponse().status < 500 and len(self.worker_pids()) == args.workers:
                    conn.close()
                    return
                conn.close()
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{name} did not answer within 60 s:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in children.read_text().split()]
        return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers gracefully
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def cpu_seconds(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """Busy CPU time of the whole machine, all cores (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class CpuMeter:
    """CPU seconds spent during a phase by the gunicorn processes, the PostgreSQL backends of the
    scratch database, this client process, and everything else on the machine (other people's
    jobs share these cores: their share is printed so that a perturbed run is visible)."""

    def __init__(self, server: Server, backend_pids: Callable[[], list[int]]) -> None:
        self.server, self.backend_pids = server, backend_pids

    def __enter__(self) -> CpuMeter:
        self.app_pids = [self.server.process.pid, *self.server.worker_pids()]
        self.db_pids = self.backend_pids()
        self.app0, self.db0 = cpu_seconds(self.app_pids), cpu_seconds(self.db_pids)
        self.me0, self.all0, self.t0 = time.process_time(), machine_busy_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.app = cpu_seconds(self.app_pids) - self.app0
        opened = set(self.backend_pids()) - set(self.db_pids)  # connections opened during the phase
        self.db = cpu_seconds(self.db_pids) - self.db0 + cpu_seconds(opened)
        self.me = time.process_time() - self.me0
        self.all = machine_busy_seconds() - self.all0
        self.wall = time.perf_counter() - self.t0

    def text(self, n: int) -> str:
        n = max(n, 1)
        others = max(self.all - self.app - self.db - self.me, 0.0)
        return (
            f"CPU per request: gunicorn {1000 * self.app / n:.2f} ms, PostgreSQL {1000 * self.db / n:.2f} ms, "
            f"client {1000 * self.me / n:.2f} ms; machine {self.all:.1f} of {self.wall * CORES:.1f} core-s busy, "
            f"other processes {others:.1f} core-s"
        )


def loadavg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
