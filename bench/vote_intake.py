"""Benchmark: online vote intake over HTTP (gunicorn + PostgreSQL + Redis) with 100 concurrent
voters, beside a baseline app that does one INSERT per request under the same server settings.

    .venv/bin/python bench/vote_intake.py [--orgs 2000] [--voters 3000] [--rounds 3] [--real-logins 100]
                                          [--concurrency 100] [--workers 4] [--threads 8]
                                          [--paced-rate 300] [--paced-votes 1500]

Setup (scratch database participa_bench_votes, recreated and migrated): one consultation in the
voting phase on one project, --orgs verified organisations on the frozen roll, each with one
representative account (role "representative": no second factor), written with COPY (one argon2
hash shared by all). Participa runs under gunicorn (``wsgi:app``, gthread) with REDIS_URL pointing
at Redis db 13, as in production. A vote request writes the ballot only; the receipt e-mails are
queued afterwards by the receipt task that beat runs every few seconds, run here once the votes
are in (nobody consumes the queue; db 13 is flushed at the end). Beside it, bench/baseline_app.py
(one INSERT per request) under the same gunicorn settings, loaded by the same client, and
bench/authenticated_app.py: participa's own app with one more endpoint that does the confirm
step's CSRF check, signed-in session and account check, then one INSERT (the platform's floor for
a signed-in form). Only 127.0.0.1 is used.

Client: one asyncio process, one keep-alive connection per simulated voter.

1. sign in   --real-logins voters GET /cuenta/ingresar and POST it with the scraped CSRF token
             (argon2 makes sign-in ~10/s on 2 cores: reported, not the subject here). The other
             voters get the session cookie that form would have set, made by the calls the form
             makes after the password check (Flask-Login's login_user, the session's binding to
             this client's address and browser, permanent) and signed with the server's
             SECRET_KEY, so that thousands of votes can be measured.
2. prepare   GET /consultas/<id>/votar (which must offer the voter's organisation), POST the
             answers (the review step).
3. warm-up   a few voters confirm, a few baseline requests (not measured; fills each worker's
             statement caches).
4. rounds    --rounds times: --voters voters POST the same form with step=confirm, --concurrency
             at a time with no think time (a closed loop), then --baseline-requests baseline
             requests the same way, then the same voters' sessions post to the authenticated
             baseline; each server idles while another is measured. Measured:
             votes/s (successful confirms / wall time), latency percentiles, and the CPU time each
             process spent per request. The throughput target (>= 70 % of the baseline's) is read
             on the median round's ratio: alternating makes a drift of the machine (other jobs on
             these cores) hit both sides; single runs of this benchmark varied by +-5 points.
5. paced     an open loop: --paced-votes voters confirm at --paced-rate votes/s, at most
             --concurrency in flight; latency from each vote's due time (waiting counts); then the
             same for the baseline. This gives the latency target (p95 < 100 ms): in the closed
             loop the mean latency is, by Little's law, concurrency / throughput, over 100 ms for
             the baseline itself on 2 cores.
Then the checks: one effective vote per organisation, ballots = successful responses = audit
events = receipts pending = e-mails the receipt task queues in Redis, baseline rows = successful
inserts of both baselines. If a target is missed, the confirm request is profiled in-process (Flask test client,
same database and Redis, cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))

from benchlib.http import (  # noqa: E402 (the bench directory is on the path now)
    USER_AGENT,
    Connection,
    Failure,
    PhaseResult,
    csrf_of,
    failures_text,
    run_paced,
    run_phase,
    update_cookies,
)
from benchlib.procs import CORES, CpuMeter, Server, loadavg  # noqa: E402
from benchlib.profiling import SITE_PACKAGES, label_of, package_of  # noqa: E402
from benchlib.stats import latency_text, percentile  # noqa: E402

PASSWORD = "una clave larga de prueba para la carga"  # noqa: S105 (scratch accounts)
SECRET_KEY = "bench-vote-intake-secret-key-not-for-production"  # noqa: S105 (scratch server)
SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


# --- voters ----------------------------------------------------------------------------------


@dataclass
class Voter:
    email: str
    organisation_id: int
    choice: str
    user_id: int = 0
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    submission: str = ""  # the confirm form's one-time token: a replayed confirm is one ballot
    signed_in: bool = False
    prepared: bool = False
    voted: bool = False


def mint_sessions(app, voters: list[Voter]) -> None:
    """Give each voter the session cookie the login form would have set, made by the same public
    calls the form makes after the password check (Flask-Login's ``login_user``, the session's
    binding to this client's address and User-Agent, permanent), signed as the server signs it;
    so that thousands of votes can be measured without thousands of argon2 checks."""
    import flask
    import sqlalchemy as sa
    from flask_login import login_user

    from participa.accounts import sessions
    from participa.accounts.models import User
    from participa.core import db

    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    with app.app_context():
        query = sa.select(User).where(User.email.in_([v.email for v in voters]))
        users = {u.email: u for u in db.session.execute(query).scalars()}
        for voter in voters:
            user = users[voter.email]
            with app.test_request_context(
                "/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
            ):
                login_user(user)
                sessions.bind()
                flask.session.permanent = True
                voter.cookies[name] = serializer.dumps(dict(flask.session))
            voter.user_id = user.id
            voter.signed_in = True
        db.session.rollback()


# --- the jobs ------------------------------------------------------------------------------


def make_jobs(consultation_id: int, question_ids: list[int]):
    vote_path = f"/consultas/{consultation_id}/votar"

    async def sign_in(conn: Connection, voter: Voter) -> float:
        page = await conn.request("GET", "/cuenta/ingresar", cookies=voter.cookies)
        update_cookies(voter.cookies, page)
        form = {"email": voter.email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        started = time.perf_counter()
        answer = await conn.request("POST", "/cuenta/ingresar", form=form, cookies=voter.cookies)
        latency = time.perf_counter() - started
        update_cookies(voter.cookies, answer)
        if answer.status != 302 or "segundo-factor" in (answer.header("location") or ""):
            raise Failure(f"login answered {answer.status}")
        voter.signed_in = True
        return latency

    def ballot(voter: Voter, step: str | None) -> dict[str, Any]:
        form: dict[str, Any] = {"csrf_token": voter.csrf, "organisation": voter.organisation_id}
        form.update({f"q-{q}": voter.choice for q in question_ids})
        if step:
            form["step"] = step
            form["submission"] = voter.submission
        return form

    async def prepare(conn: Connection, voter: Voter) -> float | None:
        if not voter.signed_in:
            return None
        page = await conn.request("GET", vote_path, cookies=voter.cookies)
        update_cookies(voter.cookies, page)
        if page.status != 200 or f'value="{voter.organisation_id}"' not in page.text:
            raise Failure(f"ballot page answered {page.status}")
        voter.csrf = csrf_of(page.text)
        started = time.perf_counter()
        review = await conn.request("POST", vote_path, form=ballot(voter, None), cookies=voter.cookies)
        latency = time.perf_counter() - started
        update_cookies(voter.cookies, review)
        if review.status != 200 or 'name="step" value="confirm"' not in review.text:
            raise Failure(f"review answered {review.status}")
        token = SUBMISSION.search(review.text)
        if token is None:
            raise Failure("the review page has no submission token")
        voter.submission = token.group(1)
        voter.prepared = True
        return latency

    async def confirm(conn: Connection, voter: Voter) -> float | None:
        if not voter.prepared:
            return None
        started = time.perf_counter()
        answer = await conn.request("POST", vote_path, form=ballot(voter, "confirm"), cookies=voter.cookies)
        latency = time.perf_counter() - started
        update_cookies(voter.cookies, answer)
        if answer.status != 302 or "/comprobante/nuevo" not in (answer.header("location") or ""):
            raise Failure(f"confirm answered {answer.status}")
        voter.voted = True
        return latency

    return sign_in, prepare, confirm


async def authenticated_insert(conn: Connection, voter: Voter) -> float:
    """The authenticated baseline's request: the voter's own session and CSRF token, one INSERT."""
    form = {"csrf_token": voter.csrf, "organisation": voter.organisation_id, "choice": voter.choice}
    started = time.perf_counter()
    answer = await conn.request("POST", "/bench/insert", form=form, cookies=voter.cookies)
    latency = time.perf_counter() - started
    if answer.status != 201:
        raise Failure(f"authenticated insert answered {answer.status}")
    return latency


async def baseline_insert(conn: Connection, item: tuple[int, str]) -> float:
    organisation, choice = item
    started = time.perf_counter()
    answer = await conn.request(
        "POST", "/insert", form={"organisation": organisation, "choice": choice, "csrf_token": "x" * 91}
    )
    latency = time.perf_counter() - started
    if answer.status != 201:
        raise Failure(f"insert answered {answer.status}")
    return latency


# --- rounds ----------------------------------------------------------------------------------


@dataclass
class Round:
    """One closed-loop round: participa's votes, the baseline's requests, then the authenticated
    baseline's (participa's session, CSRF and sign-in check, one INSERT)."""

    votes: PhaseResult
    cpu: CpuMeter
    base: PhaseResult
    base_cpu: CpuMeter
    auth: PhaseResult
    auth_cpu: CpuMeter

    def ratio(self) -> float:
        return self.votes.rate() / self.base.rate() if self.base.rate() else float("nan")

    def auth_ratio(self) -> float:
        return self.votes.rate() / self.auth.rate() if self.auth.rate() else float("nan")


def cpu_split(measured: list[tuple[CpuMeter, int]]) -> str:
    n = max(sum(done for _meter, done in measured), 1)
    app, db, me = (sum(getattr(meter, part) for meter, _done in measured) for part in ("app", "db", "me"))
    return (
        f"gunicorn {1000 * app / n:.2f} ms + PostgreSQL {1000 * db / n:.2f} ms + client {1000 * me / n:.2f} ms "
        f"= {1000 * (app + db + me) / n:.2f} ms"
    )


# --- setup -----------------------------------------------------------------------------------


def create_voters(session, n: int, seed: int) -> list[tuple[str, int]]:
    """n verified organisations of Renca, each with one representative (approved), written with
    COPY; one argon2 hash computed once and shared by every account."""
    from participa.accounts.models import RoleAssignment, User
    from participa.core import db
    from participa.core.db import utcnow
    from participa.core.rut import check_digit
    from participa.core.security import hash_password
    from participa.core.text import fold
    from participa.registry.models import Organisation, Representation

    rng = random.Random(seed)
    password_hash = hash_password(PASSWORD)
    now = utcnow().replace(tzinfo=None)  # naive UTC, as UTCDateTime stores it
    user_ids = db.next_ids(session, User.__table__, n)
    org_ids = db.next_ids(session, Organisation.__table__, n)
    assert user_ids and org_ids, "PostgreSQL only"
    emails = [f"votante{i:06d}@ejemplo.cl" for i in range(n)]
    db.bulk_insert(
        session,
        User.__table__,
        [
            {
                "id": uid,
                "email": email,
                "name": f"Representante {i}",
                "password_hash": password_hash,
                "created_at": now,
                "email_confirmed_at": now,
                "active": True,
                "session_version": 1,
                "comuna_cut": 13128,
            }
            for i, (uid, email) in enumerate(zip(user_ids, emails, strict=True))
        ],
    )
    db.bulk_insert(
        session,
        RoleAssignment.__table__,
        [{"user_id": uid, "role": "representative", "granted_at": now} for uid in user_ids],
    )
    start, end = date.today() - timedelta(days=400), date.today() + timedelta(days=700)
    orgs = []
    for i, oid in enumerate(org_ids):
        number = 71_000_000 + i
        name = f"Junta de Vecinos Carga {i:06d}"
        orgs.append(
            {
                "id": oid,
                "rut": f"{number}-{check_digit(number)}",
                "legal_name": name,
                "name_folded": fold(name),
                "org_type": "junta_vecinos",
                "comuna_cut": 13128,
                "members_count": rng.randrange(15, 900),
                "board_term_start": start,
                "board_term_end": end,
                "status": "verified",
                "status_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    db.bulk_insert(session, Organisation.__table__, orgs)
    db.bulk_insert(
        session,
        Representation.__table__,
        [
            {
                "user_id": uid,
                "organisation_id": oid,
                "position": "presidente",
                "document_name": "acta.pdf",
                "document_stored": f"bench-{oid}.bin",
                "document_type": "application/pdf",
                "document_sha256": "0" * 64,
                "status": "approved",
                "requested_at": now - timedelta(days=2),
                "decided_at": now - timedelta(days=1),
                "approved_at": now - timedelta(days=1),
            }
            for uid, oid in zip(user_ids, org_ids, strict=True)
        ],
    )
    session.commit()
    return list(zip(emails, org_ids, strict=True))


def setup(database_url: str, total_orgs: int, seed: int):
    from participa import create_app
    from participa.commitments.operations import load_commitments
    from participa.consultations import operations as consultations
    from participa.core import db, migrations
    from participa.territory.operations import load_comunas
    from tests.conftest import _recreate_postgres_database
    from tests.fixtures.accounts import create_user
    from tests.fixtures.consultations import admissible_project, consultation_data, open_for_voting

    _recreate_postgres_database(database_url)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": None, "TASKS_EAGER": True})
    with app.app_context():
        migrations.upgrade(app)
        session = db.session()
        load_comunas(session)
        load_commitments(session)
        session.commit()
        project = admissible_project(session, title="Plaza activa: prueba de carga")
        voters = create_voters(session, total_orgs, seed)
        manager = create_user(session, roles=["manager"])
        consultation = consultations.create_consultation(
            session,
            actor=manager,
            data=consultation_data([project.id], title="Consulta de carga", weight_scheme={"base": "sqrt_members"}),
        )
        session.commit()
        open_for_voting(session, consultation, manager)
        from baseline_app import CREATE_TABLE

        session.connection().exec_driver_sql(CREATE_TABLE)
        session.commit()
        info = (consultation.id, [q.id for q in consultation.questions])
        from participa.consultations.models import RollEntry

        on_roll = session.query(RollEntry).filter_by(consultation_id=consultation.id).count()
    return app, voters, info, on_roll


# --- checks ----------------------------------------------------------------------------------


def verify(
    app, consultation_id: int, question_ids: list[int], voted: set[int], database_url: str, redis_url: str
) -> list[str]:
    """A summary line, then one line per problem: one effective vote per organisation and
    question, one ballot per successful confirm, each awaiting its receipt e-mail, which the
    receipt task (what beat runs) then queues, once each."""
    import redis
    import sqlalchemy as sa

    from participa import create_app
    from participa.core import db
    from participa.voting.tasks import mail_receipts

    with app.app_context():
        s = db.session()
        ballots, ballot_orgs, pending = s.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT organisation_id), count(*) FILTER (WHERE receipt_mailed_at IS NULL) "
                "FROM ballots WHERE consultation_id = :c"
            ),
            {"c": consultation_id},
        ).one()
        per_org = dict(
            s.execute(
                sa.text(
                    "SELECT organisation_id, count(*) FROM votes WHERE consultation_id = :c AND effective "
                    "GROUP BY organisation_id"
                ),
                {"c": consultation_id},
            ).all()
        )
        superseded = s.execute(
            sa.text("SELECT count(*) FROM votes WHERE consultation_id = :c AND NOT effective"), {"c": consultation_id}
        ).scalar()
        audited = s.execute(sa.text("SELECT count(*) FROM audit_events WHERE action = 'voting.ballot_cast'")).scalar()
        s.rollback()
    mailer = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": redis_url})
    started = time.perf_counter()
    with mailer.app_context():
        mail_receipts()
    mail_seconds = time.perf_counter() - started
    mailer.extensions["participa.engine"].dispose()
    queued = redis.Redis.from_url(redis_url).llen("mail")
    problems = []
    if ballots != len(voted):
        problems.append(f"{ballots} ballots for {len(voted)} successful confirms")
    if ballot_orgs != ballots:
        problems.append(f"{ballots} ballots from only {ballot_orgs} organisations")
    if set(per_org) != voted:
        problems.append(
            f"organisations with an effective vote ({len(per_org)}) differ from those whose confirm "
            f"succeeded ({len(voted)})"
        )
    wrong = sum(1 for n in per_org.values() if n != len(question_ids))
    if wrong:
        problems.append(f"{wrong} organisations with other than one effective vote per question")
    if superseded:
        problems.append(f"{superseded} superseded votes, though each organisation voted once")
    if audited != len(voted):
        problems.append(f"{audited} voting.ballot_cast audit events for {len(voted)} confirms")
    if pending != len(voted):
        problems.append(f"{pending} ballots awaiting their receipt e-mail for {len(voted)} confirms")
    if queued != len(voted):
        problems.append(f"{queued} receipt e-mails queued in Redis for {len(voted)} confirms")
    summary = (
        f"{ballots} ballots, {sum(per_org.values())} effective votes from {len(per_org)} organisations "
        f"(at most {max(per_org.values(), default=0)} per organisation and question), {superseded} "
        f"superseded, {audited} ballot_cast audit events, {pending} receipts pending; the receipt task "
        f"queued {queued} e-mails in Redis in {mail_seconds:.1f} s"
    )
    return [summary, *problems]


def count_rows(app, table: str) -> int:
    import sqlalchemy as sa

    from participa.core import db

    with app.app_context():
        count = db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 (constant)
        db.session.rollback()
    return count


# --- the profile (when a target is missed) ---------------------------------------------------


def profile_in_process(
    database_url: str,
    redis_url: str,
    consultation_id: int,
    question_ids: list[int],
    voters: list[tuple[str, int]],
    top: int,
) -> None:
    """The confirm POST one request at a time through the Flask test client, on the same
    database and Redis: mean wall and CPU time without the profiler, the SQL it sends, then
    cProfile's view (own time by package, top functions, participa's functions)."""
    import baseline_app
    import sqlalchemy as sa

    from participa import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": redis_url})
    path = f"/consultas/{consultation_id}/votar"
    ready = []
    for email, org in voters:
        client = app.test_client()
        page = client.get("/cuenta/ingresar").get_data(as_text=True)
        answer = client.post(
            "/cuenta/ingresar", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page)}
        )
        assert answer.status_code == 302, answer.status_code
        token = csrf_of(client.get(path).get_data(as_text=True))
        form = {"csrf_token": token, "organisation": org, **{f"q-{q}": "approve" for q in question_ids}}
        review = client.post(path, data=form)
        assert review.status_code == 200
        submission = SUBMISSION.search(review.get_data(as_text=True))
        assert submission, "the review page has no submission token"
        ready.append((client, {**form, "step": "confirm", "submission": submission.group(1)}))
    plain, profiled = ready[: len(ready) // 3], ready[len(ready) // 3 :]

    statements: list[str] = []
    engine = app.extensions["participa.engine"]

    def log(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(" ".join(statement.split()))

    walls, cpus = [], []
    for i, (client, form) in enumerate(plain):
        if i == len(plain) - 1:
            sa.event.listen(engine, "before_cursor_execute", log)
        started, cpu = time.perf_counter(), time.process_time()
        assert client.post(path, data=form).status_code == 302
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    sa.event.remove(engine, "before_cursor_execute", log)

    profiler = cProfile.Profile()
    for client, form in profiled:
        profiler.enable()
        answer = client.post(path, data=form)
        profiler.disable()
        assert answer.status_code == 302, answer.status_code

    baseline_app.engine = baseline_app.make_engine(database_url)
    base_client = baseline_app.app.test_client()
    base_walls, base_cpus = [], []
    for i in range(220):
        started, cpu = time.perf_counter(), time.process_time()
        assert base_client.post("/insert", data={"organisation": i, "choice": "approve"}).status_code == 201
        if i >= 20:  # the first ones warm the pool
            base_walls.append(time.perf_counter() - started)
            base_cpus.append(time.process_time() - cpu)
    baseline_app.engine.dispose()

    ms = statistics.fmean
    print("profile, in-process (Flask test client, one request at a time, same PostgreSQL and Redis, no server):")
    print(
        f"  confirm POST: {1000 * ms(walls):.1f} ms wall, {1000 * ms(cpus):.1f} ms CPU per vote (mean of "
        f"{len(walls)}, profiler off); baseline POST /insert: {1000 * ms(base_walls):.2f} ms wall, "
        f"{1000 * ms(base_cpus):.2f} ms CPU (mean of {len(base_walls)})"
    )
    print(
        f"  SQL of one confirm POST: {len(statements)} statement(s) in autocommit, each its own transaction "
        f"(the baseline: BEGIN, 1 INSERT, COMMIT; both after the pool's liveness ping)"
    )
    for statement in statements:
        print(f"    {statement[:150]}{' ...' if len(statement) > 150 else ''}")

    stats = pstats.Stats(profiler)
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.stats.values())
    by_package: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        key = package_of(filename)
        by_package[key] = by_package.get(key, 0.0) + tt
    n = len(profiled)
    print(
        f"  cProfile of {n} confirm POSTs ({1000 * total / n:.1f} ms per vote with the profiler on), own time "
        f"by package:"
    )
    for key, value in sorted(by_package.items(), key=lambda kv: -kv[1]):
        if value / total >= 0.005:
            print(f"    {100 * value / total:5.1f} %  {1000 * value / n:6.2f} ms/vote  {key}")

    def table(order: str, title: str, restrict: str | None = None, limit: int = top) -> None:
        out = io.StringIO()
        view = pstats.Stats(profiler, stream=out)
        view.sort_stats(order)
        if restrict:
            view.print_stats(restrict, limit)
        else:
            view.print_stats(limit)
        lines = out.getvalue().splitlines()
        first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"  {title}:")
        for line in lines[first:]:
            if line.strip():
                print("    " + line.rstrip().replace(str(ROOT) + "/", "").replace(SITE_PACKAGES, ""))

    def find(path_end: str, name: str):
        return next((f for f in stats.stats if f[0].endswith(path_end) and f[2] == name), None)

    def per_vote(func) -> float:
        return 1000 * stats.stats[func][3] / n if func else float("nan")

    def callees(parent, title: str) -> None:
        if parent is None:
            return
        rows = []
        for func, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
            if parent in callers:
                calls, _prim, _own, cumulative = callers[parent]
                rows.append((cumulative, calls, func))
        print(f"  {title} ({per_vote(parent):.2f} ms/vote): what it calls, by time (ms per vote, calls per vote)")
        for cumulative, calls, func in sorted(rows, reverse=True)[:top]:
            if 1000 * cumulative / n >= 0.05:
                print(f"    {1000 * cumulative / n:6.2f} ms  {calls / n:4.1f}x  {label_of(func)}")

    request = find("flask/app.py", "wsgi_app")
    view = find("participa/voting/views.py", "vote")
    binding = find("participa/accounts/sessions.py", "end_unbound_session")
    print(
        f"  whole request (flask wsgi_app) {per_vote(request):.2f} ms/vote: views.vote {per_vote(view):.2f} ms, "
        f"the session's binding check before it {per_vote(binding):.2f} ms (nobody is loaded); the rest: "
        f"Flask/Werkzeug request handling, session cookie, CSRF check"
    )
    callees(view, "participa/voting/views.py vote()")
    callees(find("participa/voting/views.py", "_confirm"), "participa/voting/views.py _confirm()")
    callees(find("participa/voting/operations.py", "cast_online"), "participa/voting/operations.py cast_online()")
    table("tottime", f"top {top} functions by own time")
    app.extensions["participa.engine"].dispose()


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--orgs",
        type=int,
        default=2000,
        help="organisations on the roll (raised if the voters of all phases need more)",
    )
    parser.add_argument(
        "--voters", type=int, default=3000, help="organisations that vote in each measured (closed-loop) round"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="closed-loop rounds, each participa's votes then the baseline's requests (alternating: "
        "a drift of the machine hits both); the throughput ratio is the median round's",
    )
    parser.add_argument(
        "--real-logins",
        type=int,
        default=100,
        help="voters who sign in through the login form (argon2: ~10/s on 2 cores); the others "
        "get the session cookie that form would have set, signed with the server's key",
    )
    parser.add_argument("--baseline-requests", type=int, default=5000, help="per round")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=50, help="votes (and baseline requests) before measuring")
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=300.0,
        help="votes/s offered in the open-loop phase, at most --concurrency in flight (and the "
        "same for the baseline); its p95 is the latency target's; 0: none",
    )
    parser.add_argument("--paced-votes", type=int, default=1500)
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="cProfile the confirm request in-process: when a target is missed (auto)",
    )
    parser.add_argument("--profile-votes", type=int, default=60)
    parser.add_argument("--top", type=int, default=25, help="lines per profile table")
    parser.add_argument("--phase-time-limit", type=float, default=300.0, help="seconds, per phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_votes"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if sa_host(url) not in ("127.0.0.1", "localhost"):
            parser.error(f"only local services: {url}")
    sys.path.insert(0, str(BENCH))

    import redis
    import sqlalchemy as sa

    run_started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="participa-bench-votes-"))
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    paced_votes = args.paced_votes if args.paced_rate > 0 else 0
    profile_votes = args.profile_votes if args.profile != "never" else 0
    voting = args.rounds * args.voters + args.warmup + paced_votes
    app, people, (consultation_id, question_ids), on_roll = setup(
        args.database_url, max(args.orgs, voting + profile_votes), args.seed
    )
    setup_elapsed = time.perf_counter() - run_started
    rng = random.Random(args.seed)
    shuffled = rng.sample(people, len(people))  # voters spread over the roll
    voters = [
        Voter(email, org, rng.choice(["approve", "approve", "reject", "abstain"])) for email, org in shuffled[:voting]
    ]
    measured = voters[: args.rounds * args.voters]
    warm = voters[len(measured) : len(measured) + args.warmup]
    paced = voters[len(measured) + args.warmup :]
    profile_people = shuffled[voting : voting + profile_votes]

    engine = app.extensions["participa.engine"]
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()

    def backend_pids() -> list[int]:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )

    env = dict(os.environ)
    env.update(
        {
            "PARTICIPA_ENV": "development",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "SECRET_KEY": SECRET_KEY,
            "PARTICIPA_INSTANCE": str(work),
        }
    )
    for name in ("TASKS_EAGER", "MAIL_SERVER", "PUBLIC_URL"):
        env.pop(name, None)

    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL "
        f"{str(version).split()[0]}, {CORES} cores; gunicorn {args.workers} workers x {args.threads} threads "
        f"(gthread), 127.0.0.1 only; {args.concurrency} concurrent clients, one keep-alive connection each, no "
        f"think time (one asyncio process on the same machine)"
    )
    print(
        f"  scratch database {sa.make_url(args.database_url).database}: 1 consultation in voting, "
        f"{len(question_ids)} question, {on_roll} organisations on the frozen roll, one representative each, "
        f"{len(voters)} of them vote over HTTP ({len(measured)} measured, {len(warm)} warm-up, {len(paced)} paced); "
        f"receipt e-mails queued in Redis {args.redis_url} by the receipt task, no worker consuming; "
        f"setup {setup_elapsed:.1f} s"
    )

    sign_in, prepare, confirm = make_jobs(consultation_id, question_ids)
    server = Server("participa", "wsgi:app", env, args, work)
    baseline: Server | None = None
    authenticated: Server | None = None
    rounds: list[Round] = []
    paced_result = base_paced = None
    try:
        print(f"participa: wsgi:app on 127.0.0.1:{server.port}, {loadavg()}")
        real, minted = voters[: args.real_logins], voters[args.real_logins :]
        result = asyncio.run(run_phase(real, args.concurrency, server.port, sign_in, args.phase_time_limit))
        print(
            f"  sign in  {result.ok:>6} logins in {result.wall:6.1f} s, {result.rate():6.1f}/s (argon2); login POST "
            f"{latency_text(result.latencies)}; failures: {failures_text(result)}; {len(minted)} more sessions "
            f"signed with the server's key"
        )
        mint_sessions(app, minted)
        result = asyncio.run(run_phase(voters, args.concurrency, server.port, prepare, args.phase_time_limit))
        print(
            f"  prepare  {result.ok:>6} ballot pages + review POSTs in {result.wall:6.1f} s; review POST "
            f"{latency_text(result.latencies)}; failures: {failures_text(result)}"
        )

        baseline = Server(
            "baseline", "baseline_app:app", env, args, work, extra=["--pythonpath", str(BENCH)], health="/insert"
        )
        print(
            f"baseline: bench/baseline_app.py (POST /insert: one INSERT, commit) on 127.0.0.1:{baseline.port}, "
            f"same gunicorn settings, same client; each server idles while the other is measured"
        )
        authenticated = Server(
            "authenticated",
            "authenticated_app:app",
            env,
            args,
            work,
            extra=["--pythonpath", str(BENCH)],
            health="/healthz",
        )
        print(
            f"authenticated baseline: bench/authenticated_app.py (participa's app; POST /bench/insert: CSRF, the "
            f"signed-in session, one INSERT checking the account) on 127.0.0.1:{authenticated.port}, same settings"
        )
        base_rng = random.Random(args.seed + 1)
        base_items = [
            (i, base_rng.choice(["approve", "reject", "abstain"]))
            for i in range(args.warmup + args.rounds * args.baseline_requests + paced_votes)
        ]
        warm_result = asyncio.run(run_phase(warm, args.concurrency, server.port, confirm, args.phase_time_limit))
        warm_base = asyncio.run(
            run_phase(
                base_items[: args.warmup], args.concurrency, baseline.port, baseline_insert, args.phase_time_limit
            )
        )
        warm_auth = asyncio.run(
            run_phase(warm, args.concurrency, authenticated.port, authenticated_insert, args.phase_time_limit)
        )
        print(
            f"  warm-up  {warm_result.ok} votes, {warm_base.ok} baseline and {warm_auth.ok} authenticated requests, "
            f"not measured; failures: {failures_text(warm_result)} / {failures_text(warm_base)} / "
            f"{failures_text(warm_auth)}"
        )
        for number in range(args.rounds):
            time.sleep(1)
            batch = measured[number * args.voters : (number + 1) * args.voters]
            with CpuMeter(server, backend_pids) as cpu:
                votes = asyncio.run(run_phase(batch, args.concurrency, server.port, confirm, args.phase_time_limit))
            first = args.warmup + number * args.baseline_requests
            time.sleep(1)
            with CpuMeter(baseline, backend_pids) as base_cpu:
                base = asyncio.run(
                    run_phase(
                        base_items[first : first + args.baseline_requests],
                        args.concurrency,
                        baseline.port,
                        baseline_insert,
                        args.phase_time_limit,
                    )
                )
            time.sleep(1)
            with CpuMeter(authenticated, backend_pids) as auth_cpu:
                auth = asyncio.run(
                    run_phase(batch, args.concurrency, authenticated.port, authenticated_insert, args.phase_time_limit)
                )
            rounds.append(Round(votes, cpu, base, base_cpu, auth, auth_cpu))
            print(
                f"  round {number + 1}: VOTE {votes.ok:>5} votes in {votes.wall:5.2f} s = {votes.rate():6.1f} "
                f"votes/s; INSERT {base.ok:>5} in {base.wall:5.2f} s = {base.rate():6.1f} req/s; ratio "
                f"{100 * rounds[-1].ratio():.1f} %; SIGNED-IN INSERT {auth.ok:>5} in {auth.wall:5.2f} s = "
                f"{auth.rate():6.1f} req/s; ratio {100 * rounds[-1].auth_ratio():.1f} %"
            )
            print(f"           vote:     {latency_text(votes.latencies)}; failures: {failures_text(votes)}")
            print(f"                     {cpu.text(votes.done)}")
            print(f"           baseline: {latency_text(base.latencies)}; failures: {failures_text(base)}")
            print(f"                     {base_cpu.text(base.done)}")
            print(f"           signed-in: {latency_text(auth.latencies)}; failures: {failures_text(auth)}")
            print(f"                     {auth_cpu.text(auth.done)}")
        if paced:
            paced_result = asyncio.run(
                run_paced(paced, args.paced_rate, args.concurrency, server.port, confirm, args.phase_time_limit)
            )
            print(
                f"  paced    {paced_result.ok:>6} of {len(paced)} votes offered at {args.paced_rate:.0f}/s (open "
                f"loop); confirm POST from its due time {latency_text(paced_result.latencies)}; "
                f"failures: {failures_text(paced_result)}"
            )
            base_paced = asyncio.run(
                run_paced(
                    base_items[args.warmup + args.rounds * args.baseline_requests :],
                    args.paced_rate,
                    args.concurrency,
                    baseline.port,
                    baseline_insert,
                    args.phase_time_limit,
                )
            )
            print(
                f"  paced    {base_paced.ok:>6} of {paced_votes} baseline requests offered at {args.paced_rate:.0f}/s"
                f" (open loop); from due time {latency_text(base_paced.latencies)}; "
                f"failures: {failures_text(base_paced)}"
            )
    finally:
        server.stop()
        if baseline is not None:
            baseline.stop()
        if authenticated is not None:
            authenticated.stop()

    voted = {v.organisation_id for v in voters if v.voted}
    summary, *problems = verify(app, consultation_id, question_ids, voted, args.database_url, args.redis_url)
    base_ok = warm_base.ok + sum(r.base.ok for r in rounds) + (base_paced.ok if base_paced else 0)
    base_ok += warm_auth.ok + sum(r.auth.ok for r in rounds)
    rows = count_rows(app, "bench_baseline")

    ratios = sorted(r.ratio() for r in rounds)
    ratio = statistics.median(ratios)
    throughput_met = ratio >= 0.70
    vote_rate = sum(r.votes.ok for r in rounds) / sum(r.votes.wall for r in rounds)
    base_rate = sum(r.base.ok for r in rounds) / sum(r.base.wall for r in rounds)
    auth_rate = sum(r.auth.ok for r in rounds) / sum(r.auth.wall for r in rounds)
    auth_ratio = statistics.median(r.auth_ratio() for r in rounds)
    print(
        f"result: participa {vote_rate:.1f} votes/s, baseline {base_rate:.1f} requests/s over {len(rounds)} "
        f"alternating closed-loop rounds; ratio by round {', '.join(f'{100 * x:.1f} %' for x in ratios)}: median "
        f"{100 * ratio:.1f} % (target >= 70 %: {'met' if throughput_met else 'MISSED'})"
    )
    print(
        f"  authenticated baseline {auth_rate:.1f} requests/s: participa's floor for a signed-in form; the vote "
        f"runs at a median {100 * auth_ratio:.1f} % of it (what the vote itself adds over the platform's floor)"
    )
    print(
        f"  CPU per request over the rounds: participa {cpu_split([(r.cpu, r.votes.done) for r in rounds])}; "
        f"baseline {cpu_split([(r.base_cpu, r.base.done) for r in rounds])}; "
        f"authenticated {cpu_split([(r.auth_cpu, r.auth.done) for r in rounds])}"
    )
    if paced_result is not None and paced_result.latencies:
        p95 = 1000 * percentile(paced_result.latencies, 95)
        p95_met = p95 < 100 and not paced_result.failures and paced_result.ok == len(paced)
        print(
            f"  vote p95 {p95:.0f} ms with {args.concurrency} concurrent voters at {args.paced_rate:.0f} votes/s "
            f"offered (open loop; target < 100 ms: {'met' if p95_met else 'MISSED'}); the baseline's: "
            f"{1000 * percentile(base_paced.latencies, 95) if base_paced and base_paced.latencies else 0:.0f} ms"
        )
    else:
        p95_met = False
        print("  no paced phase: the latency target is not measured")
    all_votes = [x for r in rounds for x in r.votes.latencies]
    all_base = [x for r in rounds for x in r.base.latencies]
    print(f"  closed loop, all rounds: participa {latency_text(all_votes)}; baseline {latency_text(all_base)}")
    print(
        f"  closed-loop p95: participa {1000 * percentile(all_votes, 95):.0f} ms, baseline "
        f"{1000 * percentile(all_base, 95):.0f} ms; with no think time the mean latency is, by Little's "
        f"law, {args.concurrency} clients / throughput: {1000 * args.concurrency / max(vote_rate, 1e-9):.0f} ms "
        f"for participa, {1000 * args.concurrency / max(base_rate, 1e-9):.0f} ms for the baseline"
    )
    print(f"checks: {summary}")
    print(
        f"  {len(voted)} successful confirms ({warm_result.ok} warm-up + {sum(r.votes.ok for r in rounds)} measured"
        f"{f' + {paced_result.ok} paced' if paced_result else ''}); baseline: {rows} rows for {base_ok} "
        f"successful inserts (both baselines)"
    )
    if rows != base_ok:
        problems.append(f"{rows} baseline rows for {base_ok} successful inserts")
    print(
        "  "
        + (
            "OK: one effective vote per organisation, ballots = successful responses = receipts pending "
            "= receipt e-mails queued"
            if not problems
            else "PROBLEMS: " + "; ".join(problems)
        )
    )

    try:
        if args.profile == "always" or (args.profile == "auto" and not (throughput_met and p95_met)):
            profile_in_process(
                args.database_url, args.redis_url, consultation_id, question_ids, profile_people, args.top
            )
    finally:
        broker.flushdb()
        engine.dispose()
    print(f"done in {time.perf_counter() - run_started:.0f} s; Redis {args.redis_url} flushed; server logs in {work}")
    if problems:
        sys.exit(1)


def sa_host(url: str) -> str | None:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname


if __name__ == "__main__":
    main()
