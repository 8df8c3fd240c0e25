"""Benchmark: in-person sessions syncing their tablets' queues over HTTP (issue #13): one tablet alone,
then 20 tablets at once, each vote stored once, and the cost of a synced vote beside the online
confirm request, measured on the same server in the same run.

    .venv/bin/python bench/tablet_sync.py [--tablets 20] [--per-tablet 500] [--batch 200]
                                          [--online-alone 300] [--online-votes 1000]
                                          [--workers 4] [--threads 8] [--profile auto|always|never]

Setup (scratch database participa_bench_tablets, recreated and migrated by bench/vote_intake.py's
setup()): one consultation in voting on one project, one representative account per organisation
on the frozen roll (13,370 by default), each given a RUT; a manager plans, and one facilitator opens,
--tablets + 3 sessions with no comuna restriction (20 measured together, two for the tablet alone,
one to warm the server up), each opening returning its package (token, salt, roll with the
representatives' RUT hashes) as the tablet receives it. Each session's queue holds --per-tablet
votes of distinct organisations (no organisation in two queues, nor among the online voters),
built by tests/fixtures/facilitation.py's Tablet, as static/facilitacion/app.js builds them: a
UUID, the organisation, the representative's salted RUT hash (checked to be in the package's roll),
the answers, a sequence number, the device's clock. Participa runs under gunicorn (``wsgi:app``,
gthread, --workers x --threads) with PostgreSQL and REDIS_URL at Redis db 12 (flushed at the end),
the SECRET_KEY the sessions were opened with. Only 127.0.0.1 is used; one asyncio client process
on the same 2 cores (its CPU is printed).

A tablet syncs as the app does: ``POST /facilitacion/api/sesiones/<id>/sincronizar`` with
``Authorization: Bearer <token>`` and ``{"items": [...]}``, --batch items per request, one
request after the other; items answered 503 stay in its queue and are sent again after the pass
(a whole request answered 503 is sent again after its Retry-After).

1. warm-up   the online voters sign in through the real login form (GET, POST with its CSRF
             token: no minted cookie), open the ballot and the review step; a few confirms and a
             few small syncs on 8 connections (each worker loads its code and statement caches).
2. alone     one tablet's queue in one request of --per-tablet items; another tablet's in
             requests of --batch. Target: under 5 s.
3. online    --online-alone confirm POSTs from one client, one after the other (beside 2).
4. together  --tablets tablets at once, each its queue in requests of --batch: total wall time,
             per-request latency, answers 200 / 207 / 503, items retried.
5. online    --online-votes confirm POSTs from --tablets clients at once (beside 4).
6. again     every queue synced a second time (the tablets together, then the others): every
             item must be answered 200 with the receipt of the first time, and no row added but
             one facilitation.synced audit event per request.
Server CPU (gunicorn processes and the scratch database's PostgreSQL backends) is read from
/proc around each phase (vote_intake's CpuMeter); per synced vote and per online confirm.
Checks (exit 1 when one fails): each UUID answered 201 exactly once (any other answer a 503
before it or a 200 after it), with the receipt the tablet computes; the database holds one
in-person ballot per UUID sent, in its session, each with one effective vote per question and
organisation, no vote superseded; one voting.ballot_cast event per ballot and one
facilitation.synced event per answered sync request; the second sync changes nothing else.
When a target is missed (or with --profile always), one sync request is profiled in-process
(Flask test client, same database): its fixed cost, SQL statements per item, cProfile by package.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchlib.http import Connection, Failure, PhaseResult, Response, failures_text, run_phase
from benchlib.procs import CORES, CpuMeter, Server, loadavg
from benchlib.profiling import label_of, package_of
from benchlib.stats import latency_text, percentile
from vote_intake import (
    SECRET_KEY,
    Voter,
    make_jobs,
    sa_host,
    setup,
)

WARM_ITEMS = 40
RUT_BASE = 20_000_000  # a representative's RUT number: RUT_BASE + their place in the shuffled list


# --- the tablet's requests ----------------------------------------------------------------------


class _Appending:
    """A stream writer that appends the owner's pending JSON headers and body to the next request
    head written through it (see TabletConnection)."""

    def __init__(self, stream: asyncio.StreamWriter, owner: TabletConnection) -> None:
        self._stream, self._owner = stream, owner

    def write(self, data: bytes) -> None:
        extra, self._owner.pending = self._owner.pending, b""
        if extra:
            assert data.endswith(b"\r\n\r\n"), "a request without a body"
            data = data[:-2] + extra
        self._stream.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class TabletConnection(Connection):
    """vote_intake's keep-alive connection (it writes forms and cookies), posting JSON with a bearer
    token as the tablet app does: the headers and the body are appended to the head it writes."""

    def __init__(self, port: int) -> None:
        self.pending = b""
        super().__init__(port)

    @property
    def writer(self) -> Any:
        return self._writer

    @writer.setter
    def writer(self, stream: asyncio.StreamWriter | None) -> None:
        self._writer = None if stream is None else _Appending(stream, self)

    async def post_json(self, path: str, token: str, payload: Any) -> Response:
        body = json.dumps(payload).encode()
        self.pending = (
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        return await self.request("POST", path)


@dataclass
class Queue:
    """One session opened on one tablet, and the votes it recorded, waiting to be synced."""

    tablet: Any  # tests.fixtures.facilitation.Tablet
    items: list[dict[str, Any]]

    @property
    def path(self) -> str:
        return f"/facilitacion/api/sesiones/{self.tablet.row.id}/sincronizar"

    @property
    def token(self) -> str:
        return self.tablet.package["token"]


@dataclass
class SyncLog:
    """What the server answered: every status and receipt per UUID, each request's latency and
    status, the items sent again."""

    answers: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retried: int = 0

    def add(self, other: SyncLog) -> None:
        for key, value in other.answers.items():
            self.answers.setdefault(key, []).extend(value)
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.retried += other.retried

    @property
    def answered_requests(self) -> int:
        """Requests answered 200 or 207: each records one facilitation.synced audit event."""
        return self.statuses[200] + self.statuses[207]

    def items_by_status(self) -> Counter[int]:
        return Counter(status for answers in self.answers.values() for status, _receipt in answers)


async def sync_queue(conn: TabletConnection, queue: Queue, batch: int, log: SyncLog, max_passes: int = 20) -> float:
    """Sync a queue as static/facilitacion/app.js does; returns the wall time until all is answered."""
    started = time.perf_counter()
    pending = list(queue.items)
    for _pass in range(max_passes):
        if not pending:
            return time.perf_counter() - started
        again: list[dict[str, Any]] = []
        start = 0
        while start < len(pending):
            chunk = pending[start : start + batch]
            sent = time.perf_counter()
            answer = await conn.post_json(queue.path, queue.token, {"items": chunk})
            log.latencies.append(time.perf_counter() - sent)
            log.statuses[answer.status] += 1
            if answer.status == 503:  # nothing of the batch was kept: send it again after Retry-After
                await asyncio.sleep(float(answer.header("retry-after") or 5))
                continue
            if answer.status not in (200, 207):
                raise Failure(f"sync answered {answer.status}: {answer.text[:200]}")
            for result in json.loads(answer.body)["results"]:
                log.answers.setdefault(result["uuid"], []).append((result["status"], result.get("receipt")))
                if result["status"] == 503:
                    again.append(next(item for item in chunk if item["uuid"] == result["uuid"]))
            start += batch
        log.retried += len(again)
        pending = again
        if pending:
            await asyncio.sleep(0.3)  # the app's syncSoon()
    raise Failure(f"{len(pending)} items still answered 503 after {max_passes} passes")


async def sync_tablets(port: int, queues: list[Queue], batch: int) -> tuple[float, list[float], SyncLog]:
    """Every queue synced at the same time, one connection per tablet: (total wall, wall per
    tablet, what was answered)."""
    log = SyncLog()

    async def tablet(queue: Queue) -> float:
        conn = TabletConnection(port)
        try:
            return await asyncio.wait_for(sync_queue(conn, queue, batch, log), timeout=600)
        finally:
            await conn.close()

    started = time.perf_counter()
    walls = await asyncio.gather(*(tablet(q) for q in queues))
    return time.perf_counter() - started, list(walls), log


# --- setup ----------------------------------------------------------------------------------------


def rut_of(place: int) -> str:
    from participa.core.rut import check_digit

    number = RUT_BASE + place
    return f"{number}-{check_digit(number)}"


def open_sessions(app, people: list[tuple[str, int]], consultation_id: int, sizes: list[int], seed: int):
    """Give every representative a RUT, plan and open one session per queue (no comuna
    restriction), and fill each queue with votes of organisations not used elsewhere."""
    import sqlalchemy as sa

    from participa.consultations.models import Consultation
    from participa.core import db
    from participa.core.db import utcnow
    from participa.facilitation import operations
    from tests.fixtures.accounts import create_user
    from tests.fixtures.facilitation import Tablet

    rng = random.Random(seed)
    with app.app_context():
        session = db.session()
        session.execute(
            sa.text(
                "UPDATE users SET rut = d.rut FROM unnest(CAST(:emails AS text[]), CAST(:ruts AS text[])) "
                "AS d(email, rut) WHERE users.email = d.email"
            ),
            {"emails": [e for e, _o in people], "ruts": [rut_of(i) for i in range(len(people))]},
        )
        session.commit()
        manager = create_user(session, roles=["manager"], name="Gestora de Carga")
        facilitator = create_user(session, roles=["facilitator"], name="Facilitadora de Carga")
        consultation = session.get(Consultation, consultation_id)
        questions = [q.id for q in consultation.questions]
        now = utcnow()
        queues, used = [], 0
        for number, size in enumerate(sizes, 1):
            row = operations.plan_session(
                session,
                actor=manager,
                consultation=consultation,
                plan=operations.SessionPlan(
                    place=f"Sede vecinal {number}",
                    comuna_cut=None,
                    starts_at=now - timedelta(minutes=30),
                    ends_at=min(now + timedelta(hours=1), consultation.voting_ends_at),
                    facilitator_id=facilitator.id,
                ),
            )
            session.commit()
            package = operations.open_session(
                session, actor=facilitator, row=row, device=f"Tableta {number}", now=utcnow(), secret_key=SECRET_KEY
            )
            session.commit()
            roll = {entry["organisation"]: set(entry["representatives"]) for entry in package["roll"]}
            tablet = Tablet(SimpleNamespace(id=row.id), package)
            items = []
            for place in range(used, used + size):
                organisation, person = SimpleNamespace(id=people[place][1]), SimpleNamespace(rut=rut_of(place))
                item = tablet.vote(
                    organisation, person, {q: rng.choice(["approve", "reject", "abstain"]) for q in questions}
                )
                # The person the tablet finds offline: the RUT's hash is in the package's roll.
                assert item["representative"] in roll[organisation.id], "representative not in the package"
                items.append(item)
            used += size
            queues.append(Queue(tablet, items))
        on_roll = len(package["roll"])
        session.rollback()
    return queues, used, on_roll


def row_counts(engine) -> dict[str, int]:
    import sqlalchemy as sa

    queries = {
        "in-person ballots": "SELECT count(*) FROM ballots WHERE channel = 'in_person'",
        "online ballots": "SELECT count(*) FROM ballots WHERE channel = 'online'",
        "votes": "SELECT count(*) FROM votes",
        "sync refusals": "SELECT count(*) FROM sync_refusals",
        "check-ins": "SELECT count(*) FROM session_checkins",
        "audit events": "SELECT count(*) FROM audit_events",
        "ballot_cast events": "SELECT count(*) FROM audit_events WHERE action = 'voting.ballot_cast'",
        "synced events": "SELECT count(*) FROM audit_events WHERE action = 'facilitation.synced'",
    }
    with engine.connect() as conn:
        return {name: conn.execute(sa.text(query)).scalar() for name, query in queries.items()}


# --- checks ---------------------------------------------------------------------------------------


def check_answers(queues: list[Queue], log: SyncLog) -> list[str]:
    """Each UUID answered 201 exactly once, a 503 only before it and a 200 only after it, the
    receipt the tablet computes."""
    problems = Counter()
    for queue in queues:
        for item in queue.items:
            answers = log.answers.get(item["uuid"], [])
            statuses = [s for s, _r in answers]
            if statuses.count(201) != 1:
                problems[f"answered 201 {statuses.count(201)} times"] += 1
                continue
            first = statuses.index(201)
            if set(statuses[:first]) - {503} or set(statuses[first + 1 :]) - {200}:
                problems["answered other than 503 before its 201 or 200 after it"] += 1
            if {r for s, r in answers if s in (200, 201)} != {queue.tablet.receipt_for(item)}:
                problems["a receipt other than the tablet's"] += 1
    return [f"{n} items {what}" for what, n in problems.items()]


def check_again(queues: list[Queue], first: SyncLog, again: SyncLog) -> list[str]:
    """The second sync: 200 for every item, with the receipt of the first time."""
    bad = 0
    for queue in queues:
        for item in queue.items:
            receipt = next(r for s, r in first.answers[item["uuid"]] if s == 201)
            if again.answers.get(item["uuid"]) != [(200, receipt)]:
                bad += 1
    return [f"second sync: {bad} items not answered 200 once with their receipt"] if bad else []


def check_database(engine, queues: list[Queue], consultation_id: int, question_ids: list[int]) -> list[str]:
    """One in-person ballot per UUID sent, in its session, for its organisation; one effective vote
    per question for each such organisation; no superseded vote."""
    import sqlalchemy as sa

    sent = {item["uuid"]: (queue.tablet.row.id, item["organisation"]) for queue in queues for item in queue.items}
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT client_uuid, session_id, organisation_id FROM ballots WHERE channel = 'in_person' "
                "AND consultation_id = :c"
            ),
            {"c": consultation_id},
        ).all()
        per_org = dict(
            conn.execute(
                sa.text(
                    "SELECT v.organisation_id, count(*) FROM votes v JOIN ballots b ON b.id = v.ballot_id "
                    "WHERE b.channel = 'in_person' AND v.effective GROUP BY v.organisation_id"
                )
            ).all()
        )
        superseded = conn.execute(sa.text("SELECT count(*) FROM votes WHERE NOT effective")).scalar()
    problems = []
    uuids = [u for u, _s, _o in stored]
    if len(uuids) != len(set(uuids)):
        problems.append(f"{len(uuids) - len(set(uuids))} client UUIDs stored twice")
    if {u: (s, o) for u, s, o in stored} != sent:
        problems.append(f"{len(stored)} in-person ballots stored for {len(sent)} items sent, or not as sent")
    if set(per_org) != {o for _s, o in sent.values()} or set(per_org.values()) != {len(question_ids)}:
        problems.append("organisations without exactly one effective in-person vote per question")
    if superseded:
        problems.append(f"{superseded} superseded votes, though each organisation voted once")
    return problems


# --- the profile (when a target is missed) --------------------------------------------------------


def profile_sync(database_url: str, redis_url: str, queues: list[Queue], top: int) -> None:
    """Sync requests through the Flask test client, one at a time, on the same database: an empty
    batch (the fixed cost of a request), a full one without the profiler (wall, CPU, SQL
    statements), the same items again (each acknowledged), another full one under cProfile."""
    import sqlalchemy as sa

    from participa import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": redis_url})
    client = app.test_client()
    engine = app.extensions["participa.engine"]
    plain, profiled = queues

    def post(queue: Queue, items: list[dict[str, Any]]) -> tuple[float, float, int]:
        started, cpu = time.perf_counter(), time.process_time()
        answer = client.post(queue.path, json={"items": items}, headers={"Authorization": f"Bearer {queue.token}"})
        assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
        return time.perf_counter() - started, time.process_time() - cpu, len(items)

    for _ in range(3):
        post(plain, [])  # the first ones open the pool's connection and fill the caches
    empty = [post(plain, []) for _ in range(5)]

    def with_statements(queue: Queue) -> tuple[float, float, list[str]]:
        statements: list[str] = []

        def log(_conn, _cursor, statement, _params, _context, _many) -> None:
            statements.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split())))

        sa.event.listen(engine, "before_cursor_execute", log)
        try:
            wall, cpu, _n = post(queue, queue.items)
        finally:
            sa.event.remove(engine, "before_cursor_execute", log)
        return wall, cpu, statements

    wall, cpu, statements = with_statements(plain)
    n = len(plain.items)
    ack_wall, ack_cpu, acknowledged = with_statements(plain)  # the same items again: each answered 200
    profiler = cProfile.Profile()
    profiler.enable()
    post(profiled, profiled.items)
    profiler.disable()

    fixed_wall, fixed_cpu = statistics.fmean(w for w, _c, _n in empty), statistics.fmean(c for _w, c, _n in empty)
    print("profile, in-process (Flask test client, one request at a time, same PostgreSQL, no server):")
    print(
        f"  an empty sync request: {1000 * fixed_wall:.1f} ms wall, {1000 * fixed_cpu:.1f} ms CPU (mean of 5: token, "
        f"session, every representative of the roll loaded and RUT-hashed, audit event, commit)"
    )
    print(
        f"  a request of {n} votes: {wall:.2f} s wall, {cpu:.2f} s CPU in this process = {1000 * wall / n:.2f} ms "
        f"wall, {1000 * cpu / n:.2f} ms CPU per vote; {len(statements)} SQL statements = "
        f"{len(statements) / n:.1f} per vote"
    )
    kinds = Counter(s.split(" ", 1)[0] + (" ... FOR UPDATE" if s.endswith("FOR UPDATE") else "") for s in statements)
    print("  statements by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    print(
        f"  the same {n} votes sent again (each answered 200): {ack_wall:.2f} s wall, {ack_cpu:.2f} s CPU = "
        f"{1000 * ack_cpu / n:.2f} ms CPU per vote; {len(acknowledged) / n:.1f} SQL statements per vote: "
        + ", ".join(f"{count} x {shape}" for shape, count in Counter(s[:40] for s in acknowledged).most_common(5))
    )
    shapes = Counter(s[:110] for s in statements)
    print("  the statements of the request, by shape (first 110 characters), most frequent first:")
    for shape, count in shapes.most_common(16):
        print(f"    {count:>5} x {shape}")

    stats = pstats.Stats(profiler)
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.stats.values())
    by_package: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        by_package[package_of(filename)] += tt
    m = len(profiled.items)
    print(
        f"  cProfile of a request of {m} votes ({1000 * total / m:.2f} ms per vote, profiler on), own time by package:"
    )
    for key, value in by_package.most_common():
        if value / total >= 0.005:
            print(f"    {100 * value / total:5.1f} %  {1000 * value / m:6.2f} ms/vote  {key}")

    def find(path_end: str, name: str):
        return next((f for f in stats.stats if f[0].endswith(path_end) and f[2] == name), None)

    for parent, title in (
        (find("participa/facilitation/operations.py", "sync"), "operations.sync()"),
        (find("participa/facilitation/operations.py", "_vote"), "operations._vote()"),
    ):
        if parent is None:
            continue
        rows = []
        for func, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
            if parent in callers:
                calls, _prim, _own, cumulative = callers[parent]
                rows.append((cumulative, calls, func))
        print(
            f"  {title} ({1000 * stats.stats[parent][3] / m:.2f} ms/vote): what it calls (ms per vote, calls per vote)"
        )
        for cumulative, calls, func in sorted(rows, reverse=True)[:top]:
            if 1000 * cumulative / m >= 0.05:
                print(f"    {1000 * cumulative / m:6.2f} ms  {calls / m:4.1f}x  {label_of(func)}")
    engine.dispose()


# --- phases and figures ---------------------------------------------------------------------------


def machine_text(meter: CpuMeter) -> str:
    others = max(meter.all - meter.app - meter.db - meter.me, 0.0)
    return (
        f"CPU: gunicorn {meter.app:.1f}, PostgreSQL {meter.db:.1f}, client {meter.me:.1f}, other processes "
        f"{others:.1f} core-s of {meter.wall * CORES:.1f}"
    )


def ms(values: list[float], *ps: float) -> str:
    if not values:
        return "-"
    return ", ".join(f"{'max' if p == 100 else f'p{p:g}'} {1000 * percentile(values, p):.0f}" for p in ps) + " ms"


@dataclass
class Figure:
    """One measured phase: votes, wall time, the server's CPU, latency."""

    label: str
    votes: int
    wall: float
    meter: CpuMeter
    latency: str

    def cpu_per_vote(self) -> float:
        return (self.meter.app + self.meter.db) / max(self.votes, 1)

    def row(self) -> str:
        n = max(self.votes, 1)
        cpu = f"{1000 * self.meter.app / n:.2f} + {1000 * self.meter.db / n:.2f} = {1000 * self.cpu_per_vote():.2f} ms"
        return (
            f"  {self.label:<34} {self.votes:>6} {self.wall:>7.2f}s {self.votes / self.wall:>8.0f} "
            f"{1000 * self.wall / n:>8.2f}ms  {cpu:<26} {self.latency}"
        )


