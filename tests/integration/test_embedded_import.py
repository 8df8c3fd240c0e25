"""On the embedded default (SQLite, no broker) a long registry import runs after the response
(issue #16): the upload answers while the import has barely begun, the progress the status page
reports advances chunk by chunk, and pages loaded meanwhile never fail (SQLite lets one writer
at a time: each load waits for at most one chunk). Its own application and database file, with
the default configuration's background tasks."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from participa import create_app
from participa.core import background, db, migrations
from participa.registry.models import ImportBatch
from participa.territory.operations import load_comunas
from tests.conftest import LEG
from tests.fixtures.accounts import create_user, csrf_token, login
from tests.fixtures.clients import FreshClient
from tests.fixtures.registry import csv_bytes, row, rut

ROWS = 30_000


@pytest.fixture()
def embedded(tmp_path: Path):
    if LEG == "postgres":
        pytest.skip("the embedded default runs on the embedded leg")
    app = create_app(
        {"SECRET_KEY": "embedded-import", "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.db'}",
         "REDIS_URL": None, "TASKS_EAGER": True, "SERVER_NAME": "participa.test"}
    )  # fmt: skip
    assert "registry.import_batch" in app.config["BACKGROUND_TASKS"], "the default runs imports after the response"
    app.instance_path = str(tmp_path / "instance")
    app.test_client_class = FreshClient
    with app.app_context():
        migrations.upgrade(app)
        load_comunas(db.session())
        curator = create_user(db.session(), roles=["curator"])
        db.session.commit()
        db.session.expunge(curator)
        db.session.remove()
    yield app, curator
    app.extensions["participa.engine"].dispose()


def test_an_upload_answers_before_its_import_and_pages_keep_loading(embedded) -> None:
    app, curator = embedded
    data = csv_bytes([row(rut(70_000_000 + i), name=f"Club Embebido {i}") for i in range(ROWS)])
    # Requests run each in its own application context, as in production (a context held open
    # around them would keep its session's transaction, and SQLite's write lock, between them).
    browser = app.test_client()
    with app.app_context():
        assert login(browser, curator).status_code == 302
    token = csrf_token(browser, "/catastro/importaciones")
    response = browser.post(
        "/catastro/importaciones",
        data={"csrf_token": token, "file": (io.BytesIO(data), "grande.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    batch_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    first = browser.get(f"/catastro/importaciones/{batch_id}/estado").get_json()
    assert first["rows_processed"] < ROWS, "the upload waited for its own import"

    statuses: list[int] = []
    seen: list[int] = []
    done = threading.Event()

    def reader() -> None:
        visitor = app.test_client()
        while not done.is_set():
            for path in ("/", "/organizaciones", "/datos"):
                statuses.append(visitor.get(path).status_code)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = browser.get(f"/catastro/importaciones/{batch_id}/estado")
            statuses.append(state.status_code)
            seen.append(state.get_json()["rows_processed"])
            if state.get_json()["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    background.runner(app).join()
    assert set(statuses) == {200}, sorted(set(statuses))
    assert len(statuses) > 10
    between = sorted({n for n in seen if 0 < n < ROWS})
    assert len(between) >= 2, f"the progress did not advance chunk by chunk: {seen[:20]}"
    assert seen == sorted(seen), "the progress went backwards"
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.accepted, batch.rows_processed) == ("done", ROWS, ROWS)
