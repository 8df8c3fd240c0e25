"""Benchmark: open data at 100,000 organisations on PostgreSQL (issue #15).

    .venv/bin/python bench/opendata.py [--orgs 100000] [--rounds 3] [--clients 20] [--seconds 10]

Setup: a scratch database (participa_bench_opendata, recreated and migrated), the 52 comunas and
``--orgs`` verified organisations with every public column filled (written by COPY).

1. The organisations CSV, ``GET /datos/organizaciones.csv``, streamed in full in-process through
   the WSGI application (routing, the rate limit, the paged reads, formula neutralising, the CSV
   writer), beside a raw ``COPY (SELECT the same columns ...) TO STDOUT`` read in full over a
   psycopg connection, in alternating rounds. Printed: seconds and MB of each, their ratio
   (target: the CSV within 3 times COPY), and the Python heap's peak while streaming
   (tracemalloc, a separate pass) beside the file's size: flat memory means a peak set by the
   page size, not by the file.
2. The API: gunicorn (``--workers`` x ``--threads``, gthread) and ``--clients`` concurrent
   keep-alive clients (one asyncio loop in this process) asking for pages of 100 organisations
   at random cursors, ``GET /api/v1/organizaciones?limite=100&cursor=N``, alternating with the
   same clients on a baseline, ``GET /healthz`` (the same server, no query of the registry).
   Each for ``--seconds`` back to back (the capacity: with every client always waiting, the
   latency is mostly the queue), then paced at ``--share`` of that capacity (the latency a
   user sees on a server that is not saturated). Printed: capacity and latency percentiles of
   each, the API's p95 at that share (target under 50 ms) and its ratio to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib.http import Connection  # noqa: E402
from benchlib.procs import Server  # noqa: E402
from benchlib.stats import nearest_rank as percentile  # noqa: E402 (as the dashboard's figures)

from participa.core.rut import check_digit  # noqa: E402

# The same columns as the CSV, in its order (participa.registry.queries.public_item).
COPY_QUERY = """COPY (SELECT o.rut, o.legal_name, o.registry_number, o.org_type, o.comuna_cut, c.name, o.address,
  o.members_count, o.board_term_start, o.board_term_end, o.status, o.status_changed_at
  FROM organisations o JOIN comunas c ON c.cut = o.comuna_cut WHERE o.status <> 'pending' ORDER BY o.id)
  TO STDOUT WITH (FORMAT csv, DELIMITER ';', HEADER)"""
TYPES = ("junta_vecinos", "funcional", "union_comunal", "asociacion", "fundacion", "corporacion", "otra")
WORDS = ("Villa", "Población", "Esperanza", "Los Aromos", "El Peñón", "Santa Rosa", "Las Acacias", "Nueva Aurora")


def organisation_rows(count: int, cuts: list[int], seed: int):
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(count):
        body = 65_000_000 + i
        name = f"{rng.choice(('Junta de Vecinos', 'Club Deportivo', 'Centro Cultural'))} {rng.choice(WORDS)} {i}"
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        yield (
            f"{body}-{check_digit(body)}", name, name.lower(), f"R-{i}", rng.choice(TYPES), rng.choice(cuts),
            f"Pasaje {rng.choice(WORDS)} {rng.randrange(1, 3000)}", rng.randrange(15, 900), start,
            start + timedelta(days=3 * 365), "verified", now, now, now,
        )  # fmt: skip


def setup(url: str, orgs: int, seed: int):
    import psycopg
    import sqlalchemy as sa

    from participa import create_app
    from participa.core import db, migrations
    from participa.territory.operations import load_comunas
    from tests.conftest import _recreate_postgres_database

    _recreate_postgres_database(url)
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-opendata", "REDIS_URL": None, "TASKS_EAGER": True,
         "RATELIMIT_ENABLED": False}
    )  # fmt: skip
    app.instance_path = tempfile.mkdtemp(prefix="participa-bench-opendata-")
    started = time.perf_counter()
    with app.app_context():
        migrations.upgrade(app)
        load_comunas(db.session())
        db.session.commit()
        cuts = list(db.session.execute(sa.text("SELECT cut FROM comunas")).scalars())
        db.session.remove()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        columns = (
            "rut, legal_name, name_folded, registry_number, org_type, comuna_cut, address, members_count, "
            "board_term_start, board_term_end, status, status_changed_at, created_at, updated_at"
        )
        with cur.copy(f"COPY organisations ({columns}) FROM STDIN") as copy:
            for row in organisation_rows(orgs, cuts, seed):
                copy.write_row(row)
        cur.execute("ANALYZE organisations")
    return app, time.perf_counter() - started


def stream_csv(client) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.get("/datos/organizaciones.csv", buffered=False)
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.iter_encoded())
    response.close()
    return time.perf_counter() - began, size


def raw_copy(url: str) -> tuple[float, int]:
    import psycopg

    query = COPY_QUERY
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        began = time.perf_counter()
        size = 0
        with cur.copy(query) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - began, size


def csv_phase(app, url: str, rounds: int) -> None:
    client = app.test_client()
    stream_csv(client)  # warm up
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(stream_csv(client))
        theirs.append(raw_copy(url))
    best_ours = min(t for t, _ in ours)
    best_copy = min(t for t, _ in theirs)
    print(
        f"CSV through the app: {', '.join(f'{t:.2f}' for t, _ in ours)} s ({ours[0][1] / 1e6:.1f} MB); "
        f"raw COPY: {', '.join(f'{t:.2f}' for t, _ in theirs)} s ({theirs[0][1] / 1e6:.1f} MB)"
    )
    ratio = best_ours / best_copy
    print(f"best of each: {best_ours:.2f} s vs {best_copy:.2f} s, {ratio:.1f}x COPY (target within 3x): "
          f"{'met' if ratio <= 3 else 'missed'}")  # fmt: skip
    tracemalloc.start()
    _t, size = stream_csv(client)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Python heap peak while streaming {size / 1e6:.1f} MB of CSV: {peak / 1e6:.1f} MB")


async def clients_phase(port: int, paths: list[str], clients: int, seconds: float, rate: float | None = None):
    """``clients`` keep-alive connections asking for ``seconds``: back to back (``rate`` None:
    the server's capacity) or paced at ``rate`` requests per second in all, each client waiting
    a random (exponential) time between requests. Latencies in ms, statuses, elapsed seconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    rng = random.Random(7)

    async def one() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < stop:
                if rate:
                    await asyncio.sleep(rng.expovariate(rate / clients))
                began = time.perf_counter()
                response = await conn.request("GET", rng.choice(paths))
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        finally:
            await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return latencies, statuses, time.perf_counter() - began


def measure(port: int, paths: list[str], args: argparse.Namespace, rate: float | None) -> tuple[list[float], float]:
    latencies, statuses, elapsed = asyncio.run(clients_phase(port, paths, args.clients, args.seconds, rate))
    assert set(statuses) == {200}, statuses
    return latencies, len(latencies) / elapsed


def api_phase(url: str, orgs: int, args: argparse.Namespace) -> None:
    env = {
        **os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-opendata", "REDIS_URL": "", "TASKS_EAGER": "true",
        "RATELIMIT_ENABLED": "false", "PARTICIPA_INSTANCE": tempfile.mkdtemp(prefix="participa-bench-opendata-"),
    }  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="participa-bench-opendata-logs-"))
    server = Server("opendata", "wsgi:app", env, args, logs)
    rng = random.Random(15)
    targets = {
        "api": [f"/api/v1/organizaciones?limite=100&cursor={rng.randrange(orgs - 100)}" for _ in range(2000)],
        "baseline": ["/healthz"],
    }
    try:
        asyncio.run(clients_phase(server.port, targets["api"], args.clients, 2))  # warm up
        full = {name: [] for name in targets}
        paced = {name: [] for name in targets}
        rates = {name: [] for name in targets}
        for _round in range(args.rounds):
            for name, paths in targets.items():
                latencies, rate = measure(server.port, paths, args, None)
                full[name] += latencies
                rates[name].append(rate)
                latencies, _rate = measure(server.port, paths, args, rate * args.share)
                paced[name] += latencies
        for name in targets:
            capacity = sum(rates[name]) / len(rates[name])
            print(
                f"{name}: capacity {capacity:.0f} requests/s with {args.clients} clients back to back "
                f"(p50 {percentile(full[name], 50):.1f}, p95 {percentile(full[name], 95):.1f} ms); "
                f"at {args.share:.0%} of it: p50 {percentile(paced[name], 50):.1f}, "
                f"p95 {percentile(paced[name], 95):.1f}, p99 {percentile(paced[name], 99):.1f} ms "
                f"(n={len(paced[name])})"
            )
        p95 = percentile(paced["api"], 95)
        print(
            f"API page of 100, {args.clients} clients at {args.share:.0%} of capacity: p95 {p95:.1f} ms "
            f"(target under 50 ms): {'met' if p95 < 50 else 'missed'}; "
            f"{p95 / percentile(paced['baseline'], 95):.1f}x the baseline's p95 at the same share"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--share", type=float, default=0.5, help="share of capacity for the latency figures")
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_OPENDATA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_opendata")
    app, seconds = setup(url, args.orgs, args.seed)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"setup: {args.orgs:,} organisations in {seconds:.1f} s ({machine})")
    csv_phase(app, url, args.rounds)
    if not args.skip_api:
        api_phase(url, args.orgs, args)


if __name__ == "__main__":
    main()
