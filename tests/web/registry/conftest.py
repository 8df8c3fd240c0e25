"""Fixtures for the registry web tests: fresh clients, signed-in people by role, and an
isolated uploads folder per test."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from participa.accounts.models import User
from participa.accounts.rules import Role


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
