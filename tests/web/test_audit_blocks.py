"""Every sealed block's head is public (issue #10, audit anchoring): /auditoria/bloques (HTML,
newest first, paged) and /auditoria/bloques.json (every block, oldest first), both open to
anyone, with the hashes of the chain as it is."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import format_datetime
from sqlalchemy.orm import Session

from participa.audit import operations as audit
from participa.audit import rules, views
from participa.audit.models import AuditBlock, AuditSeal
from participa.core.web import LOCAL_DATETIME
from tests.fixtures.clients import FreshClient
from tests.web.support import fresh_client

ROW = re.compile(
    r'<th scope="row">(\d+)</th>.*?<code class="hash">([0-9a-f]{64})</code>\s*</td>\s*'
    r'<td><code class="hash">([0-9a-f]{64})</code>',
    re.S,
)


@pytest.fixture()
def real_session(app: Flask) -> Iterator[Session]:
    """Sealing on PostgreSQL only takes finished transactions: these tests commit for real (audit
    rows cannot be deleted, so they never assume an empty log). No application context stays
    pushed: each request has its own, and its session ends with it."""
    with Session(app.extensions["participa.engine"]) as sess:
        yield sess


@pytest.fixture()
def public(app: Flask) -> FreshClient:
    """A browser nobody signed in on (not bound to a rolled-back transaction: the blocks are
    committed)."""
    return fresh_client(app)


def seal_blocks(app: Flask, sess: Session, count: int) -> None:
    """``count`` more blocks, one event each."""
    with app.app_context():
        _seal_blocks(sess, count)


def _seal_blocks(sess: Session, count: int) -> None:
    for i in range(count):
        audit.record("test.anchor", actor=None, object_type="test", object_id=i, payload={"n": i}, session=sess)
        sess.commit()
        while audit.seal(sess).sealed:
            sess.commit()
        sess.commit()


def stored_blocks(sess: Session) -> list[sa.Row]:
    """The blocks as plain rows (an ORM object would reload itself, and take the SQLite write
    lock again, after the rollback)."""
    blocks = sess.execute(sa.select(*audit.BLOCK_COLUMNS).order_by(AuditBlock.id)).all()
    sess.rollback()  # end the read: on SQLite a transaction holds the write lock
    return blocks


def recomputed_hash(sess: Session, block: sa.Row) -> str:
    hashes = sess.execute(
        sa.select(AuditSeal.event_hash).where(AuditSeal.block_id == block.id).order_by(AuditSeal.position)
    ).scalars()
    return rules.block_hash(block.id, block.previous_hash, hashes)


def test_the_json_lists_every_sealed_block_with_the_hashes_of_the_chain(
    app: Flask, public: FreshClient, real_session: Session
) -> None:
    seal_blocks(app, real_session, 3)
    response = public.get("/auditoria/bloques.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    stored = stored_blocks(real_session)
    assert data["format"] == views.BLOCKS_FORMAT
    assert data["genesis_hash"] == rules.GENESIS_HASH
    assert data["block_count"] >= len(stored) >= 3
    listed = {item["id"]: item for item in data["blocks"]}
    assert [item["id"] for item in data["blocks"]] == list(range(1, data["block_count"] + 1))
    for block in stored:
        item = listed[block.id]
        assert item["block_hash"] == block.block_hash == recomputed_hash(real_session, block)
        assert item["previous_hash"] == block.previous_hash
        assert item["event_count"] == block.event_count
        assert item["sealed_at"].endswith("Z")
        assert datetime.fromisoformat(item["sealed_at"].replace("Z", "+00:00")) == block.sealed_at
    real_session.rollback()
    previous = rules.GENESIS_HASH
    for item in data["blocks"]:
        assert item["previous_hash"] == previous
        previous = item["block_hash"]
    assert audit.verify(real_session).ok


def test_the_json_lists_only_the_blocks_after_a_number(app: Flask, public: FreshClient, real_session: Session) -> None:
    seal_blocks(app, real_session, 2)
    newest = stored_blocks(real_session)[-1]
    data = public.get(f"/auditoria/bloques.json?despues={newest.id - 1}").get_json()
    assert data["after"] == newest.id - 1
    assert data["blocks"][0]["id"] == newest.id
    assert data["blocks"][0]["block_hash"] == newest.block_hash


def test_the_page_lists_every_block_newest_first_over_its_pages(
    app: Flask, public: FreshClient, real_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal_blocks(app, real_session, 3)
    monkeypatch.setattr(views, "BLOCKS_PAGE_SIZE", 2)
    shown: list[tuple[int, str, str]] = []
    page = 1
    while True:
        response = public.get(f"/auditoria/bloques?pagina={page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        rows = [(int(n), previous, digest) for n, previous, digest in ROW.findall(html)]
        assert 1 <= len(rows) <= 2
        shown += rows
        if 'rel="next"' not in html:
            break
        page += 1
    stored = stored_blocks(real_session)
    total = len(stored)
    assert [n for n, _, _ in shown] == list(range(total, 0, -1))  # every block, newest first, once
    assert {(b.id, b.previous_hash, b.block_hash) for b in stored} == set(shown)
    assert public.get(f"/auditoria/bloques?pagina={page + 1}").status_code == 404


def test_the_page_is_clear_and_accessible_and_shows_times_in_santiago(
    app: Flask, public: FreshClient, real_session: Session
) -> None:
    seal_blocks(app, real_session, 1)
    newest = stored_blocks(real_session)[-1]
    html = public.get("/auditoria/bloques").get_data(as_text=True)
    assert "<caption>" in html and '<th scope="col">' in html
    assert f'<th scope="row">{newest.id}</th>' in html
    assert 'href="/auditoria/bloques.json"' in html
    for field in ("format", "genesis_hash", "block_count", "sealed_at", "event_count", "previous_hash", "block_hash"):
        assert f"<code>{field}</code>" in html  # the download's format is documented on the page
    with app.test_request_context("/auditoria/bloques"):
        shown = format_datetime(newest.sealed_at, LOCAL_DATETIME)
    assert shown in html


def test_the_public_head_links_to_every_block(public: FreshClient) -> None:
    html = public.get("/auditoria/").get_data(as_text=True)
    assert 'href="/auditoria/bloques"' in html
