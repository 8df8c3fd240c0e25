"""Benchmark: each comuna's open-government page with a year of data for the 52 comunas (issue #17).

    .venv/bin/python bench/comuna_page.py [--requests 400] [--rounds 4]

Setup (scratch database participa_bench_comunas on PostgreSQL, recreated and migrated): the 52
comunas and the 80 commitments (a third of them naming comunas), 40 verified organisations per
comuna (2,080), 20 projects per comuna in every state (1,040), 100 consultations over the past year
(each voting in three comunas, two questions, its roll frozen with the organisations of those
comunas, about 60 % of them casting a ballot), 60 of them counted and 50 certified, the 52
municipalities in the network with 300 published practices and 600 replications. Written in
bulk, in the shapes the application writes.

Measured in-process through Flask's test client (routing, the queries, the template), in
alternating rounds: (a) ``GET /comunas/<cut>`` for a random comuna and (b) a baseline,
``GET /compromisos/verificar`` (the same layout, a form, no query of the data). Printed: SQL
statements per comuna page (target at most 15), latency percentiles of each, the page's p95
(target under 50 ms) and its ratio to the baseline's. One process, one request at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib.stats import nearest_rank as percentile  # noqa: E402 (as the dashboard's figures)

STATES = ["submitted", "admissible", "inadmissible", "in_consultation", "consulted", "approved", "rejected"]


def setup(url: str, seed: int):
    import sqlalchemy as sa

    from participa import create_app
    from participa.certification.models import Certification
    from participa.commitments.models import Commitment
    from participa.commitments.operations import load_commitments
    from participa.consultations.models import Consultation, Question, RollEntry
    from participa.core import db, migrations
    from participa.core.rut import check_digit
    from participa.network.models import NetworkMember, Practice, PracticeReplication
    from participa.projects.models import Project
    from participa.registry.models import Organisation
    from participa.territory.models import Comuna
    from participa.territory.operations import load_comunas
    from participa.voting.models import Ballot, TallyResult
    from tests.conftest import _recreate_postgres_database
    from tests.fixtures.accounts import create_user

    _recreate_postgres_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-comunas", "REDIS_URL": None, "TASKS_EAGER": True})
    app.instance_path = tempfile.mkdtemp(prefix="participa-bench-comunas-")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with app.app_context():
        migrations.upgrade(app)
        session = db.session()
        load_comunas(session)
        load_commitments(session)
        session.commit()
        cuts = list(session.execute(sa.select(Comuna.cut).order_by(Comuna.cut)).scalars())
        user = create_user(session, roles=["network_staff"])
        for commitment in session.execute(sa.select(Commitment)).scalars():
            if rng.random() < 0.33:
                commitment.comunas = sorted(rng.sample(cuts, rng.randrange(1, 6)))
        orgs = []
        for i, cut in enumerate(c for c in cuts for _ in range(40)):
            body = 70_000_000 + i
            orgs.append(
                {
                    "rut": f"{body}-{check_digit(body)}",
                    "legal_name": f"Organización {i}",
                    "name_folded": f"organizacion {i}",
                    "org_type": "junta_vecinos",
                    "comuna_cut": cut,
                    "members_count": rng.randrange(15, 500),
                    "status": "verified",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(sa.insert(Organisation), orgs)
        by_comuna: dict[int, list[int]] = {}
        for org_id, cut in session.execute(sa.select(Organisation.id, Organisation.comuna_cut)):
            by_comuna.setdefault(cut, []).append(org_id)
        projects = [
            {"comuna_cut": cut, "title": f"Proyecto {cut}-{n}", "summary": "Un proyecto del barrio.",
             "description": "Obras.", "axis": "DESIGUALDAD", "state": rng.choice(STATES), "amount_clp":
             rng.randrange(50, 900) * 1_000_000, "created_by_id": user.id, "created_at": now, "updated_at": now,
             "submitted_at": now - timedelta(days=rng.randrange(365))}
            for cut in cuts for n in range(20)
        ]  # fmt: skip
        session.execute(sa.insert(Project), projects)
        project_ids = list(session.execute(sa.select(Project.id)).scalars())
        session.commit()
        ballots = 0
        for c in range(100):
            start = now - timedelta(days=365 - c * 3)
            electorate = sorted(rng.sample(cuts, 3))
            counted, certified = c < 60, c < 50
            consultation = Consultation(
                title=f"Consulta {c}", information_at=start, proposals_at=start + timedelta(days=5),
                voting_at=start + timedelta(days=10), voting_ends_at=start + timedelta(days=15),
                electorate_comunas=electorate, cutoff_date=start.date(), weight_scheme={"base": "equal"},
                quorum=Decimal("0.3"), created_by_id=user.id, phase="published" if certified else
                ("certification" if counted else "voting"), roll_frozen_at=start + timedelta(days=9),
                roll_hash="0" * 64, roll_total_weight=Decimal(120),
            )  # fmt: skip
            consultation.questions = [Question(project_id=rng.choice(project_ids), position=n) for n in (1, 2)]
            session.add(consultation)
            session.flush()
            members = [org for cut in electorate for org in by_comuna[cut]]
            session.execute(sa.insert(RollEntry), [
                {"consultation_id": consultation.id, "organisation_id": org, "weight": Decimal(1), "inputs": {},
                 "rut": "1-9", "legal_name": "x", "comuna_cut": electorate[i // 40]}
                for i, org in enumerate(members)
            ])  # fmt: skip
            voters = [org for org in members if rng.random() < 0.6]
            session.execute(sa.insert(Ballot), [
                {"consultation_id": consultation.id, "organisation_id": org, "cast_by_id": user.id,
                 "cast_at": start + timedelta(days=11), "receipt_code": f"R{consultation.id}-{org}",
                 "tracker": f"{consultation.id:08d}{org:056d}", "channel": "online"}
                for org in voters
            ])  # fmt: skip
            ballots += len(voters)
            if counted:
                questions = [
                    {"question_id": q.id, "verdict": rng.choice(["approved", "rejected", "no_quorum"])}
                    for q in consultation.questions
                ]
                session.add(TallyResult(consultation_id=consultation.id, canonical_json=json.dumps(
                    {"questions": questions}), sha256="1" * 64, trackers_hash="2" * 64))  # fmt: skip
            session.flush()
            if certified:  # last: a certified consultation's rows refuse any change (triggers)
                consultation.certified_at = start + timedelta(days=20)
                session.flush()
                certification = Certification(
                    consultation_id=consultation.id, code=f"C{c:010d}", result_sha256="1" * 64,
                    roll_hash="0" * 64, trackers_hash="2" * 64, audit_block_id=0, audit_block_hash="3" * 64,
                    certified_at=consultation.certified_at,
                )  # fmt: skip
                session.add(certification)
            session.commit()
        munis = [NetworkMember(kind="municipality", name=f"Municipalidad {cut}", comuna_cut=cut, status="member",
                               joined_on=date(2026, 1, 1), liaison_id=user.id) for cut in cuts]  # fmt: skip
        session.add_all(munis)
        session.flush()
        practices = [Practice(member_id=m.id, title=f"Práctica {m.comuna_cut}-{n}", summary="x" * 40,
                              pillar=rng.choice(["transparency", "accountability", "participation"]),
                              comuna_cut=m.comuna_cut, results="y" * 40, how_to_replicate="z" * 40,
                              status="published", submitted_by_id=user.id, submitted_at=now)
                     for m in munis for n in range(6)][:300]  # fmt: skip
        session.add_all(practices)
        session.flush()
        pairs = set()
        while len(pairs) < 600:
            p, m = rng.choice(practices), rng.choice(munis)
            if p.member_id != m.id:
                pairs.add((p.id, m.id))
        session.execute(sa.insert(PracticeReplication), [
            {"practice_id": p, "member_id": m, "note": "La replicamos.", "recorded_by_id": user.id, "recorded_at": now}
            for p, m in pairs
        ])  # fmt: skip
        session.commit()
        session.execute(sa.text("ANALYZE"))
        db.session.remove()
    return app, cuts, ballots, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    url = os.environ.get("BENCH_COMUNAS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench_comunas")
    import sqlalchemy as sa

    app, cuts, ballots, seconds = setup(url, args.seed)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"setup: 52 comunas, 2,080 organisations, 1,040 projects, 100 consultations, {ballots:,} ballots, "
          f"300 practices in {seconds:.1f} s ({machine})")  # fmt: skip
    engine = app.extensions["participa.engine"]
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    rng = random.Random(args.seed)
    for cut in cuts[:10]:  # warm up
        assert client.get(f"/comunas/{cut}").status_code == 200
        client.get("/compromisos/verificar")
    counts = []
    for cut in cuts:
        statements.clear()
        client.get(f"/comunas/{cut}")
        counts.append(len(statements))
    timings: dict[str, list[float]] = {"comuna": [], "baseline": []}
    for _round in range(args.rounds):
        for name, values in timings.items():
            for _ in range(args.requests // args.rounds):
                path = f"/comunas/{rng.choice(cuts)}" if name == "comuna" else "/compromisos/verificar"
                began = time.perf_counter()
                response = client.get(path)
                values.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
    print(f"SQL statements per comuna page: at most {max(counts)}, at least {min(counts)} (target at most 15)")
    for name, values in timings.items():
        print(
            f"{name}: n={len(values)} p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"p99 {percentile(values, 99):.1f} ms"
        )
    p95 = percentile(timings["comuna"], 95)
    print(
        f"comuna page p95 {p95:.1f} ms (target under 50 ms): {'met' if p95 < 50 else 'missed'}; "
        f"{p95 / percentile(timings['baseline'], 95):.1f}x the baseline's p95"
    )


if __name__ == "__main__":
    main()
