"""Benchmark: the public commitments dashboard at 80 commitments with 20 versions each (issue #14).

    .venv/bin/python bench/dashboard.py [--versions 20] [--requests 400] [--rounds 4]

Setup (scratch database participa_bench_dashboard on PostgreSQL, recreated and migrated): the 52
comunas and the 80 commitments loaded as production loads them (one first version each), then
19 more versions per commitment written by the real ``update_commitment`` (statuses, comunas,
milestones, figures changing), so the versions table holds 1,600 rows, spread over the past
year so that the "over time" chart has twelve months to draw.

Measured in-process through Flask's test client (the whole request: routing, the queries, the
compliance now and at every month's end, the template and its SVG charts), in alternating rounds:
(a) ``GET /compromisos`` and (b) a baseline, ``GET /compromisos/verificar`` (the same layout, a
form, no query of the record). Printed: SQL statements per dashboard request (target at most 10),
latency percentiles of each, the dashboard's p95 (target under 50 ms) and its ratio to the
baseline's p95. One process, one request at a time: the latency of an idle server; a production
worker serves several at once on more cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib.stats import nearest_rank as percentile  # noqa: E402 (one measured value)


def setup(database_url: str, versions: int, seed: int):
    import sqlalchemy as sa

    from participa import create_app
    from participa.commitments import operations
    from participa.commitments.operations import load_commitments
    from participa.core import db, migrations
    from participa.core.db import utcnow
    from participa.territory.operations import load_comunas
    from tests.conftest import _recreate_postgres_database
    from tests.fixtures.accounts import create_user

    _recreate_postgres_database(database_url)
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench-dashboard", "REDIS_URL": None, "TASKS_EAGER": True}
    )
    app.instance_path = tempfile.mkdtemp(prefix="participa-bench-dashboard-")
    rng = random.Random(seed)
    started = time.perf_counter()
    with app.app_context():
        migrations.upgrade(app)
        session = db.session()
        load_comunas(session)
        load_commitments(session)
        session.commit()
        staff = create_user(session, roles=["programme_staff"])
        commitments = operations.list_commitments(session)
        cuts = [13101, 13110, 13119, 13120, 13128, 13201, 13605]
        start = utcnow() - timedelta(days=365)
        statuses = ["in_progress", "fulfilled", "not_started", "deprioritised"]
        for step in range(1, versions):
            moment = start + timedelta(days=step * 360 // versions)
            for commitment in commitments:
                change = {
                    "status": rng.choice(statuses),
                    "beneficiaries": rng.randrange(100, 100_000),
                    "comunas": sorted(rng.sample(cuts, rng.randrange(0, 3))),
                }
                try:
                    operations.update_commitment(
                        session, actor=staff, commitment=commitment, change=change, reason=f"Avance {step}", now=moment
                    )
                except operations.CommitmentError:
                    operations.update_commitment(
                        session,
                        actor=staff,
                        commitment=commitment,
                        change={"beneficiaries": (commitment.beneficiaries or 0) + 1},
                        reason=f"Avance {step}",
                        now=moment,
                    )
            session.commit()
        count = session.execute(sa.text("SELECT count(*) FROM commitment_versions")).scalar_one()
        db.session.remove()
    return app, count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    url = os.environ.get(
        "BENCH_DASHBOARD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_dashboard"
    )
    import sqlalchemy as sa

    app, versions, seconds = setup(url, args.versions, args.seed)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"setup: {versions} versions of 80 commitments in {seconds:.1f} s ({machine})")
    engine = app.extensions["participa.engine"]
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    for path in ("/compromisos", "/compromisos/verificar"):  # warm up: templates, pool, caches
        for _ in range(20):
            assert client.get(path).status_code == 200
    statements.clear()
    client.get("/compromisos")
    per_request = len(statements)
    timings: dict[str, list[float]] = {"/compromisos": [], "/compromisos/verificar": []}
    for _round in range(args.rounds):
        for path, values in timings.items():
            for _ in range(args.requests // args.rounds):
                began = time.perf_counter()
                response = client.get(path)
                values.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
    dash, base = timings["/compromisos"], timings["/compromisos/verificar"]
    print(f"SQL statements per dashboard request: {per_request} (target at most 10)")
    for name, values in (("dashboard", dash), ("baseline (verification form)", base)):
        print(
            f"{name}: n={len(values)} p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"p99 {percentile(values, 99):.1f} ms"
        )
    p95 = percentile(dash, 95)
    print(
        f"dashboard p95 {p95:.1f} ms (target under 50 ms): {'met' if p95 < 50 else 'missed'}; "
        f"{p95 / percentile(base, 95):.1f}x the baseline's p95"
    )


if __name__ == "__main__":
    main()