@dataclass
class Bench:
    """The server under test. Each phase starts after a second of rest, metered by vote_intake's
    CpuMeter (gunicorn's processes, the scratch database's backends, the client, the machine)."""

    server: Server
    backend_pids: Any
    batch: int
    confirm: Any  # vote_intake's confirm job
    time_limit: float

    def sync(self, label: str, queues: list[Queue], log: SyncLog, batch: int | None = None) -> Figure:
        """The queues synced at the same time; what was answered is added to ``log``."""
        time.sleep(1)
        with CpuMeter(self.server, self.backend_pids) as meter:
            wall, walls, answered = asyncio.run(sync_tablets(self.server.port, queues, batch or self.batch))
        log.add(answered)
        votes = sum(len(q.items) for q in queues)
        print(
            f"  {label}: {votes} votes in {wall:.2f} s; per tablet {min(walls):.2f} to {max(walls):.2f} s; requests "
            f"{dict(answered.statuses)}, {latency_text(answered.latencies)}; items "
            f"{dict(answered.items_by_status())}, {answered.retried} sent again; {machine_text(meter)}"
        )
        return Figure(label, votes, wall, meter, f"{ms(answered.latencies, 50, 95, 100)} per request")

    def online(self, label: str, voters: list[Voter], clients: int) -> tuple[Figure, PhaseResult]:
        time.sleep(1)
        with CpuMeter(self.server, self.backend_pids) as meter:
            result = asyncio.run(run_phase(voters, clients, self.server.port, self.confirm, self.time_limit))
        print(
            f"  {label}: {result.ok} confirms in {result.wall:.2f} s = {result.rate():.1f}/s; "
            f"{latency_text(result.latencies)}; failures: {failures_text(result)}; {machine_text(meter)}"
        )
        return Figure(label, result.ok, result.wall, meter, ms(result.latencies, 50, 95)), result


