"""Benchmark: the close pipeline (vote admissibility, then the tally) on 1,000,000 votes over a
50,000-organisation roll on PostgreSQL, beside one SQL statement that classifies every vote once.

    .venv/bin/python bench/close.py [--orgs 50000] [--questions 20] [--no-python-check]

Setup: the scratch database of ``bench/tally.py`` (participa_bench_close here): 50,000 verified
organisations with one representative each, a frozen square-root-of-members roll, one online
ballot per organisation with its 20 votes, written with COPY. Then, so that every rule has work:
2 % of the organisations vote again later (their first ballot is superseded), 2 % of the ballots
were cast an hour before voting opened, and 2 % of the representatives were approved only after
they voted (not authorised at the time).

(a) the close as production runs it: the ``voting.close_consultation`` task (``judge_votes`` in
committed chunks: one ``INSERT ... SELECT`` each, every rule's verdict and reason recorded per
vote, the verdicts copied onto the votes and ballots; then ``count``), with its two steps timed
apart; (b) one hand-written SQL statement that classifies every vote once with the same joins
(window, roll, authorisation at cast time, superseded) and counts the reasons, run twice (warm);
(c) their ratio (target at most 3x) and the pipeline's total (target under 20 s); (d) agreement:
the reasons counted by (b) against the decisions recorded, and (unless --no-python-check) every
vote judged again in Python by ``rules.vote_verdicts`` from independently loaded facts,
decision for decision; the result's SHA-256 against a second ``count`` in a savepoint.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from tally import Timer, peak_rss_mb, setup  # noqa: E402 - the bench directory is on the path now

# Written by hand, apart from the application's rules: the first reason of each vote, or NULL.
CLASSIFY = """
SELECT reason, count(*) FROM (
  SELECT CASE
    WHEN NOT v.effective THEN 'superseded'
    WHEN b.cast_at < c.voting_at OR b.cast_at >= c.voting_ends_at THEN 'outside_window'
    WHEN r.organisation_id IS NULL THEN 'not_on_roll'
    WHEN a.ballot_id IS NULL THEN 'not_authorised'
    WHEN ip.organisation_id IS NOT NULL AND b.channel = 'online' THEN 'overridden_in_person'
  END AS reason
  FROM votes v
  JOIN ballots b ON b.id = v.ballot_id
  JOIN consultations c ON c.id = v.consultation_id
  LEFT JOIN roll_entries r ON r.consultation_id = v.consultation_id AND r.organisation_id = v.organisation_id
  LEFT JOIN (
    SELECT DISTINCT b2.id AS ballot_id FROM ballots b2
    JOIN representations p ON p.user_id = b2.cast_by_id AND p.organisation_id = b2.organisation_id
    WHERE b2.consultation_id = :c AND p.approved_at <= b2.cast_at
      AND (p.revoked_at IS NULL OR b2.cast_at < p.revoked_at)
  ) a ON a.ballot_id = b.id
  LEFT JOIN (
    SELECT DISTINCT v3.question_id, v3.organisation_id FROM votes v3 JOIN ballots b3 ON b3.id = v3.ballot_id
    WHERE v3.consultation_id = :c AND v3.effective AND b3.channel = 'in_person'
  ) ip ON ip.question_id = v.question_id AND ip.organisation_id = v.organisation_id
  WHERE v.consultation_id = :c
) classified GROUP BY reason
"""


def vary(session, consultation_id: int, share: int) -> dict[str, int]:
    """Give every rule some votes to refuse: 1 in ``share`` organisations vote again an hour
    later (same choices), 1 in ``share`` ballots moved before opening, 1 in ``share``
    representatives approved after they voted. Plain SQL on the scratch database."""
    import sqlalchemy as sa

    params = {"c": consultation_id, "share": share}
    revoters = session.execute(
        sa.text(
            "CREATE TEMP TABLE revote ON COMMIT DROP AS "
            "SELECT id AS old_id, nextval(pg_get_serial_sequence('ballots', 'id')) AS new_id FROM ballots "
            "WHERE consultation_id = :c AND organisation_id % :share = 0"
        ),
        params,
    ).rowcount
    for statement in (
        "UPDATE votes SET effective = false WHERE ballot_id IN (SELECT old_id FROM revote)",
        "INSERT INTO ballots (id, consultation_id, organisation_id, cast_by_id, cast_at, channel, receipt_code, "
        "tracker) SELECT r.new_id, b.consultation_id, b.organisation_id, b.cast_by_id, "
        "b.cast_at + interval '1 minute', b.channel, 'R' || r.new_id, md5('revote' || r.new_id) "
        "FROM revote r JOIN ballots b ON b.id = r.old_id",
        "INSERT INTO votes (ballot_id, consultation_id, question_id, organisation_id, choice, effective) "
        "SELECT r.new_id, v.consultation_id, v.question_id, v.organisation_id, v.choice, true "
        "FROM revote r JOIN votes v ON v.ballot_id = r.old_id",
    ):
        session.execute(sa.text(statement))
    early = session.execute(
        sa.text(
            "UPDATE ballots SET cast_at = (SELECT voting_at FROM consultations WHERE id = :c) - interval '1 hour' "
            "WHERE consultation_id = :c AND organisation_id % :share = 1"
        ),
        params,
    ).rowcount
    late = session.execute(
        sa.text(
            "UPDATE representations SET approved_at = now() + interval '1 day' "
            "WHERE status = 'approved' AND organisation_id % :share = 2"
        ),
        params,
    ).rowcount
    for table in ("ballots", "votes", "representations"):
        session.execute(sa.text(f"ANALYZE {table}"))
    session.commit()
    return {"revoted": revoters, "early": early, "late_approval": late}


def python_check(session, consultation_id: int, run: str) -> tuple[int, int, float]:
    """Judge every vote again in Python (rules.vote_verdicts, the rules' other evaluation) from
    facts loaded with plain queries; returns (votes compared, disagreements, seconds)."""
    import sqlalchemy as sa

    from participa.consultations.models import Consultation
    from participa.voting import rules

    started = time.perf_counter()
    consultation = session.get(Consultation, consultation_id)
    on_roll = set(
        session.execute(
            sa.text("SELECT organisation_id FROM roll_entries WHERE consultation_id = :c"), {"c": consultation_id}
        ).scalars()
    )
    periods: dict[tuple[int, int], list] = {}
    for user_id, org_id, approved, revoked in session.execute(
        sa.text("SELECT user_id, organisation_id, approved_at, revoked_at FROM representations")
    ):
        periods.setdefault((user_id, org_id), []).append((approved, revoked))
    recorded = dict(
        session.execute(
            sa.text("SELECT vote_id, reason FROM vote_decisions WHERE consultation_id = :c AND count_round = 1"),
            {"c": consultation_id},
        ).all()
    )
    opens, closes = (x.replace(tzinfo=None) for x in (consultation.voting_at, consultation.voting_ends_at))
    compared = disagreements = 0
    rows = session.execute(
        sa.text(
            "SELECT v.id, v.organisation_id, v.question_id, v.effective, b.channel, b.cast_at, b.cast_by_id "
            "FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE v.consultation_id = :c"
        ),
        {"c": consultation_id},
    )
    for vote_id, org_id, question_id, effective, channel, cast_at, cast_by in rows:
        facts = rules.VoteFacts(
            vote_id=vote_id,
            organisation_id=org_id,
            question_id=question_id,
            channel=channel,
            cast_at=cast_at,
            on_roll=org_id in on_roll,
            authorised=rules.authorised_at(periods.get((cast_by, org_id), []), cast_at),
            effective=effective,
        )
        verdicts = rules.vote_verdicts(facts, voting_at=opens, voting_ends_at=closes)
        reason = next((v.reason for v in verdicts if not v.ok), None)
        compared += 1
        disagreements += recorded.get(vote_id, "missing") != reason
    return compared, disagreements, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=50_000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--share", type=int, default=50, help="1 in SHARE organisations gets each irregularity")
    parser.add_argument("--no-python-check", action="store_true")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_CLOSE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_close"
        ),
    )
    args = parser.parse_args()

    import sqlalchemy as sa

    from participa.consultations.models import Consultation
    from participa.core import db
    from participa.voting import operations, tasks
    from participa.voting.models import TallyResult

    started_all = time.perf_counter()
    app, consultation_id, _question_ids, _manager, figures = setup(
        args.database_url, args.orgs, args.questions, args.seed
    )
    engine = app.extensions["participa.engine"]
    with app.app_context():
        session = db.session()
        # setup() moved the consultation to counting; the irregular votes go in first.
        varied = vary(session, consultation_id, args.share)
        votes_total = session.execute(
            sa.text("SELECT count(*) FROM votes WHERE consultation_id = :c"), {"c": consultation_id}
        ).scalar_one()
        version = session.execute(sa.text("SHOW server_version")).scalar()
        session.rollback()
    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL "
        f"{str(version).split()[0]}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.orgs:,} organisations, {votes_total:,} votes "
        f"({varied['revoted']:,} organisations voted again, {varied['early']:,} ballots before opening, "
        f"{varied['late_approval']:,} representatives approved after voting); setup "
        f"{time.perf_counter() - started_all:.0f} s (COPY {figures['copy']:.1f} s)"
    )

    # (a) the close as the worker runs it, its two steps timed apart.
    spent = Counter()
    real_judge, real_count = operations.judge_votes, operations.count

    def timed(name, function):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[name] += time.perf_counter() - started

        return wrapper

    operations.judge_votes, operations.count = timed("judge", real_judge), timed("count", real_count)
    try:
        with app.app_context(), Timer() as pipeline:
            tasks.close_consultation.run(consultation_id)
            db.session.remove()
    finally:
        operations.judge_votes, operations.count = real_judge, real_count

    run = operations.close_run(consultation_id)
    with app.app_context():
        session = db.session()
        result = session.execute(operations.current_result_query(consultation_id)).scalar_one()
        stored_json, stored_sha = result.canonical_json, result.sha256
        recorded = Counter(
            dict(
                session.execute(
                    sa.text(
                        "SELECT reason, count(*) FROM vote_decisions WHERE consultation_id = :c AND count_round = 1 "
                        "GROUP BY reason"
                    ),
                    {"c": consultation_id},
                ).all()
            )
        )
        session.rollback()
        # (b) the one statement, twice.
        baseline, classified = [], Counter()
        for _ in range(2):
            with Timer() as t:
                classified = Counter(dict(session.execute(sa.text(CLASSIFY), {"c": consultation_id}).all()))
            baseline.append(t.elapsed)
            session.rollback()
        # (d) the result's bytes again, from a state without the stored result.
        consultation = session.get(Consultation, consultation_id)
        with session.begin_nested() as savepoint:
            session.execute(sa.delete(TallyResult).where(TallyResult.consultation_id == consultation_id))
            again = operations.count(session, consultation, files=operations.records.manifest(session, consultation))
            same_bytes = again.canonical_json == stored_json and again.sha256 == stored_sha
            savepoint.rollback()
        session.rollback()
        checked = None if args.no_python_check else python_check(session, consultation_id, run)
        session.rollback()
    engine.dispose()

    best = min(baseline)
    ratio = pipeline.elapsed / best
    print(
        f"(a) close pipeline (the voting.close_consultation task, chunks of {tasks.JUDGE_CHUNK:,}): "
        f"{pipeline.elapsed:.2f} s in all ({pipeline.cpu:.2f} s CPU in this process): vote admissibility "
        f"{spent['judge']:.2f} s ({votes_total / spent['judge']:,.0f} votes/s, {sum(recorded.values()):,} decisions), "
        f"count {spent['count']:.2f} s, the rest (public files, audit, commits) "
        f"{pipeline.elapsed - spent['judge'] - spent['count']:.2f} s"
    )
    print(f"(b) one statement classifying every vote: {baseline[0]:.2f} s, again {baseline[1]:.2f} s")
    print(
        f"(c) pipeline / statement: {ratio:.1f}x (target at most 3x: {'met' if ratio <= 3 else 'MISSED'}); "
        f"pipeline {pipeline.elapsed:.1f} s (target under 20 s: {'met' if pipeline.elapsed < 20 else 'MISSED'})"
    )
    agree = recorded == classified
    print(
        "(d) reasons recorded: "
        + ", ".join(f"{reason or 'admitted'} {n:,}" for reason, n in sorted(recorded.items(), key=str))
        + f"; the statement's count {'AGREES' if agree else 'DISAGREES: ' + str(classified)}"
    )
    if checked:
        compared, disagreements, seconds = checked
        print(
            f"    Python's evaluation of the same rules (vote_verdicts) on {compared:,} votes: "
            f"{disagreements:,} disagreements ({seconds:.1f} s)"
        )
    print(
        f"    result SHA-256 {stored_sha[:16]}..., a second count: "
        f"{'IDENTICAL bytes' if same_bytes else 'DIFFERENT'}; peak RSS {peak_rss_mb():.0f} MB; "
        f"done in {time.perf_counter() - started_all:.0f} s"
    )
    if not (agree and same_bytes) or (checked and checked[1]):
        sys.exit(1)


if __name__ == "__main__":
    main()
