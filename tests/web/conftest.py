"""Fixtures shared by every web test: a browser nobody signed in on, browsers signed in through
the real login (TOTP for staff), and an uploads folder of each test's own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participa.accounts.models import User
from tests.fixtures.accounts import login
from tests.web.support import fresh_client, location_path


@pytest.fixture()
def uploads(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploaded files go to a folder of this test (instance_path/uploads), removed afterwards."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads"


@pytest.fixture()
def client(app: Flask, session, uploads: Path) -> FlaskClient:
    """A browser nobody has signed in on."""
    return fresh_client(app)


@pytest.fixture()
def sign_in(app: Flask, session, uploads: Path) -> Callable[[User], FlaskClient]:
    """A new browser signed in as ``user`` through the real pages."""

    def factory(user: User) -> FlaskClient:
        browser = fresh_client(app)
        response = login(browser, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert location_path(response) == "/cuenta/"
        return browser

    return factory