@dataclass
class Plan:
    """What setup built: the queues by phase and the online voters by phase."""

    together: list[Queue]
    one_request: Queue
    in_batches: Queue
    warm: Queue
    profile: list[Queue]
    online_warm: list[Voter]
    online_alone: list[Voter]
    online_many: list[Voter]

    @property
    def served(self) -> list[Queue]:
        """The queues sent to the server (the profile's are synced in-process)."""
        return [*self.together, self.one_request, self.in_batches, self.warm]

    @property
    def online(self) -> list[Voter]:
        return [*self.online_warm, *self.online_alone, *self.online_many]


@dataclass
class Outcome:
    figures: dict[str, Figure]
    first: SyncLog  # every first sync: warm-up, alone, together
    again: SyncLog  # the second sync of every queue
    again_changed: dict[str, int]  # row counts the second sync changed
    online_failed: int


def run_phases(bench: Bench, plan: Plan, sign_in: Any, prepare: Any, engine: Any) -> Outcome:
    port, first, figures = bench.server.port, SyncLog(), {}
    signed = asyncio.run(run_phase(plan.online, 2, port, sign_in, bench.time_limit))
    prepared = asyncio.run(run_phase(plan.online, 20, port, prepare, bench.time_limit))
    warmed = asyncio.run(run_phase(plan.online_warm, 10, port, bench.confirm, bench.time_limit))
    parts = [Queue(plan.warm.tablet, plan.warm.items[i::8]) for i in range(8)]
    first.add(asyncio.run(sync_tablets(port, parts, bench.batch))[2])
    print(
        f"  warm-up: {signed.ok} online voters signed in through the login form ({signed.rate():.1f}/s), "
        f"{prepared.ok} ballots prepared, {warmed.ok} confirms, {len(plan.warm.items)} votes synced on 8 "
        f"connections; failures: {failures_text(signed)} / {failures_text(prepared)} / {failures_text(warmed)}"
    )
    size = len(plan.one_request.items)
    figures["one"] = bench.sync(f"one tablet, 1 request of {size}", [plan.one_request], first, batch=size)
    figures["batches"] = bench.sync(f"one tablet, batches of {bench.batch}", [plan.in_batches], first)
    figures["online 1"], alone = bench.online("online confirm, 1 client", plan.online_alone, 1)
    tablets = len(plan.together)
    figures["together"] = bench.sync(f"{tablets} tablets together", plan.together, first)
    figures["online n"], many = bench.online(f"online confirm, {tablets} clients", plan.online_many, tablets)

    before = row_counts(engine)
    again = SyncLog()
    figures["again"] = bench.sync("second sync, tablets together", plan.together, again)
    for queue in (plan.one_request, plan.in_batches, plan.warm):
        bench.sync("second sync, one tablet", [queue], again)
    after = row_counts(engine)
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    failed = sum(sum(r.failures.values()) + (r.done - r.ok) for r in (warmed, alone, many))
    return Outcome(figures, first, again, changed, failed)


