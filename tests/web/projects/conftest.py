"""Fixtures for the project web tests: fresh browsers, people signed in through the real login
(TOTP for staff), and an uploads folder of each test's own."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from participa.accounts.models import User
from participa.accounts.rules import Role

RENCA = 13128
SANTIAGO = 13101


@pytest.fixture()
def staff_a(make_user) -> User:
    return make_user(name="Marta Municipal de Renca", roles=[Role.MUNICIPAL_STAFF], comuna_cut=RENCA)


@pytest.fixture()
def staff_b(make_user) -> User:
    return make_user(name="Mario Municipal de Santiago", roles=[Role.MUNICIPAL_STAFF], comuna_cut=SANTIAGO)


@pytest.fixture()
def staff_a_client(sign_in, staff_a) -> FlaskClient:
    return sign_in(staff_a)


@pytest.fixture()
def staff_b_client(sign_in, staff_b) -> FlaskClient:
    return sign_in(staff_b)
