"""The demo data `make run` loads (participa/demo.py): a newcomer sees a consultation open for
voting and two closed ones with results, one secret and one named, whose public record the
verifier accepts, the named one certified with a certificate whose QR code and verification
work; and reading the downloads leaves no database connection behind."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from participa import create_app
from participa.certification.models import Certification, CommitmentEvidence
from participa.config import ROOT
from participa.consultations.models import Consultation
from participa.core import db, migrations
from participa.voting.models import TallyResult
from tests.conftest import LEG, app_config


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A database of its own (a SQLite file; the demo commits), migrated, with the demo loaded."""
    if LEG == "postgres":
        pytest.skip("the demo is the embedded default's; its PostgreSQL side is covered by the voting tests")
    folder = tmp_path_factory.mktemp("demo")
    app = create_app({**app_config(f"sqlite:///{folder / 'demo.db'}"), "SERVER_NAME": None})
    app.instance_path = str(folder)
    with app.app_context():
        migrations.upgrade(app)
        from participa.demo import load_demo

        load_demo(db.session())
        db.session.commit()
        db.session.remove()
    yield app
    app.extensions["participa.engine"].dispose()


def test_the_demo_has_an_open_consultation_and_two_closed_ones_with_results(demo_app: Flask) -> None:
    with demo_app.app_context():
        consultations = {c.title: c for c in db.session.execute(sa.select(Consultation)).scalars()}
        phases = sorted((c.phase, c.secrecy) for c in consultations.values())
        assert phases == [("certification", "secret"), ("published", "named"), ("voting", "secret")]
        results = db.session.execute(sa.select(TallyResult)).scalars().all()
        assert len(results) == 2
        for result in results:
            data = json.loads(result.canonical_json)
            assert data["counted"] > 0 and data["superseded"] == 1, "each closed demo has a re-vote"
        db.session.remove()


def test_the_demo_has_a_certificate_that_verifies(demo_app: Flask) -> None:
    with demo_app.app_context():
        certificate = db.session.execute(sa.select(Certification)).scalar_one()
        code, consultation_id = certificate.code, certificate.consultation_id
        project_states = {q.project.state for q in certificate.consultation.questions}
        evidence = db.session.execute(sa.select(CommitmentEvidence)).scalars().all()
        db.session.remove()
    assert project_states <= {"approved", "rejected"} and len(evidence) == 1
    client = demo_app.test_client()
    assert f"/certificados/{code}" in client.get(f"/consultas/{consultation_id}/resultado").get_data(as_text=True)
    assert client.get(f"/certificados/{code}.pdf").mimetype == "application/pdf"
    assert "Todo coincide" in client.get(f"/verificar/{code}").get_data(as_text=True)


def test_loading_the_demo_twice_adds_nothing(demo_app: Flask) -> None:
    from participa.demo import load_demo

    with demo_app.app_context():
        before = db.session.execute(sa.select(sa.func.count()).select_from(Consultation)).scalar_one()
        load_demo(db.session())
        db.session.commit()
        assert db.session.execute(sa.select(sa.func.count()).select_from(Consultation)).scalar_one() == before
        db.session.remove()


def test_the_verifier_accepts_both_closed_demo_consultations(demo_app: Flask, tmp_path: Path) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        closed = [r.consultation_id for r in db.session.execute(sa.select(TallyResult)).scalars()]
        db.session.remove()
    for consultation_id in closed:
        folder = tmp_path / str(consultation_id)
        folder.mkdir()
        raw = client.get(f"/consultas/{consultation_id}/resultado.json").get_data()
        (folder / "resultado.json").write_bytes(raw)
        for name in json.loads(raw)["files"]:
            response = client.get(f"/consultas/{consultation_id}/{name}")
            assert response.status_code == 200
            (folder / name).write_bytes(response.get_data())
        run = subprocess.run(
            [
                sys.executable,
                "-I",
                str(ROOT / "static" / "verificar.py"),
                "--carpeta",
                str(folder),
                "--sha256",
                hashlib.sha256(raw).hexdigest(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_streaming_a_download_gives_its_database_connection_back(demo_app: Flask) -> None:
    """A streamed file reads through a session of its own context: a session kept from the view
    (closed when the view returns) would open a transaction nobody ends, and on SQLite every
    later request would wait for its lock."""
    client = demo_app.test_client()
    pool = demo_app.extensions["participa.engine"].pool
    with demo_app.app_context():
        consultation_id = db.session.execute(sa.select(TallyResult.consultation_id)).scalars().first()
        db.session.remove()
    for name in ("padron.csv", "padron.json", "comprobantes.csv", "comprobantes.json"):
        assert client.get(f"/consultas/{consultation_id}/{name}").status_code == 200
        assert pool.checkedout() == 0, name
    assert client.get(f"/consultas/{consultation_id}/resultado").status_code == 200


def test_the_demo_facilitator_can_open_a_session_and_check_in_the_demo_representative(demo_app: Flask) -> None:
    from participa.accounts.models import User
    from participa.core.db import utcnow
    from participa.facilitation import operations, rules
    from participa.facilitation.models import InPersonSession

    with demo_app.app_context():
        session = db.session()
        row = session.execute(sa.select(InPersonSession)).scalar_one()
        assert session.get(Consultation, row.consultation_id).phase == "voting"
        facilitator = session.execute(sa.select(User).where(User.email == "facilita@demo.participa.cl")).scalar_one()
        package = operations.open_session(
            session, actor=facilitator, row=row, device="demo", now=utcnow(), secret_key="demo-test"
        )
        rosa = rules.rut_hash(package["salt"], "16000001-5")  # the RUT the README gives for Rosa
        assert sum(rosa in entry["representatives"] for entry in package["roll"]) == 2
        session.rollback()
        db.session.remove()
