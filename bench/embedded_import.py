"""Benchmark: a 150,000-row registry upload on the embedded default (SQLite, no broker; issue #16).

    .venv/bin/python bench/embedded_import.py [--rows 150000] [--readers 2]

A fresh SQLite file with the default configuration (imports run after the response, on the
process's background thread). A curator uploads the file through the application (Flask's
test client: the whole request, the file stored and checked, the batch queued); meanwhile
``--readers`` threads load the home page, the public directory and the catalogue back to back,
and the curator's status request is polled every 0.2 s. Printed: the upload's response time
(target under a second), the import's duration and rows per second, the progress seen, and the
page loads during the import: how many, how many failed (target none), their latency.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib.stats import nearest_rank as percentile  # noqa: E402 (as the dashboard's figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args()

    from participa import create_app
    from participa.core import db, migrations
    from participa.territory.operations import load_comunas
    from tests.fixtures.accounts import create_user, csrf_token, login
    from tests.fixtures.registry import csv_bytes, row, rut

    folder = Path(tempfile.mkdtemp(prefix="participa-bench-embedded-"))
    app = create_app({"SECRET_KEY": "bench-embedded", "DATABASE_URL": f"sqlite:///{folder / 'participa.db'}",
                      "REDIS_URL": None, "TASKS_EAGER": True, "SERVER_NAME": "participa.test"})  # fmt: skip
    app.instance_path = str(folder / "instance")
    with app.app_context():
        migrations.upgrade(app)
        load_comunas(db.session())
        curator = create_user(db.session(), roles=["curator"])
        db.session.commit()
        db.session.expunge(curator)
        db.session.remove()
    data = csv_bytes([row(rut(60_000_000 + i), name=f"Organización {i}") for i in range(args.rows)])
    print(f"setup: {args.rows:,} rows, {len(data) / 1e6:.1f} MB ({platform.machine()}, {os.cpu_count()} cores)")

    browser = app.test_client()
    with app.app_context():
        login(browser, curator)
    token = csrf_token(browser, "/catastro/importaciones")
    loads: list[tuple[float, int]] = []
    done = threading.Event()

    def reader() -> None:
        visitor = app.test_client()
        while not done.is_set():
            for path in ("/", "/organizaciones", "/datos"):
                began = time.perf_counter()
                status = visitor.get(path).status_code
                loads.append(((time.perf_counter() - began) * 1000, status))

    began = time.perf_counter()
    response = browser.post(
        "/catastro/importaciones",
        data={"csrf_token": token, "file": (io.BytesIO(data), "catastro.csv")},
        content_type="multipart/form-data",
    )
    answered = time.perf_counter() - began
    assert response.status_code == 302, response.status_code
    batch_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    readers = [threading.Thread(target=reader) for _ in range(args.readers)]
    for thread in readers:
        thread.start()
    seen = []
    while True:
        state = browser.get(f"/catastro/importaciones/{batch_id}/estado").get_json()
        seen.append((time.perf_counter() - began, state["rows_processed"]))
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    finished = time.perf_counter() - began
    done.set()
    for thread in readers:
        thread.join()
    print(f"upload answered in {answered:.2f} s (target under 1 s): {'met' if answered < 1 else 'missed'}")
    print(f"import {state['status']} in {finished:.1f} s, {args.rows / finished:,.0f} rows/s; "
          f"accepted {state['accepted']:,}, rejected {state['rejected']:,}")  # fmt: skip
    steps = [f"{t:.0f}s:{n:,}" for t, n in seen[:: max(1, len(seen) // 8)]]
    print(f"progress seen {len(seen)} times, advancing: {', '.join(steps)}")
    latencies = [ms for ms, _ in loads]
    failed = sum(1 for _, status in loads if status != 200)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(
        f"page loads during the import: {len(loads)}, failed {failed} (target none); "
        f"latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(latencies):.0f} ms"
    )


if __name__ == "__main__":
    main()
