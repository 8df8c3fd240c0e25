"""A registry import run by a real worker, killed in the middle: the task comes back within
two minutes and ends in the same state as an uninterrupted import (issue #3)."""

from __future__ import annotations

import io
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from participa.core import db
from participa.registry import operations
from participa.registry.models import ImportBatch, ImportRow, Organisation
from participa.registry.tasks import import_batch
from tests.fixtures.accounts import create_user
from tests.fixtures.processes import start_worker, wait_for
from tests.fixtures.registry import csv_bytes, row, rut, wrong_check_digit

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


def test_a_worker_killed_mid_import_leaves_the_same_final_state(app: Flask, broker_clean, tmp_path) -> None:
    engine = app.extensions["participa.engine"]
    valid = [rut(80_000_000 + i) for i in range(60_000)]
    bad = [wrong_check_digit(89_000_000 + i) for i in range(500)]
    data = csv_bytes([row(r) for r in valid] + [row(b) for b in bad] + [row(valid[0])], encoding="cp1252")

    with app.app_context():
        curator = create_user(db.session(), roles=["curator"])
        batch = operations.start_import(db.session(), actor=curator, stream=io.BytesIO(data), filename="big.csv")
        db.session.commit()
        batch_id = batch.id
        db.session.remove()

    first = start_worker(app, "worker-long", tmp_path, suffix="-first")
    with app.app_context():
        import_batch.delay(batch_id)

    def progress() -> tuple[str, int]:
        with Session(engine) as s:
            b = s.get(ImportBatch, batch_id)
            return b.status, b.rows_processed

    try:
        wait_for(lambda: progress()[1] > 0, 60, "the import to start", first)
        status, processed = progress()
        assert status == "running" and processed < 60_000, "the import finished before it could be interrupted"
    finally:
        first.kill()  # never left behind to take the next run's tasks
    killed_at = time.monotonic()
    time.sleep(1)  # a COMMIT the killed worker had already sent still completes on the server
    stalled = progress()
    time.sleep(2)
    assert progress() == stalled, "no one should be working on the batch after the kill"

    second = start_worker(app, "worker-long", tmp_path, suffix="-second")
    try:
        wait_for(lambda: progress()[0] == "done", 170, "the re-delivered import to finish", second)
    finally:
        second.stop()
    assert time.monotonic() - killed_at < 170

    with Session(engine) as s:
        b = s.get(ImportBatch, batch_id)
        # valid[0] is repeated at the end: applied from neither of its two rows.
        assert (b.accepted, b.rejected, b.rows_processed, b.total_rows) == (59_999, 502, 60_501, 60_501)
        rows = s.execute(sa.select(sa.func.count()).select_from(ImportRow).where(ImportRow.batch_id == batch_id))
        assert rows.scalar_one() == 60_501
        orgs = s.execute(
            sa.select(sa.func.count()).select_from(Organisation).where(Organisation.source_batch_id == batch_id)
        ).scalar_one()
        assert orgs == 59_999
