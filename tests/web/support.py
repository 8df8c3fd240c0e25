"""Helpers shared by the web tests: a test client that starts every request afresh, reading
the outbox on both legs, and small page helpers."""

from __future__ import annotations

import os
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app

from participa.core import db
from participa.mail.models import OutboxMessage
from tests.fixtures.clients import FreshClient

LEG = os.environ.get("PARTICIPA_TEST_LEG", "embedded")
MAIL_TIMEOUT = 15.0
# On the PostgreSQL leg a worker delivers mail asynchronously: "nothing was sent" can only be
# asserted after giving it time to deliver.
NO_MAIL_SETTLE = 3.0 if LEG == "postgres" else 0.0


def fresh_client(app: Flask) -> FreshClient:
    return FreshClient(app, app.response_class, use_cookies=True)


def unique_email(prefix: str = "persona") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@ejemplo.cl"


def _messages(recipient: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)
        ).scalars()
    )


def wait_for_mail(recipient: str, *, count: int = 1, timeout: float = MAIL_TIMEOUT) -> list[OutboxMessage]:
    """The outbox messages to ``recipient``, waiting up to ``timeout`` seconds until there are at
    least ``count`` (at once on the embedded leg, where delivery happens in the request)."""
    deadline = time.monotonic() + timeout
    while True:
        messages = _messages(recipient)
        if len(messages) >= count or time.monotonic() >= deadline:
            assert len(messages) >= count, f"expected {count} message(s) to {recipient}, found {len(messages)}"
            return messages
        time.sleep(0.2)


def assert_no_mail(recipient: str) -> None:
    if NO_MAIL_SETTLE:
        time.sleep(NO_MAIL_SETTLE)
    messages = _messages(recipient)
    assert messages == [], f"unexpected mail to {recipient}: {[m.subject for m in messages]}"


def link_path(body: str) -> str:
    """The path of the first link in a mail body; links are absolute, on the configured PUBLIC_URL."""
    base = current_app.config["PUBLIC_URL"]
    match = re.search(re.escape(base) + r"(/\S*)", body)
    assert match, f"no link on {base} in mail:\n{body}"
    return match.group(1)


def location_path(response: Any) -> str:
    """The path a redirect leads to; fails if it leaves the site."""
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "participa.test"), f"redirect leaves the site: {location}"
    return parts.path


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def without_tokens(page: str) -> str:
    """A page without its CSRF token values, which differ on every session."""
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*', r"\1", page)
