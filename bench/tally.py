"""Benchmark: the tally of 1,000,000 votes over a 50,000-organisation roll on PostgreSQL, beside
the raw SQL aggregate over the same rows.

    .venv/bin/python bench/tally.py [--orgs 50000] [--questions 20]

Setup (scratch database participa_bench_tally, recreated and migrated): 20 admissible projects,
one consultation on them with a square-root-of-members weight scheme, 50,000 verified
organisations each with one representative, the roll frozen by the real ``freeze_roll`` (exact
6-place Decimal weights), then with COPY one online ballot per organisation inside the voting
window and its 20 votes (20 x 50,000 = 1,000,000, one effective each, seeded random choices).
The consultation is moved to counting.

Then the real ``close_consultation`` runs, its two steps timed apart: (e) vote admissibility
(``judge_votes``: every rule's verdict for every vote, one INSERT ... SELECT) and (a) the tally step
(``count``: load the admitted votes, the pure ``tally``, canonical JSON, SHA-256; the hashes of the
public files are computed before it and timed apart).
Beside it: (b) the raw ``SELECT question_id, choice, SUM(weight) ... GROUP BY`` over the same
rows, (c) their ratio (target under 3x) and the absolute time (target under 5 s), (d) the
canonical JSON of a second ``count`` (in a savepoint, without the stored result) and of the pure
function over the same ballots in another order, compared by SHA-256, and the peak RSS.
If a target is missed, one more ``count`` runs under cProfile (in a savepoint) and the top
functions are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

RAW_SQL = """
SELECT v.question_id, v.choice, SUM(r.weight) AS weight, count(*) AS heads
FROM votes v
JOIN roll_entries r ON r.consultation_id = v.consultation_id AND r.organisation_id = v.organisation_id
WHERE v.consultation_id = :c AND v.effective
GROUP BY v.question_id, v.choice
"""
# The same aggregate restricted to the votes this close admitted (the filter count() must apply).
RAW_SQL_ADMITTED = """
SELECT v.question_id, v.choice, SUM(r.weight) AS weight, count(*) AS heads
FROM votes v
JOIN roll_entries r ON r.consultation_id = v.consultation_id AND r.organisation_id = v.organisation_id
JOIN vote_decisions d ON d.consultation_id = v.consultation_id AND d.count_round = 1 AND d.vote_id = v.id
WHERE v.consultation_id = :c AND d.admissible
GROUP BY v.question_id, v.choice
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Timer:
    def __enter__(self) -> Timer:
        self.started, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started
        self.cpu = time.process_time() - self.cpu


def receipt(i: int) -> str:
    import base64

    text = base64.b32encode(hashlib.sha256(f"bench-tally-{i}".encode()).digest()[:10]).decode("ascii")
    return "-".join(text[k : k + 4] for k in range(0, 16, 4))


