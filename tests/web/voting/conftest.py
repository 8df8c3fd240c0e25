"""Fixtures for the voting web tests: a consultation open for voting with organisations of
Renca and their representatives, browsers signed in through the real login, and an uploads
folder of each test's own."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participa.accounts.models import User
from participa.consultations.models import Consultation
from participa.registry.models import Organisation
from tests.fixtures.accounts import login
from tests.fixtures.consultations import voting_consultation
from tests.web.support import fresh_client, location_path

LEG = os.environ.get("PARTICIPA_TEST_LEG", "embedded")


@dataclass
class Open:
    """A consultation in its voting phase, roll frozen."""

    consultation: Consultation
    manager: User
    people: list[tuple[Organisation, User]]

    @property
    def id(self) -> int:
        return self.consultation.id

    @property
    def question_ids(self) -> list[int]:
        return [q.id for q in self.consultation.questions]


@pytest.fixture()
def uploads(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads"


@pytest.fixture()
def client(app: Flask, session, uploads: Path) -> FlaskClient:
    """A browser nobody has signed in on."""
    return fresh_client(app)


@pytest.fixture()
def sign_in(app: Flask, session, uploads: Path) -> Callable[[User], FlaskClient]:
    def factory(user: User) -> FlaskClient:
        browser = fresh_client(app)
        response = login(browser, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert location_path(response) == "/cuenta/"
        return browser

    return factory


@pytest.fixture()
def voting(session, uploads: Path) -> Open:
    consultation, manager, people = voting_consultation(session, organisations=3)
    return Open(consultation, manager, people)


@pytest.fixture()
def mail_delivery(request: pytest.FixtureRequest) -> None:
    """E-mail is delivered in the request on the embedded leg; on the PostgreSQL leg a worker
    process delivers it (the session's compose worker)."""
    if LEG == "postgres":
        request.getfixturevalue("workers")
