"""The standalone verifier (static/verificar.py), run as a citizen runs it: a separate Python
process with nothing but the standard library, on the files downloaded from the site. The live
run against gunicorn is in tests/worker/test_verifier_live.py."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from participa.config import ROOT
from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.voting import operations as voting_ops
from participa.voting.models import TallyResult
from tests.fixtures.consultations import voting_consultation, weighted_consultation
from tests.web.voting.conftest import Open

VERIFIER = ROOT / "static" / "verificar.py"
SECRET = "test-secret-key-not-for-production"


def run_verifier(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated from the project's environment, as on a citizen's computer.
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *args], capture_output=True, text=True, timeout=120, check=False
    )


def cast(session, voting: Open, index: int, choice: str) -> None:
    org, person = voting.people[index]
    voting_ops.cast_ballot(
        session,
        actor=person,
        consultation=voting.consultation,
        organisation_id=org.id,
        answers={q: choice for q in voting.question_ids},
        now=utcnow(),
        secret_key=SECRET,
    )
    session.commit()


def close(session, voting: Open) -> TallyResult:
    consultations.change_phase(
        session, actor=voting.manager, consultation=voting.consultation, target=Phase.COUNTING, now=utcnow()
    )
    session.commit()
    result = voting_ops.close_consultation(session, voting.id)
    session.commit()
    return result


def save_downloads(client, consultation_id: int, folder: Path) -> str:
    """What `verificar.py --guardar` keeps: resultado.json and every file it names."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = client.get(f"/consultas/{consultation_id}/resultado.json").get_data()
    (folder / "resultado.json").write_bytes(raw)
    for name in json.loads(raw)["files"]:
        (folder / name).write_bytes(client.get(f"/consultas/{consultation_id}/{name}").get_data())
    return hashlib.sha256(raw).hexdigest()


@pytest.fixture()
def named(session, uploads) -> Open:
    consultation, manager, people = voting_consultation(
        session, organisations=4, secrecy="named", quorum=Decimal("0.5")
    )
    voting = Open(consultation, manager, people)
    for index, choice in ((0, "reject"), (1, "approve"), (2, "approve"), (0, "approve"), (3, "abstain")):
        cast(session, voting, index, choice)
    close(session, voting)
    return voting


def test_the_site_serves_the_verifier_kept_in_the_repository(client):
    response = client.get("/verificar.py")
    assert response.status_code == 200
    assert response.get_data() == VERIFIER.read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]


def test_a_named_consultation_recounted_from_the_downloads_agrees_with_the_result(client, named: Open, tmp_path):
    digest = save_downloads(client, named.id, tmp_path)
    run = run_verifier("--carpeta", str(tmp_path), "--sha256", digest)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Recuento voto a voto (voto nominal)" in run.stdout
    assert "TODO CUADRA" in run.stdout
    assert "✘" not in run.stdout


@pytest.mark.parametrize(
    "name",
    ["resultado.json", "padron.csv", "padron.json", "comprobantes.csv", "comprobantes.json", "votos.csv", "votos.json"],
)
def test_a_one_byte_change_to_any_downloaded_file_makes_the_verifier_fail(client, named: Open, tmp_path, name):
    digest = save_downloads(client, named.id, tmp_path)
    path = tmp_path / name
    data = bytearray(path.read_bytes())
    position = len(data) // 2
    data[position] = ord("7") if data[position] != ord("7") else ord("8")
    path.write_bytes(bytes(data))
    run = run_verifier("--carpeta", str(tmp_path), "--sha256", digest)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "TODO CUADRA" not in output
    assert "✘" in output or "NO SE PUDO VERIFICAR" in output
    if name != "resultado.json":
        assert f"{name}: la huella no es la que nombra el resultado (el archivo cambió)" in output


def test_a_changed_vote_is_caught_by_the_recount_even_with_the_hashes_rewritten(client, named: Open, tmp_path):
    """Someone who rewrites a vote and every hash after it (a forged result) still cannot make
    the recount agree with the published figures, nor the result hash with the certificate's."""
    digest = save_downloads(client, named.id, tmp_path)
    votes_path = tmp_path / "votos.json"
    document = json.loads(votes_path.read_bytes())
    counted = next(v for v in document["votes"] if v["status"] == "counted" and v["choice"] == "approve")
    counted["choice"] = "reject"
    votes = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    votes_path.write_bytes(votes)
    (tmp_path / "votos.csv").unlink()
    result = json.loads((tmp_path / "resultado.json").read_bytes())
    result["files"]["votos.json"] = hashlib.sha256(votes).hexdigest()
    del result["files"]["votos.csv"]
    (tmp_path / "resultado.json").write_bytes(
        json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    run = run_verifier("--carpeta", str(tmp_path))
    assert run.returncode == 1, run.stdout
    assert "el recuento da" in run.stdout
    assert run_verifier("--carpeta", str(tmp_path), "--sha256", digest).returncode == 1


def test_a_secret_consultation_is_checked_against_its_trackers(client, session, uploads, tmp_path):
    consultation, manager, people = weighted_consultation(session, [4, 9, 16, 25])
    voting = Open(consultation, manager, people)
    for index, choice in ((0, "approve"), (1, "reject"), (2, "approve"), (2, "reject")):
        cast(session, voting, index, choice)
    close(session, voting)
    digest = save_downloads(client, voting.id, tmp_path)
    run = run_verifier("--carpeta", str(tmp_path), "--sha256", digest)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 papeletas contadas, peso 9.000000, igual a la participación publicada" in run.stdout
    assert "Recuento voto a voto" not in run.stdout
    assert not (tmp_path / "votos.json").exists()


def test_the_verifier_finds_a_ballot_by_its_code_without_sending_the_code(client, named: Open, tmp_path, session):
    from participa.voting.models import Ballot

    save_downloads(client, named.id, tmp_path)
    ballot = session.query(Ballot).filter_by(consultation_id=named.id).order_by(Ballot.id.desc()).first()
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import getpass, runpy, sys; getpass.getpass = lambda prompt='': sys.stdin.readline().strip(); "
            f"sys.argv = ['verificar.py', '--carpeta', {str(tmp_path)!r}, '--codigo']; "
            f"runpy.run_path({str(VERIFIER)!r}, run_name='__main__')",
        ],
        input=ballot.receipt_code.lower() + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert f"Seguimiento {ballot.tracker}: estado counted" in run.stdout, run.stdout + run.stderr


def test_the_verifier_explains_bad_arguments_and_unreachable_sites():
    assert run_verifier().returncode == 2
    unreachable = run_verifier("http://127.0.0.1:9/consultas/1")
    assert unreachable.returncode == 2
    assert "NO SE PUDO VERIFICAR" in unreachable.stderr
    wrong = run_verifier("http://127.0.0.1:9/otra/cosa")
    assert "la dirección debe ser la de una consulta" in wrong.stderr
