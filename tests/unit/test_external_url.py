"""Links in e-mails: on PUBLIC_URL, whether built in a request or in a worker (no request)."""

from __future__ import annotations

import pytest
from flask import Flask

from participa.core.web import external_url

PUBLIC = "https://participa.gobiernosantiago.example"


@pytest.fixture()
def public_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The test application as a worker sees it: a PUBLIC_URL and no SERVER_NAME."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return app


def test_a_worker_builds_links_without_a_request_or_server_name(public_app: Flask) -> None:
    with public_app.app_context():
        assert external_url("voting.receipts", consultation_id=7) == f"{PUBLIC}/consultas/7/comprobantes"


def test_a_request_builds_the_same_link_whatever_its_host_header(public_app: Flask) -> None:
    with public_app.test_request_context("/", headers={"Host": "atacante.example"}):
        assert external_url("voting.receipts", consultation_id=7) == f"{PUBLIC}/consultas/7/comprobantes"