def check_all(plan: Plan, outcome: Outcome, engine, consultation_id: int, question_ids: list[int]) -> list[str]:
    """The checks the module docstring lists; the problems found (none: all hold)."""
    served, first, again = plan.served, outcome.first, outcome.again
    problems = check_answers(served, first) + check_database(engine, served, consultation_id, question_ids)
    problems += check_again(served, first, again)
    expected_change = {"audit events": again.answered_requests, "synced events": again.answered_requests}
    if outcome.again_changed != expected_change:
        problems.append(f"the second sync changed {outcome.again_changed}, expected {expected_change}")
    sent = sum(len(q.items) for q in served)
    voted_online = sum(v.voted for v in plan.online)
    expected = {
        "in-person ballots": sent,
        "online ballots": voted_online,
        "votes": (sent + voted_online) * len(question_ids),
        "sync refusals": 0,
        "ballot_cast events": sent + voted_online,
        "synced events": first.answered_requests + again.answered_requests,
    }
    counts = row_counts(engine)
    problems += [f"{counts[k]} {k}, expected {v}" for k, v in expected.items() if counts[k] != v]
    if outcome.online_failed:
        problems.append(f"{outcome.online_failed} online confirms failed")
    print(f"checks: {counts}")
    if problems:
        print("  PROBLEMS: " + "; ".join(problems))
    else:
        print(
            f"  OK: each of the {sent} votes stored once, answered 201 once with the tablet's receipt and 200 "
            "with the same receipt when sent again; the second sync added only its audit events"
        )
    return problems


