"""The verifier against the real web process (issue #9): a named consultation on PostgreSQL,
served by gunicorn with the compose file's command line, recounted by `verificar.py` from the
downloads alone; then every downloaded file, one byte changed, fails the verification."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from participa.config import ROOT
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core import db
from participa.core.db import utcnow
from participa.voting import operations as voting
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import admissible_project, consultation_data, open_for_voting, representative_of
from tests.fixtures.processes import compose_command, free_port, process_env, start, wait_for
from tests.fixtures.registry import create_organisation

pytestmark = [pytest.mark.postgres, pytest.mark.commits]

VERIFIER = ROOT / "static" / "verificar.py"
SAN_PEDRO = 13505  # a comuna of its own: this test commits for real
BALLOTS = [(0, "approve"), (1, "reject"), (2, "approve"), (1, "approve"), (3, "abstain"), (4, "reject")]


def verifier(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_verifier_recounts_a_named_consultation_served_by_gunicorn(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        session = db.session()
        project = admissible_project(session, comuna_cut=SAN_PEDRO)
        kinds = ["junta_vecinos", "junta_vecinos", "funcional", "union_comunal", "funcional"]
        people = []
        for i, kind in enumerate(kinds):
            org = create_organisation(
                session, legal_name=f"Organización de San Pedro {i}", comuna_cut=SAN_PEDRO, org_type=kind
            )
            people.append((org, representative_of(session, org)))
        manager = create_user(session, roles=["manager"])
        consultation = consultations.create_consultation(
            session,
            actor=manager,
            data=consultation_data(
                [project.id],
                title="Consulta nominal de San Pedro",
                electorate_comunas=[SAN_PEDRO],
                secrecy="named",
                weight_scheme={"base": "by_type", "type_table": {"junta_vecinos": "2", "union_comunal": "3.5"}},
                quorum=Decimal("0.5"),
            ),
        )
        session.commit()
        open_for_voting(session, consultation, manager)
        for index, choice in BALLOTS:
            org, person = people[index]
            voting.cast_ballot(
                session,
                actor=person,
                consultation=consultation,
                organisation_id=org.id,
                answers={q.id: choice for q in consultation.questions},
                now=utcnow(),
                secret_key=app.config["SECRET_KEY"],
            )
            session.commit()
        consultations.change_phase(
            session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow()
        )
        session.commit()
        published = voting.close_consultation(session, consultation.id)
        session.commit()
        consultation_id, digest = consultation.id, published.sha256
        db.session.remove()

    command = compose_command("web")
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "2"
    web = start("web", command, process_env(app), tmp_path)
    try:

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, 30, "gunicorn to answer /healthz", web)
        saved = tmp_path / "descargas"
        run = verifier(
            f"http://127.0.0.1:{port}/consultas/{consultation_id}", "--sha256", digest, "--guardar", str(saved)
        )
        assert run.returncode == 0, run.stdout + run.stderr + web.output()
        assert "la página del resultado publica la misma huella" in run.stdout
        assert "Recuento voto a voto (voto nominal)" in run.stdout
        assert "TODO CUADRA" in run.stdout
    finally:
        web.stop()

    names = sorted(path.name for path in saved.iterdir())
    assert names == [
        "comprobantes.csv",
        "comprobantes.json",
        "padron.csv",
        "padron.json",
        "resultado.json",
        "votos.csv",
        "votos.json",
    ]
    for name in names:
        path = saved / name
        original = path.read_bytes()
        changed = bytearray(original)
        position = len(changed) // 2
        changed[position] = ord("7") if changed[position] != ord("7") else ord("8")
        path.write_bytes(bytes(changed))
        try:
            run = verifier("--carpeta", str(saved), "--sha256", digest)
        finally:
            path.write_bytes(original)
        assert run.returncode != 0, name
        output = run.stdout + run.stderr
        assert "TODO CUADRA" not in output, name
        expected = "no es la huella esperada" if name == "resultado.json" else f"{name}: la huella no es la que"
        assert expected in output, output
