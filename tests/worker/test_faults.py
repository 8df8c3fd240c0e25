"""Fault drills on PostgreSQL and Redis (issue #11). Each drill stops a service of its own (a
private PostgreSQL cluster, a private Redis server: tests/fixtures/services.py), never the
shared ones, and checks that nothing is lost and the person is told the truth."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from participa import create_app
from participa.core import db, migrations, outbox
from participa.core.db import utcnow
from participa.mail.models import MailMessage
from participa.registry.models import ImportBatch
from tests.conftest import app_config
from tests.fixtures.accounts import PASSWORD, create_user, csrf_token, login
from tests.fixtures.clients import FreshClient
from tests.fixtures.consultations import voting_consultation
from tests.fixtures.registry import csv_bytes, row
from tests.fixtures.services import PrivatePostgres, PrivateRedis
from tests.web.support import text

pytestmark = [pytest.mark.postgres, pytest.mark.commits]


@contextmanager
def another_app(app: Flask, folder: Path, **config: Any) -> Iterator[Flask]:
    """An application of its own (another database or broker); the session's application is
    Celery's default and current app again afterwards."""
    other = create_app({**app_config(app.config["DATABASE_URL"]), **config})
    other.instance_path = str(folder)
    other.test_client_class = FreshClient
    try:
        yield other
    finally:
        # A new Celery app makes itself both the default and this thread's current app.
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()
        other.extensions["participa.engine"].dispose()


def test_with_the_database_down_a_signed_in_voter_is_told_so_and_service_comes_back(
    app: Flask, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    private_postgres.psql("postgres", "CREATE DATABASE participa")
    with another_app(
        app, tmp_path, DATABASE_URL=private_postgres.url("participa"), REDIS_URL=None, TASKS_EAGER=True
    ) as other:
        with other.app_context():
            from participa.commitments.operations import load_commitments
            from participa.territory.operations import load_comunas

            migrations.upgrade(other)
            load_comunas(db.session())
            load_commitments(db.session())
            db.session.commit()
            consultation, _manager, people = voting_consultation(db.session(), organisations=1)
            vote_page = f"/consultas/{consultation.id}/votar"
            person = people[0][1]
            email = person.email
            db.session.remove()
        # Requests as in production: each in its own application context and database session.
        browser = other.test_client()
        token = csrf_token(browser, "/cuenta/ingresar")
        signed = browser.post("/cuenta/ingresar", data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert signed.status_code == 302
        assert browser.get(vote_page).status_code == 200

        private_postgres.stop()
        for response in (browser.get(vote_page), browser.get("/cuenta/"), browser.get("/consultas")):
            assert response.status_code == 503
            assert "No podemos comunicarnos con nuestra base de datos" in text(response)
            assert "Internal Server Error" not in text(response)

        private_postgres.start()
        assert browser.get(vote_page).status_code == 200, "back without restarting anything"


def test_an_upload_during_a_broker_outage_is_kept_and_imported_once_the_broker_is_back(
    app: Flask, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    with another_app(app, tmp_path, REDIS_URL=private_redis.url, TASKS_EAGER=False) as other, other.app_context():
        curator = create_user(db.session(), roles=["curator"])
        browser = other.test_client()
        assert login(browser, curator).status_code == 302
        token = csrf_token(browser, "/catastro/importaciones")
        db.session.remove()

        private_redis.stop()
        response = browser.post(
            "/catastro/importaciones",
            data={"csrf_token": token, "file": (io.BytesIO(csv_bytes([row()])), "catastro.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, text(response)  # kept, not "No se guardó ningún cambio"
        batch_page = browser.get(response.headers["Location"])
        assert batch_page.status_code == 200
        batch = db.session.execute(sa.select(ImportBatch).where(ImportBatch.uploaded_by_id == curator.id)).scalar_one()
        assert batch.status == "queued"
        waiting = (
            db.session.execute(
                sa.select(outbox.QueuedTask).where(
                    outbox.QueuedTask.task == "registry.import_batch", outbox.QueuedTask.published_at.is_(None)
                )
            )
            .scalars()
            .all()
        )
        assert [t.args for t in waiting] == [[batch.id]]
        db.session.remove()

        private_redis.start()
        assert outbox.sweep(db.session(), utcnow() + timedelta(minutes=1)) >= 1
        db.session.commit()
        queued = redis.Redis.from_url(private_redis.url).lrange("long", 0, -1)
        assert any(str(batch.id).encode() in message for message in queued)
        db.session.remove()


def test_receipts_queued_during_a_broker_outage_are_all_handed_out_afterwards(
    app: Flask, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    from participa.mail.tasks import resend_due
    from participa.voting import operations as voting
    from participa.voting.models import Ballot
    from participa.voting.tasks import mail_receipts

    with another_app(app, tmp_path, REDIS_URL=private_redis.url, TASKS_EAGER=False) as other, other.app_context():
        session = db.session()
        consultation, _manager, people = voting_consultation(session, organisations=5, title="Consulta de recibos")
        for org, person in people:
            voting.cast_ballot(
                session,
                actor=person,
                consultation=consultation,
                organisation_id=org.id,
                answers={q.id: "approve" for q in consultation.questions},
                now=utcnow(),
                secret_key=other.config["SECRET_KEY"],
            )
            session.commit()
        ballot_ids = list(
            session.execute(sa.select(Ballot.id).where(Ballot.consultation_id == consultation.id)).scalars()
        )
        db.session.remove()

        private_redis.stop()
        mail_receipts()  # beat's run while the broker is down: it must lose nothing
        db.session.remove()
        keys = {f"receipt-{ballot_id}-" for ballot_id in ballot_ids}
        due = [
            m
            for m in db.session.execute(sa.select(MailMessage)).scalars()
            if any(m.message_key.startswith(k) for k in keys)
        ]
        assert len(due) == 5 and all(m.sent_at is None for m in due)
        pending = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Ballot)
            .where(Ballot.consultation_id == consultation.id, Ballot.receipt_mailed_at.is_(None))
        ).scalar_one()
        assert pending == 0, "the receipts are marked only together with their messages"
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id.in_([m.id for m in due]))
            .values(created_at=utcnow() - timedelta(minutes=10))
        )
        db.session.commit()

        private_redis.start()
        assert resend_due() >= 5
        handed = redis.Redis.from_url(private_redis.url).lrange("mail", 0, -1)
        for message in due:
            assert any(message.message_key.encode() in item for item in handed), message.message_key
        db.session.remove()