def report(figures: dict[str, Figure]) -> bool:
    """The table; whether one tablet's votes took under 5 s."""
    print("result (server CPU: gunicorn + PostgreSQL backends):")
    print(f"  {'':<34} {'votes':>6} {'wall':>8} {'votes/s':>8} {'wall/vote':>10}  {'server CPU per vote':<26} latency")
    for key in ("one", "batches", "together", "again", "online 1", "online n"):
        print(figures[key].row())
    one, batches, together = figures["one"], figures["batches"], figures["together"]
    met = one.wall < 5 and batches.wall < 5
    print(
        f"  one tablet's {one.votes} votes: {one.wall:.2f} s in one request, {batches.wall:.2f} s in batches "
        f"(target < 5 s: {'met' if met else 'MISSED'}); {together.label}: {together.votes} votes in "
        f"{together.wall:.1f} s"
    )
    print(
        f"  server CPU of a synced vote / of an online confirm: "
        f"{one.cpu_per_vote() / figures['online 1'].cpu_per_vote():.2f}x alone (one request / one client), "
        f"{together.cpu_per_vote() / figures['online n'].cpu_per_vote():.2f}x together (tablets / as many clients)"
    )
    return met


# --- main -----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", type=int, default=20, help="tablets syncing at the same time")
    parser.add_argument("--per-tablet", type=int, default=500, help="votes in each tablet's queue (at most 500)")
    parser.add_argument("--batch", type=int, default=200, help="items per request, as static/facilitacion/app.js")
    parser.add_argument("--online-alone", type=int, default=300, help="online confirms from one client")
    parser.add_argument("--online-votes", type=int, default=1000, help="online confirms from --tablets clients")
    parser.add_argument("--online-warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--profile", choices=["auto", "always", "never"], default="auto", help="in-process, when a target is missed"
    )
    parser.add_argument("--top", type=int, default=14, help="lines per profile table")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds, per online phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_tablets"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if sa_host(url) not in ("127.0.0.1", "localhost"):
            parser.error(f"only local services: {url}")
    if not 0 < args.per_tablet <= 500 or not 0 < args.batch <= 500:
        parser.error("a sync request carries at most 500 items")
    return args


