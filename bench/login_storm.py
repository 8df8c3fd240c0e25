"""Benchmark: sign-ins per second, and the vote's latency during a storm of sign-ins (issue #10).

Item 6: sign-ins per second with the old and the new argon2id cost, then the vote confirm's
latency at a fixed rate, alone and while hundreds of clients keep signing in, on the same gunicorn.

    .venv/bin/python bench/login_storm.py [--login-clients 32] [--old-accounts 150] [--signins 400]
                                          [--storm-clients 200] [--vote-rate 100] [--votes 2000]
                                          [--unbounded 64] [--split-workers 2] [--on-503 wait|at-once]

Setup (scratch database participa_bench_logins, recreated and migrated, with bench/vote_intake.py's
setup()): one consultation in voting, one representative account (no second factor) per
organisation on the frozen roll: --old-accounts whose stored hash has the old cost (argon2-cffi's
default: 64 MiB, 3 passes, 4 lanes), --storm-accounts and the voters with the new one (the
application's default: 19 MiB, 2 passes, 1 lane). Participa runs under gunicorn (``wsgi:app``,
--workers x --threads, gthread, as in production) with REDIS_URL at Redis db 11 (flushed at the
end), a random SECRET_KEY, and LOGIN_MAX_FAILURES_PER_IP raised (every client is 127.0.0.1;
every password is right anyway). Four servers, all started first (so that they load the same code),
measured one at a time, the others idle:

  before     ARGON2 64 MiB / 3 / 4, LOGIN_CONCURRENCY 64, LOGIN_HOST_CONCURRENCY 0 (no bound: the application before the
             change), the old-cost accounts: no hash needs redoing, this is the old steady state.
  after      the defaults (19 MiB / 2 / 1, LOGIN_CONCURRENCY 1 per process, LOGIN_HOST_CONCURRENCY half
             the cores on the host).
  unbounded  the defaults but LOGIN_CONCURRENCY --unbounded and LOGIN_HOST_CONCURRENCY 0 (--unbounded 0:
             skipped), to show what the bounds buy.
  logins     the defaults, --split-workers workers (0: skipped), started beside "after": the sign-ins
             on their own gunicorn (the votes on "after"), as a proxy routing /cuenta/ingresar to
             a second pool would do.

A sign-in is the real flow: GET /cuenta/ingresar with a fresh cookie jar (a new person), POST it
with the scraped CSRF token; 302 is a success, 503 (password checks busy, Retry-After: 3) is counted
and tried again (after Retry-After with --on-503 wait, the default: the page asks the person to
wait a few seconds), anything else is a failure.

1. sign-ins/s  --login-clients clients (enough to saturate), closed loop, no think time:
               before (old accounts, each once); after, first sign-in of the same old accounts
               (the stored hash is verified at the old cost, then redone at the new one: a second
               argon2, once per account); after, steady state (new-cost accounts); unbounded, the
               same. Sign-ins/s, latency of the successful POST, 503s, CPU per sign-in.
2. votes       the voters get the session cookie the login form sets (vote_intake's
               mint_sessions), open the ballot and the review step (unmeasured). Then an open loop
               of confirm POSTs at --vote-rate votes/s (at most --max-in-flight, latency from each
               vote's due time: run_paced) on the "after" server, first alone, then while
               --storm-clients clients sign in continuously (a closed loop started --storm-warmup
               seconds before the votes, stopped after them); then the storm again with the sign-ins
               sent to "logins" (votes still on "after"), and on the "unbounded" server. Votes
               answered per second are printed: when it falls below the rate offered, the backlog
               grows for the whole phase (at most --max-in-flight in flight, latency from the due
               time) and the percentiles grow with the phase's length. Target: vote p95 under
               100 ms during the storm (the "after" server on its own).
3. checks      vote_intake's verify (one ballot, one effective vote per question and one audit event
               per successful confirm, receipts), no vote failed at all, no sign-in answered other
               than 302 or 503 + Retry-After: 3, one successful login attempt and one account.login
               audit event per successful sign-in and no failed attempt, every old hash redone.
The client is one asyncio process on the same 2 cores: its CPU and the machine's other load are
printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchlib.http import Connection, Failure, PhaseResult, csrf_of, failures_text, run_paced, run_phase, update_cookies
from benchlib.procs import CORES, CpuMeter, Server, loadavg
from benchlib.stats import latency_text, percentile
from vote_intake import (
    PASSWORD,
    ROOT,
    Voter,
    make_jobs,
    mint_sessions,
    sa_host,
    setup,
    verify,
)

LOGIN = "/cuenta/ingresar"
OLD_COST = {"ARGON2_MEMORY_KIB": "65536", "ARGON2_TIME_COST": "3", "ARGON2_PARALLELISM": "4"}
NEW_HASH_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


@dataclass
class SignIns:
    """What the server answered to sign-ins: the latency and time of each success, each 503."""

    wait_on_503: bool
    latencies: list[float] = field(default_factory=list)
    ok_at: list[float] = field(default_factory=list)
    busy_at: list[float] = field(default_factory=list)
    unexpected: dict[str, int] = field(default_factory=dict)

    def in_window(self, start: float, end: float) -> tuple[int, int]:
        return sum(start <= t <= end for t in self.ok_at), sum(start <= t <= end for t in self.busy_at)


async def sign_in(conn: Connection, email: str, tally: SignIns, stop: asyncio.Event | None = None) -> float | None:
    """The login form as a new person's browser sends it; a 503 is counted and tried again."""
    while stop is None or not stop.is_set():
        jar: dict[str, str] = {}
        page = await conn.request("GET", LOGIN, cookies=jar)
        if page.status != 200:
            raise Failure(f"login page answered {page.status}")
        update_cookies(jar, page)
        form = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        started = time.perf_counter()
        answer = await conn.request("POST", LOGIN, form=form, cookies=jar)
        done = time.perf_counter()
        if answer.status == 302 and "segundo-factor" not in (answer.header("location") or ""):
            tally.latencies.append(done - started)
            tally.ok_at.append(done)
            return done - started
        if answer.status != 503 or answer.header("retry-after") != "3":
            raise Failure(f"login answered {answer.status} (Retry-After {answer.header('retry-after')})")
        tally.busy_at.append(done)
        if tally.wait_on_503:
            await asyncio.sleep(3)
    return None