def setup(database_url: str, orgs: int, questions: int, seed: int):
    """Returns (app, consultation id, question ids, manager id, setup figures)."""
    import sqlalchemy as sa
    from vote_intake import create_voters

    from participa import create_app
    from participa.commitments.operations import load_commitments
    from participa.consultations import operations as consultations
    from participa.consultations.models import RollEntry
    from participa.consultations.rules import Phase
    from participa.core import db, migrations
    from participa.core.db import utcnow
    from participa.territory.operations import load_comunas
    from participa.voting.models import Ballot
    from participa.voting.rules import tracker_of
    from tests.conftest import _recreate_postgres_database
    from tests.fixtures.accounts import create_user
    from tests.fixtures.consultations import admissible_project, consultation_data, open_for_voting

    figures: dict[str, float] = {}
    _recreate_postgres_database(database_url)
    work = Path(tempfile.mkdtemp(prefix="participa-bench-tally-"))
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench-tally", "REDIS_URL": None, "TASKS_EAGER": True}
    )
    app.instance_path = str(work)
    rng = random.Random(seed)
    with app.app_context():
        migrations.upgrade(app)
        session = db.session()
        load_comunas(session)
        load_commitments(session)
        session.commit()
        projects = [admissible_project(session, title=f"Proyecto de prueba {i + 1:02d}") for i in range(questions)]
        with Timer() as t:
            people = create_voters(session, orgs, seed)
        figures["people"] = t.elapsed
        manager = create_user(session, roles=["manager"])
        now = utcnow()
        consultation = consultations.create_consultation(
            session,
            actor=manager,
            data=consultation_data(
                [p.id for p in projects],
                title="Consulta de carga: conteo",
                weight_scheme={"base": "sqrt_members"},
                voting_at=now - timedelta(hours=3),
                voting_ends_at=now + timedelta(hours=2),
            ),
        )
        session.commit()
        with Timer() as t:
            open_for_voting(session, consultation, manager)  # the real freeze_roll: weights, roll hash
        figures["freeze"] = t.elapsed
        question_ids = [q.id for q in consultation.questions]
        roll = session.execute(
            sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.consultation_id == consultation.id)
        ).scalar_one()
        assert roll == orgs, f"{roll} organisations on the roll, expected {orgs}"

        # One online ballot per organisation, cast by its representative inside the voting window,
        # and one vote per question; each question has its own leaning so that results differ.
        with Timer() as t:
            user_of = dict(
                session.execute(
                    sa.text("SELECT organisation_id, user_id FROM representations WHERE status = 'approved'")
                ).all()
            )
            ballot_ids = db.next_ids(session, Ballot.__table__, orgs)
            session.commit()
            start = consultation.voting_at.replace(tzinfo=None)
            span = int((now - consultation.voting_at).total_seconds()) - 60
            leaning = [(rng.uniform(0.3, 0.7), rng.uniform(0.02, 0.15)) for _ in question_ids]
            raw = app.extensions["participa.engine"].raw_connection()
            try:
                with raw.cursor() as cursor:
                    with cursor.copy(
                        "COPY ballots (id, consultation_id, organisation_id, cast_by_id, cast_at, "
                        "channel, receipt_code, tracker) FROM STDIN"
                    ) as copy:
                        for i, ((_email, org_id), ballot_id) in enumerate(zip(people, ballot_ids, strict=True)):
                            copy.write_row(
                                (
                                    ballot_id,
                                    consultation.id,
                                    org_id,
                                    user_of[org_id],
                                    start + timedelta(seconds=rng.randrange(span)),
                                    "online",
                                    receipt(i),
                                    tracker_of(receipt(i)),
                                )
                            )
                    with cursor.copy(
                        "COPY votes (ballot_id, consultation_id, question_id, organisation_id, choice, "
                        "effective) FROM STDIN"
                    ) as copy:
                        block = []
                        for (_email, org_id), ballot_id in zip(people, ballot_ids, strict=True):
                            for question_id, (approve, abstain) in zip(question_ids, leaning, strict=True):
                                draw = rng.random()
                                choice = (
                                    "abstain"
                                    if draw < abstain
                                    else ("approve" if draw < abstain + (1 - abstain) * approve else "reject")
                                )
                                block.append(f"{ballot_id}\t{consultation.id}\t{question_id}\t{org_id}\t{choice}\tt\n")
                            if len(block) >= 100_000:
                                copy.write("".join(block))
                                block.clear()
                        copy.write("".join(block))
                    cursor.execute("ANALYZE ballots")
                    cursor.execute("ANALYZE votes")
                raw.commit()
            finally:
                raw.close()
        figures["copy"] = t.elapsed
        consultations.change_phase(
            session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow()
        )
        session.commit()
        consultation_id, manager_id = consultation.id, manager.id
    return app, consultation_id, question_ids, manager_id, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=50_000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="cProfile one more count(): when a target is missed (auto)",
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_TALLY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_tally"
        ),
    )
    args = parser.parse_args()

    import sqlalchemy as sa

    from participa.consultations.models import Consultation
    from participa.core import db
    from participa.core.canonical import sha256_hex
    from participa.tally import rules as tally_rules
    from participa.voting import operations, records
    from participa.voting.models import TallyResult

    started_all = time.perf_counter()
    app, consultation_id, question_ids, _manager_id, figures = setup(
        args.database_url, args.orgs, args.questions, args.seed
    )
    votes_total = args.orgs * args.questions
    engine = app.extensions["participa.engine"]
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()
        work_mem = conn.execute(sa.text("SHOW work_mem")).scalar()
    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL "
        f"{str(version).split()[0]} (work_mem {work_mem}), {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"  scratch database {sa.make_url(args.database_url).database}: {args.orgs:,} organisations on the "
        f"roll (real freeze_roll, sqrt_members weights: {figures['freeze']:.1f} s), {args.questions} questions, "
        f"{args.orgs:,} ballots and {votes_total:,} votes written with COPY ({figures['copy']:.1f} s); "
        f"setup {time.perf_counter() - started_all:.0f} s"
    )

    # --- the real close: admissibility then count, timed apart, in one transaction ------------
    timings: dict[str, Timer] = {}
    real_judge, real_count = operations.judge_votes, operations.count

    def timed(name, function):
        def wrapper(*a, **k):
            with Timer() as t:
                value = function(*a, **k)
            t.peak = peak_rss_mb()  # the process's peak so far: it rises only if this step set it
            timings[name] = t
            return value

        return wrapper

    with app.app_context():
        session = db.session()
        rss_before, peak_before = rss_mb(), peak_rss_mb()
        operations.judge_votes, operations.count = timed("judge", real_judge), timed("count", real_count)
        try:
            with Timer() as close_timer:
                result = operations.close_consultation(session, consultation_id)
                session.commit()
        finally:
            operations.judge_votes, operations.count = real_judge, real_count
        assert result is not None
        canonical_1, sha_1 = result.canonical_json.encode("utf-8"), result.sha256
        run = f"close-{consultation_id}"
        rss_after_close = rss_mb()

        # (b) the raw aggregate over the same rows, twice (the second with a warm cache).
        raw_times, raw_rows = [], None
        for query in (RAW_SQL, RAW_SQL):
            with Timer() as t:
                raw_rows = session.execute(sa.text(query), {"c": consultation_id}).all()
            raw_times.append(t.elapsed)
        with Timer() as t_admitted:
            admitted_rows = session.execute(sa.text(RAW_SQL_ADMITTED), {"c": consultation_id}).all()
        session.rollback()

        # (d) a second count(), from a state without the stored result (savepoint, rolled back).
        consultation = session.get(Consultation, consultation_id)
        with session.begin_nested() as savepoint:
            session.execute(sa.delete(TallyResult).where(TallyResult.consultation_id == consultation_id))
            with Timer() as manifest_timer:
                files = records.manifest(session, consultation)
            with Timer() as count_2:
                again = operations.count(session, consultation, files=files)
            canonical_2, sha_2 = again.canonical_json.encode("utf-8"), again.sha256
            savepoint.rollback()
        session.rollback()

        # The pure function alone, over the same admitted ballots in another order.
        consultation = session.get(Consultation, consultation_id)
        with Timer() as load_timer:
            roll = [
                tally_rules.RollEntry(org_id, Decimal(weight))
                for org_id, weight in session.execute(
                    sa.text("SELECT organisation_id, weight FROM roll_entries WHERE consultation_id = :c"),
                    {"c": consultation_id},
                )
            ]
            # naive UTC from the driver; count() reads aware UTC through the ORM's column type
            ballots = [
                tally_rules.Ballot(o, q, c, at.replace(tzinfo=UTC), i)
                for i, o, q, c, at in session.execute(
                    sa.text(
                        "SELECT v.id, v.organisation_id, v.question_id, v.choice, b.cast_at FROM votes v "
                        "JOIN ballots b ON b.id = v.ballot_id "
                        "JOIN vote_decisions d ON d.consultation_id = v.consultation_id AND d.count_round = 1 "
                        "AND d.vote_id = v.id WHERE v.consultation_id = :c AND d.admissible"
                    ),
                    {"c": consultation_id},
                ).all()
            ]
        random.Random(args.seed).shuffle(ballots)
        random.Random(args.seed + 1).shuffle(roll)
        rules = operations.tally_rules_of(consultation)
        with Timer() as pure_timer:
            pure = tally_rules.tally(roll, ballots, question_ids, rules)
            canonical_3 = pure.to_canonical()
        sha_3 = sha256_hex(canonical_3)
        del ballots, roll
        session.rollback()

        decisions = session.execute(
            sa.text(
                "SELECT count(*), count(*) FILTER (WHERE admissible) FROM vote_decisions WHERE consultation_id = :c"
            ),
            {"c": consultation_id},
        ).one()
        session.rollback()

    # Does the tally agree with SQL? Heads and weight sums per question and choice.
    data = json.loads(canonical_1)
    sql_sums = {(q, c): (Decimal(w), n) for q, c, w, n in raw_rows}
    mismatches = 0
    for question in data["questions"]:
        for choice in ("approve", "reject", "abstain"):
            weight, heads = sql_sums.get((question["question_id"], choice), (Decimal(0), 0))
            if Decimal(question[choice]["weight"]) != weight or question[choice]["heads"] != heads:
                mismatches += 1

    judge, count_1 = timings["judge"], timings["count"]
    raw_best = min(raw_times)
    ratio = count_1.elapsed / raw_best
    ratio_met, absolute_met = ratio < 3, count_1.elapsed < 5
    identical = sha_1 == sha_2 == sha256_hex(canonical_1) and canonical_1 == canonical_2
    # The published JSON adds the public record (files, hashes, window) and the votes set aside;
    # the pure tally over the admitted ballots must give the same figures.
    published, pure_figures = json.loads(canonical_1), json.loads(canonical_3)
    pure_same = all(
        published[key] == pure_figures[key]
        for key in ("questions", "counted", "roll_size", "roll_total_weight", "rules")
    )
    print(
        f"(e) admissibility (judge_votes: {votes_total:,} votes, every rule, decisions written by INSERT ... SELECT): "
        f"{judge.elapsed:.2f} s ({judge.cpu:.2f} s CPU in this process), {votes_total / judge.elapsed:,.0f} "
        f"votes/s; {decisions[0]:,} decisions, {decisions[1]:,} admissible"
    )
    print(
        f"(a) tally step (count: aggregate the admitted votes, exact tally, canonical JSON, SHA-256): "
        f"{count_1.elapsed:.2f} s ({count_1.cpu:.2f} s CPU in this process); second run {count_2.elapsed:.2f} s"
    )
    print(
        f"(f) public files: SHA-256 of {', '.join(sorted(files))} (records.manifest, before count): "
        f"{manifest_timer.elapsed:.2f} s"
    )
    print(
        f"    close_consultation end to end (admissibility + public files + count + phase + audit + commit): "
        f"{close_timer.elapsed:.2f} s"
    )
    print(
        f"    pure tally() alone on {votes_total:,} preloaded ballots (shuffled): {pure_timer.elapsed:.2f} s "
        f"(loading them with raw SQL into tally.Ballot objects: {load_timer.elapsed:.2f} s)"
    )
    print(
        f"(b) raw SQL SUM(weight) GROUP BY question, choice over votes JOIN roll_entries: "
        f"{raw_times[0]:.3f} s, again {raw_times[1]:.3f} s; the same restricted to this close's admitted votes "
        f"(+ JOIN vote_decisions): {t_admitted.elapsed:.3f} s ({len(admitted_rows)} groups)"
    )
    print(
        f"(c) count / raw SQL: {ratio:.1f}x (target under 3x: {'met' if ratio_met else 'MISSED'}); "
        f"count {count_1.elapsed:.2f} s (target under 5 s: {'met' if absolute_met else 'MISSED'}); "
        f"count / the admitted-votes aggregate: {count_1.elapsed / t_admitted.elapsed:.1f}x"
    )
    print(
        f"(d) canonical JSON ({len(canonical_1):,} bytes): close sha256 {sha_1}, second count {sha_2}: "
        f"{'IDENTICAL (byte for byte)' if identical else 'DIFFERENT'}; the pure tally() over the same ballots "
        f"shuffled: {sha_3[:16]}..., {'the same figures' if pure_same else 'DIFFERENT figures'}"
    )
    print(
        f"    agreement with SQL: {'heads and weight sums equal' if not mismatches else f'{mismatches} MISMATCHES'} "
        f"for {len(data['questions'])} questions x 3 choices; counted {data['counted']:,}, roll total weight "
        f"{data['roll_total_weight']}"
    )
    print(
        f"peak RSS of this process: {peak_before:.0f} MB before close_consultation (RSS {rss_before:.0f} MB), "
        f"{judge.peak:.0f} MB after admissibility, {count_1.peak:.0f} MB after count (RSS {rss_after_close:.0f} MB "
        f"after close); {peak_rss_mb():.0f} MB at the end, after this script's own copy of the {votes_total:,} "
        f"ballots for the pure-function check"
    )

    if args.profile == "always" or (args.profile == "auto" and not (ratio_met and absolute_met)):
        profile_count(app, consultation_id, run, args.top)
    engine.dispose()
    print(f"done in {time.perf_counter() - started_all:.0f} s")
    if not identical or mismatches:
        sys.exit(1)


