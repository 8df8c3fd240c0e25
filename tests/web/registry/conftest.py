"""Fixtures for the registry web tests: fresh clients, signed-in people by role, and an
isolated uploads folder per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participa.accounts.models import User
from participa.accounts.rules import Role
from tests.fixtures.accounts import login
from tests.web.support import fresh_client, location_path


@pytest.fixture()
def uploads(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploaded files go to a folder of this test (instance_path/uploads), removed afterwards."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads"


@pytest.fixture()
def client(app: Flask, session, uploads: Path) -> FlaskClient:
    return fresh_client(app)


@pytest.fixture()
def sign_in(app: Flask, session, uploads: Path) -> Callable[[User], FlaskClient]:
    """A new browser signed in as ``user`` through the real login (and TOTP for staff)."""

    def factory(user: User) -> FlaskClient:
        browser = fresh_client(app)
        response = login(browser, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert location_path(response) == "/cuenta/"
        return browser

    return factory


@pytest.fixture()
def curator(make_user) -> User:
    return make_user(name="Carla Curadora", roles=[Role.CURATOR])


@pytest.fixture()
def curator_client(sign_in, curator) -> FlaskClient:
    return sign_in(curator)


@pytest.fixture()
def person(make_user) -> User:
    return make_user(name="Rosa Fuentes Pizarro", email="rosa.fuentes@ejemplo.cl")


@pytest.fixture()
def person_client(sign_in, person) -> FlaskClient:
    return sign_in(person)