async def storm(port: int, accounts: list[str], clients: int, tally: SignIns, stop: asyncio.Event) -> None:
    """--storm-clients clients signing in one after another until ``stop`` is set."""

    async def client(k: int) -> None:
        conn = Connection(port)
        try:
            for i in range(k, 10**9, clients):
                if stop.is_set():
                    break
                try:
                    await asyncio.wait_for(sign_in(conn, accounts[i % len(accounts)], tally, stop), timeout=60)
                except Exception as error:
                    key = type(error).__name__ + (f": {error}" if isinstance(error, Failure) else "")
                    tally.unexpected[key] = tally.unexpected.get(key, 0) + 1
                    await conn.close()
        finally:
            await conn.close()

    await asyncio.gather(*(client(k) for k in range(clients)))


def cpu_text(cpu: CpuMeter, n: int, what: str) -> str:
    return cpu.text(n).replace("per request", f"per {what}")


def code_fingerprint() -> str:
    """A digest of the application's code and templates, as the next server will load them."""
    digest = hashlib.sha256()
    for path in sorted(
        p for d in ("participa", "templates", "migrations") for p in (ROOT / d).rglob("*") if p.is_file()
    ):
        if "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cpu_total(cpu: CpuMeter) -> str:
    others = max(cpu.all - cpu.app - cpu.db - cpu.me, 0.0)
    return (
        f"{cpu.wall:.1f} s from the first vote due to the last answer; CPU: gunicorn {cpu.app:.1f}, PostgreSQL "
        f"{cpu.db:.1f}, client {cpu.me:.1f}, other processes {others:.1f} core-s of {cpu.wall * CORES:.1f}"
    )


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late the client's event loop wakes up (a starved client would inflate the latencies)."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - started - 0.01)