SITE_PACKAGES = str(Path(sys.executable).parent.parent / "lib" / "python3.11" / "site-packages") + "/"


def _label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    return f"{filename.replace(str(ROOT) + '/', '').replace(SITE_PACKAGES, '')}:{line}({name})"


def profile_count(app, consultation_id: int, run: str, top: int) -> None:
    """count() once more under cProfile (savepoint, rolled back): where its time goes, by callee
    of count() and of tally(), then the plan of the query that loads the admitted votes."""
    import sqlalchemy as sa

    from participa.consultations.models import Consultation
    from participa.core import db
    from participa.voting import operations, records
    from participa.voting.models import TallyResult

    profiler = cProfile.Profile()
    sent: list[list] = []  # [seconds, statement, parameters] of each statement count() sends

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append([time.perf_counter(), statement, parameters])

    def after(_conn, _cursor, _statement, _parameters, _context, _many) -> None:
        sent[-1][0] = time.perf_counter() - sent[-1][0]

    engine = app.extensions["participa.engine"]
    with app.app_context():
        session = db.session()
        consultation = session.get(Consultation, consultation_id)
        with session.begin_nested() as savepoint:
            session.execute(sa.delete(TallyResult).where(TallyResult.consultation_id == consultation_id))
            sa.event.listen(engine, "before_cursor_execute", before)
            sa.event.listen(engine, "after_cursor_execute", after)
            started = time.perf_counter()
            profiler.enable()
            operations.count(session, consultation, files=records.manifest(session, consultation))
            profiler.disable()
            elapsed = time.perf_counter() - started
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)
            savepoint.rollback()
        _seconds, slowest, parameters = max(sent, key=lambda item: item[0])
        plan = [row[0] for row in session.connection().exec_driver_sql("EXPLAIN ANALYZE " + slowest, parameters)]
        session.rollback()
    stats = pstats.Stats(profiler)

    def find(path_end: str, name: str):
        return next((f for f in stats.stats if f[0].endswith(path_end) and f[2] == name), None)

    def callees(parent, title: str) -> None:
        if parent is None:
            return
        rows = []
        for func, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
            if parent in callers:
                calls, _prim, _own, cumulative = callers[parent]
                rows.append((cumulative, calls, func))
        own = stats.stats[parent][2]
        print(f"  {title}: {stats.stats[parent][3]:.2f} s, of which its own code {own:.2f} s; what it calls:")
        for cumulative, calls, func in sorted(rows, reverse=True)[:12]:
            if cumulative >= 0.01:
                print(f"    {cumulative:6.2f} s  {calls:>9,}x  {_label(func)}")

    print(f"profile of count() (cProfile on: {elapsed:.2f} s; a profiler slows Python-heavy code more than SQL):")
    callees(find("participa/voting/operations.py", "count"), "participa/voting/operations.py count()")
    callees(
        find("participa/tally/rules.py", "tally"),
        "participa/tally/rules.py tally() (it drains the row generator, so its time includes fetching the votes)",
    )
    callees(
        find("participa/voting/operations.py", "<genexpr>"),
        "the generator in count() that turns each row into a tally.Ballot",
    )
    callees(find("participa/tally/rules.py", "tally_groups"), "participa/tally/rules.py tally_groups()")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print(f"  top {top} functions by own time:")
    for line in lines[first:]:
        if line.strip():
            print("    " + line.rstrip().replace(str(ROOT) + "/", "").replace(SITE_PACKAGES, ""))
    print(
        f"  SQL sent by count(): {len(sent)} statements, "
        + ", ".join(f"{t:.2f} s" for t, _s, _p in sent)
        + "; the slowest, with its plan (EXPLAIN ANALYZE: estimated and actual rows):"
    )
    print("    " + " ".join(slowest.split()))
    for line in plan:
        print("    " + line)


if __name__ == "__main__":
    main()