def build(args: argparse.Namespace):
    """The scratch database, the sessions with their queues, the online voters."""
    online = args.online_warmup + args.online_alone + args.online_votes
    profiled = args.per_tablet if args.profile != "never" else 0
    # The tablets together, two alone, the warm-up's, then the profile's two (synced in-process).
    sizes = [args.per_tablet] * (args.tablets + 2) + [WARM_ITEMS] + [profiled] * (2 if profiled else 0)
    app, people, (consultation_id, question_ids), _on_roll = setup(args.database_url, sum(sizes) + online, args.seed)
    people = random.Random(args.seed).sample(people, len(people))  # queues spread over the roll
    queues, used, on_roll = open_sessions(app, people, consultation_id, sizes, args.seed)
    rng = random.Random(args.seed + 1)
    voters = [Voter(e, o, rng.choice(["approve", "reject", "abstain"])) for e, o in people[used : used + online]]
    k, w, a = args.tablets, args.online_warmup, args.online_warmup + args.online_alone
    plan = Plan(
        queues[:k], queues[k], queues[k + 1], queues[k + 2], queues[k + 3 :], voters[:w], voters[w:a], voters[a:]
    )
    return app, plan, consultation_id, question_ids, on_roll


def main() -> None:
    args = parse_args()
    import redis
    import sqlalchemy as sa

    run_started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="participa-bench-tablets-"))
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    app, plan, consultation_id, question_ids, on_roll = build(args)
    engine = app.extensions["participa.engine"]
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()

    def backend_pids() -> list[int]:
        with engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return list(conn.execute(sa.text(query)).scalars())

    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL {str(version).split()[0]}, "
        f"{CORES} cores; gunicorn {args.workers} workers x {args.threads} threads (gthread), PostgreSQL + Redis, "
        f"127.0.0.1 only; one asyncio client process on the same machine, one keep-alive connection per tablet"
    )
    print(
        f"  scratch database {sa.make_url(args.database_url).database}: 1 consultation in voting, {len(question_ids)} "
        f"question(s), {on_roll} organisations on the frozen roll, one representative with a RUT each; "
        f"{len(plan.served) + len(plan.profile)} sessions opened (packages of {on_roll} roll entries): "
        f"{args.tablets} x {args.per_tablet} votes together, 2 x {args.per_tablet} alone, {WARM_ITEMS} warm-up, "
        f"{len(plan.profile)} for the profile; {len(plan.online)} online voters; "
        f"setup {time.perf_counter() - run_started:.0f} s"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TASKS_EAGER", "MAIL_SERVER", "PUBLIC_URL")}
    env.update(
        PARTICIPA_ENV="development",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY=SECRET_KEY,  # the key the sessions were opened with: it signs the receipts
        PARTICIPA_INSTANCE=str(work),
    )
    sign_in, prepare, confirm = make_jobs(consultation_id, question_ids)
    server = Server("participa", "wsgi:app", env, args, work)
    try:
        print(f"participa: wsgi:app on 127.0.0.1:{server.port}; {loadavg()}")
        bench = Bench(server, backend_pids, args.batch, confirm, args.time_limit)
        outcome = run_phases(bench, plan, sign_in, prepare, engine)
    finally:
        server.stop()

    met = report(outcome.figures)
    problems = check_all(plan, outcome, engine, consultation_id, question_ids)
    try:
        if plan.profile and (args.profile == "always" or not met):
            profile_sync(args.database_url, args.redis_url, plan.profile, args.top)
    finally:
        broker.flushdb()
        engine.dispose()
    print(f"done in {time.perf_counter() - run_started:.0f} s; Redis {args.redis_url} flushed; server log in {work}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