def signin_rate(label: str, server: Server, emails: list[str], args, meter) -> tuple[PhaseResult, SignIns]:
    """A closed loop of --login-clients clients over ``emails``, one sign-in each."""
    tally = SignIns(args.on_503 == "wait")
    with meter(server) as cpu:
        result = asyncio.run(
            run_phase(emails, args.login_clients, server.port, lambda c, e: sign_in(c, e, tally), args.time_limit)
        )
    print(
        f"  {label:<30} {result.ok:>4} sign-ins in {result.wall:5.1f} s = {result.rate():5.1f}/s; successful POST "
        f"{latency_text(tally.latencies)}; {len(tally.busy_at)} x 503; failures: {failures_text(result)}"
    )
    print(f"  {'':<30} {cpu_text(cpu, result.ok, 'sign-in')}; {loadavg()}")
    tally.unexpected.update(result.failures)
    return result, tally


def vote_phase(label: str, server: Server, voters: list[Voter], confirm, args, meter, storm_accounts=None, logins=None):
    """The paced votes, alone or with the storm running from --storm-warmup s before to the end (on
    the ``logins`` server if given, else on the votes' own)."""
    tally = SignIns(args.on_503 == "wait")

    async def run():
        stop, lags = asyncio.Event(), []
        task = None
        if storm_accounts:
            task = asyncio.create_task(storm((logins or server).port, storm_accounts, args.storm_clients, tally, stop))
            await asyncio.sleep(args.storm_warmup)
        watch = asyncio.create_task(loop_lag(stop, lags))
        start = time.perf_counter()
        with meter(server) as cpu:
            votes = await run_paced(voters, args.vote_rate, args.max_in_flight, server.port, confirm, args.time_limit)
        end = time.perf_counter()
        stop.set()
        await asyncio.gather(watch, *([task] if task else []))
        return votes, cpu, start, end, lags

    votes, cpu, start, end, lags = asyncio.run(run())
    print(
        f"  {label:<30} {votes.ok:>5} of {len(voters)} votes offered at {args.vote_rate:.0f}/s; confirm from its "
        f"due time {latency_text(votes.latencies)}; failures: {failures_text(votes)}; {votes.ok / cpu.wall:.1f} votes "
        f"answered per second"
    )
    ok, busy = tally.in_window(start, end)
    if storm_accounts:
        print(
            f"  {'':<30} meanwhile {args.storm_clients} clients signing in: {ok} sign-ins = {ok / (end - start):.1f}/s,"
            f" {busy} x 503 ({busy / (end - start):.1f}/s); successful POST {latency_text(tally.latencies)}; other "
            f"answers: {tally.unexpected or 'none'}"
        )
    print(
        f"  {'':<30} {cpu_total(cpu)}{' (gunicorn: the votes server)' if logins else ''}; client event loop late "
        f"by p95 {1000 * percentile(lags, 95):.0f} ms, max {1000 * max(lags, default=0):.0f} ms; {loadavg()}"
    )
    return votes, tally, ok / (end - start), busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--login-clients", type=int, default=32, help="sign-in clients in phase 1 (saturating)")
    parser.add_argument(
        "--old-accounts",
        type=int,
        default=150,
        help="accounts hashed at the old cost: each signs in on the 'before' server, then once on the 'after' "
        "server (its first sign-in there: the hash is redone)",
    )
    parser.add_argument("--signins", type=int, default=400, help="steady-state sign-ins measured at the new cost")
    parser.add_argument("--storm-accounts", type=int, default=400, help="new-cost accounts the sign-ins cycle over")
    parser.add_argument("--storm-clients", type=int, default=200)
    parser.add_argument("--storm-warmup", type=float, default=5.0, help="seconds the storm runs before the votes")
    parser.add_argument("--vote-rate", type=float, default=100.0, help="votes/s offered (open loop)")
    parser.add_argument("--votes", type=int, default=2000, help="votes per vote phase")
    parser.add_argument("--max-in-flight", type=int, default=100, help="vote connections (the open loop's cap)")
    parser.add_argument(
        "--unbounded",
        type=int,
        default=64,
        help="LOGIN_CONCURRENCY of the comparison server (>= threads: no bound); 0: no comparison",
    )
    parser.add_argument(
        "--split-workers",
        type=int,
        default=2,
        help="the storm again with the sign-ins sent to a second gunicorn of the same application (defaults) "
        "with this many workers, the votes to the 'after' server; 0: skipped",
    )
    parser.add_argument(
        "--on-503",
        choices=["wait", "at-once"],
        default="wait",
        help="what a client does after a 503: wait its Retry-After (3 s), or try again at once",
    )
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds, per phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_logins"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"))
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if sa_host(url) not in ("127.0.0.1", "localhost"):
            parser.error(f"only local services: {url}")

    import redis
    import sqlalchemy as sa
    from argon2 import PasswordHasher

    run_started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="participa-bench-logins-"))
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    warm_votes = 50
    phases = 2 + (args.unbounded > 0) + (args.split_workers > 0)
    total = args.old_accounts + args.storm_accounts + warm_votes + phases * args.votes
    app, people, (consultation_id, question_ids), on_roll = setup(args.database_url, total, args.seed)
    secret = secrets.token_urlsafe(48)
    app.config["SECRET_KEY"] = secret  # mint_sessions signs with the servers' key
    emails = [email for email, _org in people]
    old = emails[: args.old_accounts]
    storm_accounts = emails[len(old) : len(old) + args.storm_accounts]
    rng = random.Random(args.seed)
    voters = [
        Voter(email, org, rng.choice(["approve", "reject", "abstain"]))
        for email, org in people[len(old) + len(storm_accounts) :]
    ]
    warm, alone, stormed, loose_votes, split_votes = (
        voters[:warm_votes],
        *(voters[warm_votes + i * args.votes : warm_votes + (i + 1) * args.votes] for i in range(4)),
    )
    engine = app.extensions["participa.engine"]
    old_hash = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET password_hash = :h WHERE email = ANY(:e)"), {"h": old_hash, "e": old})
        version = conn.execute(sa.text("SHOW server_version")).scalar()

    def scalar(query: str, **params) -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), params).scalar()

    def backend_pids() -> list[int]:
        with engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return list(conn.execute(sa.text(query)).scalars())

    def meter(server: Server) -> CpuMeter:
        return CpuMeter(server, backend_pids)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGON2_", "LOGIN_", "TASKS_EAGER", "MAIL_"))}
    env.pop("PUBLIC_URL", None)
    env.update(
        PARTICIPA_ENV="development",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY=secret,
        PARTICIPA_INSTANCE=str(work),
        LOGIN_MAX_FAILURES_PER_IP="1000000",
    )

    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL {str(version).split()[0]},"
        f" {CORES} cores; gunicorn --worker-class gthread --workers {args.workers} --threads {args.threads}, "
        f"127.0.0.1 only; one asyncio client process on the same machine, one keep-alive connection per client; "
        f"after a 503 a client {'waits its Retry-After' if args.on_503 == 'wait' else 'tries again at once'}"
    )
    print(
        f"  scratch database {sa.make_url(args.database_url).database}: {on_roll} organisations on the roll, one "
        f"representative each: {len(old)} hashed at the old cost, {len(storm_accounts)} sign-in accounts and "
        f"{len(voters)} voters at the new; setup {time.perf_counter() - run_started:.0f} s"
    )

    tallies: list[SignIns] = []
    rates: dict[str, PhaseResult] = {}
    votes: dict[str, tuple[PhaseResult, SignIns, float, int]] = {}
    warmup = min(args.login_clients, len(old), len(storm_accounts))
    steady = [storm_accounts[i % len(storm_accounts)] for i in range(args.signins)]

    def measure(key: str, label: str, srv: Server, accounts: list[str]) -> None:
        result, tally = signin_rate(label, srv, accounts, args, meter)
        tallies.append(tally)
        if key:
            rates[key] = result

    def vote(key: str, label: str, srv: Server, batch: list[Voter], storm_with=None, logins=None) -> None:
        votes[key] = vote_phase(label, srv, batch, confirm, args, meter, storm_with, logins)
        tallies.append(votes[key][1])

    _sign_in, prepare, confirm = make_jobs(consultation_id, question_ids)
    fingerprints: set[str] = set()

    @contextlib.contextmanager
    def server(name: str, workers: int = args.workers, **settings: str) -> Iterator[Server]:
        """One gunicorn at a time (with 4 x 8 threads, each holds up to 32 PostgreSQL connections,
        of max_connections 100), the code it loaded noted: others edit the same tree."""
        code = code_fingerprint()
        fingerprints.add(code)
        started = Server(
            name, "wsgi:app", {**env, **settings}, argparse.Namespace(workers=workers, threads=args.threads), work
        )
        shown = " ".join(f"{k}={v}" for k, v in settings.items()) or "the defaults"
        print(
            f"{name}: wsgi:app on 127.0.0.1:{started.port}, {workers} workers, {shown}; code {code[:12]}; {loadavg()}"
        )
        try:
            yield started
        finally:
            started.stop()

    with server("before", **OLD_COST, LOGIN_CONCURRENCY="64", LOGIN_HOST_CONCURRENCY="0") as before:
        measure("", "before, warm-up", before, old[:warmup])  # each worker loads templates, opens connections
        measure("before", "before (old cost, no bound)", before, old)
    untouched = scalar("SELECT count(*) FROM users WHERE password_hash = :h", h=old_hash)
    with server("after") as after:  # LOGIN_CONCURRENCY 1, LOGIN_HOST_CONCURRENCY 1 on 2 cores
        measure("", "after, warm-up", after, storm_accounts[:warmup])
        measure("first", "after, first sign-in (rehash)", after, old)
        measure("after", "after, steady", after, steady)
        mint_sessions(app, voters)
        prepared = asyncio.run(run_phase(voters, 100, after.port, prepare, 10 * args.time_limit))
        warmed = asyncio.run(run_phase(warm, 50, after.port, confirm, args.time_limit))
        print(
            f"  prepared {prepared.ok} ballots (ballot page + review POST), {warmed.ok} warm-up votes: unmeasured; "
            f"failures: {failures_text(prepared)} / {failures_text(warmed)}"
        )
        vote("alone", "votes alone", after, alone)
        vote("storm", "votes + storm (bound 1)", after, stormed, storm_accounts)
        if args.split_workers:
            # The sign-ins' own gunicorn, same application and settings (a proxy would route
            # /cuenta/ingresar to it): the votes' workers never queue behind a sign-in.
            with server("logins", args.split_workers) as split:
                measure("", "logins, warm-up", split, storm_accounts[:warmup])
                vote("split", "votes + storm on 'logins'", after, split_votes, storm_accounts, split)
    if args.unbounded:
        with server("unbounded", LOGIN_CONCURRENCY=str(args.unbounded), LOGIN_HOST_CONCURRENCY="0") as loose:
            measure("", "unbounded, warm-up", loose, storm_accounts[:warmup])
            measure("loose", f"unbounded (bound {args.unbounded}), steady", loose, steady)
            vote("loose", f"votes + storm (bound {args.unbounded})", loose, loose_votes, storm_accounts)
    if len(fingerprints) > 1:
        print("WARNING: the application's code changed between the servers' starts (others edit the tree)")

    def p95(key: str) -> float:
        return 1000 * percentile(votes[key][0].latencies, 95)

    storm_votes, _tally, storm_rate, storm_busy = votes["storm"]
    met = p95("storm") < 100 and storm_votes.ok == len(stormed) and not storm_votes.failures
    print(
        f"result: sign-ins/s with {args.login_clients} clients: before {rates['before'].rate():.1f}, after "
        f"{rates['after'].rate():.1f} ({rates['after'].rate() / max(rates['before'].rate(), 1e-9):.1f}x); first "
        f"sign-in of an old-cost account after the change {rates['first'].rate():.1f}/s"
        + (f"; without the bound {rates['loose'].rate():.1f}/s" if "loose" in rates else "")
    )
    print(
        f"  vote p95 at {args.vote_rate:.0f} votes/s offered: alone {p95('alone'):.0f} ms; with {args.storm_clients} "
        f"clients signing in ({storm_rate:.1f} sign-ins/s, {storm_busy} x 503) {p95('storm'):.0f} ms (target "
        f"< 100 ms: {'met' if met else 'MISSED'})"
        + (
            f"; without the bound ({votes['loose'][2]:.1f} sign-ins/s, {votes['loose'][3]} x 503) {p95('loose'):.0f} ms"
            if "loose" in votes
            else ""
        )
        + (
            f"; sign-ins on their own gunicorn ({votes['split'][2]:.1f} sign-ins/s, {votes['split'][3]} x 503) "
            f"{p95('split'):.0f} ms"
            if "split" in votes
            else ""
        )
    )

    voted = {v.organisation_id for v in voters if v.voted}
    summary, *problems = verify(app, consultation_id, question_ids, voted, args.database_url, args.redis_url)
    signed_in = sum(len(t.latencies) for t in tallies)
    answered_503 = sum(len(t.busy_at) for t in tallies)
    attempts_ok = scalar("SELECT count(*) FROM login_attempts WHERE step = 'password' AND success")
    attempts_failed = scalar("SELECT count(*) FROM login_attempts WHERE NOT success")
    logins = scalar("SELECT count(*) FROM audit_events WHERE action = 'account.login'")
    redone = scalar(
        "SELECT count(*) FROM users WHERE email = ANY(:e) AND password_hash LIKE :p", e=old, p=f"{NEW_HASH_PREFIX}%"
    )
    for key, (result, _t, _r, _b) in votes.items():
        if result.failures or result.ok != result.done:
            problems.append(f"votes {key}: {failures_text(result)}")
    # A client gives up on a sign-in after 60 s (asyncio's TimeoutError): not an answer, but the
    # server may still have signed that person in.
    gave_up = sum(n for t in tallies for what, n in t.unexpected.items() if what == "TimeoutError")
    for tally in tallies:
        problems += [f"sign-in: {n} x {what}" for what, n in tally.unexpected.items() if what != "TimeoutError"]
    if not signed_in <= attempts_ok <= signed_in + gave_up or logins != attempts_ok or attempts_failed:
        problems.append(
            f"{signed_in} successful sign-ins, {attempts_ok} successful login attempts recorded, {logins} "
            f"account.login events, {attempts_failed} failed attempts"
        )
    if untouched != len(old) or redone != len(old):
        problems.append(f"old hashes: {untouched} unchanged by 'before', {redone} of {len(old)} redone by 'after'")
    print(f"checks: {summary}")
    print(
        f"  {signed_in} successful sign-ins seen by the clients, {attempts_ok} successful login attempts and {logins} "
        f"account.login events recorded, "
        f"{attempts_failed} failed attempts, {answered_503} answers 503 (Retry-After: 3), {gave_up} given up by the "
        f"client after 60 s; the {len(old)} old hashes: "
        f"{untouched} untouched by 'before', {redone} redone at the new cost by 'after'"
    )
    print("  " + ("OK" if not problems else "PROBLEMS: " + "; ".join(problems)))
    broker.flushdb()
    engine.dispose()
    print(f"done in {time.perf_counter() - run_started:.0f} s; Redis {args.redis_url} flushed; server logs in {work}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
