"""Nothing lost when something fails (issue #11), on both legs: the error pages render without
the database, a folder that cannot be written is a clear message, a task the broker missed is
published later, and a message is marked sent only once delivered. The drills that stop a real
PostgreSQL or Redis are in tests/worker/test_faults.py."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from participa.core import db, outbox, storage
from participa.core.db import utcnow
from participa.mail import operations as mail_ops
from participa.mail import tasks as mail_tasks
from participa.mail.models import MailMessage
from participa.registry.models import ImportBatch
from tests.fixtures.accounts import csrf_token
from tests.fixtures.registry import csv_bytes, row
from tests.web.support import text


def database_down(*_args, **_kwargs):
    raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused: the server is down"))


# --- error pages ------------------------------------------------------------------------------


def test_with_the_database_down_a_signed_in_person_gets_a_clear_503_page(sign_in, make_user, monkeypatch):
    browser = sign_in(make_user())
    monkeypatch.setattr(db.session, "get", database_down)  # how the signed-in person is loaded
    response = browser.get("/cuenta/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = text(response)
    assert "Servicio no disponible por un momento" in page
    assert "No podemos comunicarnos con nuestra base de datos" in page
    assert "Internal Server Error" not in page


def test_the_database_page_is_in_english_for_an_english_reader(sign_in, make_user, monkeypatch):
    browser = sign_in(make_user())
    monkeypatch.setattr(db.session, "get", database_down)
    response = browser.get("/cuenta/", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert "Service unavailable for a moment" in text(response)


def test_an_unexpected_error_page_needs_no_database_either(app, sign_in, make_user, monkeypatch):
    from participa.public import views as public_views

    browser = sign_in(make_user())

    def broken():
        monkeypatch.setattr(db.session, "get", database_down)  # and the database goes away too
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(public_views, "home", broken)
    monkeypatch.setitem(app.view_functions, "public.home", broken)
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = browser.get("/")
    assert response.status_code == 500
    assert "Algo falló de nuestro lado" in text(response)


# --- storage ------------------------------------------------------------------------------------


def test_a_folder_that_cannot_be_written_is_a_clear_message_and_nothing_is_stored(
    sign_in, make_user, uploads, monkeypatch
):
    curator = make_user(roles=["curator"])
    browser = sign_in(curator)
    blocker = uploads.parent / "uploads-blocked"
    blocker.write_text("not a folder")
    monkeypatch.setattr(storage, "upload_dir", lambda kind: Path(blocker) / kind)  # writing fails
    token = csrf_token(browser, "/catastro/importaciones")
    response = browser.post(
        "/catastro/importaciones",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes([row()])), "catastro.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    assert "No pudimos guardar el archivo por un problema de nuestro servidor" in text(response)
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar_one() == 0


def test_save_upload_turns_a_full_disk_into_unavailable(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "upload_dir", lambda kind: tmp_path)

    class FullDisk(io.BytesIO):
        def read(self, *_args):
            raise OSError(28, "No space left on device")

    with pytest.raises(storage.UploadError) as refused:
        storage.save_upload(FullDisk(), "test", suffix=".bin", max_bytes=100)
    assert refused.value.code == "unavailable"
    assert list(tmp_path.iterdir()) == [], "nothing half-written is kept"


# --- the task outbox ----------------------------------------------------------------------------


def test_a_task_the_broker_missed_is_kept_and_published_by_the_sweeper(sign_in, make_user, uploads, monkeypatch):
    curator = make_user(roles=["curator"])
    browser = sign_in(curator)
    calls: list[str] = []

    def broker_down(task, args):
        calls.append(task)
        return False

    monkeypatch.setattr(outbox, "_publish", broker_down)
    token = csrf_token(browser, "/catastro/importaciones")
    response = browser.post(
        "/catastro/importaciones",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes([row()])), "catastro.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, "the upload is kept and the person told so, not a 500"
    db.session.expire_all()
    (batch,) = db.session.execute(sa.select(ImportBatch)).scalars().all()
    assert batch.status == "queued"
    assert calls == ["registry.import_batch"]
    assert outbox.pending(db.session()) == 1

    published: list[tuple[str, list]] = []
    monkeypatch.setattr(outbox, "_publish", lambda task, args: published.append((task, args)) or True)
    assert outbox.sweep(db.session(), utcnow() + timedelta(minutes=1)) == 1
    db.session.commit()
    assert published == [("registry.import_batch", [batch.id])]
    assert outbox.pending(db.session()) == 0


def test_a_rolled_back_change_publishes_nothing(session, monkeypatch):
    published: list[str] = []
    monkeypatch.setattr(outbox, "_publish", lambda task, args: published.append(task) or True)
    outbox.enqueue("consultations.power_index", 1)
    session.rollback()
    session.commit()
    assert published == []
    assert outbox.pending(session) == 0


# --- e-mail -------------------------------------------------------------------------------------


def test_a_message_is_kept_until_delivered_then_its_body_is_forgotten(session, monkeypatch):
    monkeypatch.setattr(mail_tasks.deliver_email, "delay", lambda *args: None)  # the broker took it, say
    mail_ops.send_email("ana@ejemplo.cl", "Asunto", "Enlace secreto: https://x/clave/nueva/abc", key="k-1")
    session.commit()
    (message,) = session.execute(sa.select(MailMessage)).scalars().all()
    assert message.sent_at is None and "Enlace secreto" in message.body

    mail_tasks.deliver_email("k-1", "ana@ejemplo.cl", "Asunto", message.body)
    session.expire_all()
    message = session.execute(sa.select(MailMessage)).scalar_one()
    assert message.sent_at is not None
    assert message.body == "", "a delivered message keeps no reset link or receipt code"


def test_a_message_that_fails_stays_due_and_is_handed_out_again(session, monkeypatch):
    monkeypatch.setattr(mail_tasks.deliver_email, "delay", lambda *args: None)
    mail_ops.send_email("ana@ejemplo.cl", "Asunto", "Cuerpo", key="k-2")
    session.commit()

    def smtp_down(*_args):
        raise OSError("connection refused")

    monkeypatch.setattr(mail_tasks, "_deliver", smtp_down)
    with pytest.raises(Exception):  # noqa: B017 - Celery's Retry, raised to ask for another try
        mail_tasks.deliver_email.apply(args=("k-2", "ana@ejemplo.cl", "Asunto", "Cuerpo"), throw=True)
    session.expire_all()
    message = session.execute(sa.select(MailMessage)).scalar_one()
    assert message.sent_at is None and message.attempts >= 1 and "connection refused" in message.last_error

    handed: list[str] = []
    monkeypatch.setattr(mail_tasks.deliver_email, "delay", lambda key, *rest: handed.append(key))
    session.execute(
        sa.update(MailMessage).values(
            created_at=utcnow() - timedelta(minutes=10), last_attempt_at=utcnow() - timedelta(minutes=10)
        )
    )
    session.commit()
    assert mail_tasks.resend_due() == 1
    assert handed == ["k-2"]


def test_a_message_queued_twice_under_one_key_is_one_message(session, monkeypatch):
    monkeypatch.setattr(mail_tasks.deliver_email, "delay", lambda *args: None)
    mail_ops.send_email("ana@ejemplo.cl", "Asunto", "Cuerpo", key="k-3")
    mail_ops.send_email("ana@ejemplo.cl", "Asunto", "Cuerpo", key="k-3")
    session.commit()
    assert session.execute(sa.select(sa.func.count()).select_from(MailMessage)).scalar_one() == 1
