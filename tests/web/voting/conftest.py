"""Fixtures for the voting web tests: a consultation open for voting with organisations of
Renca and their representatives, browsers signed in through the real login, and an uploads
folder of each test's own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from participa.accounts.models import User
from participa.consultations.models import Consultation
from participa.registry.models import Organisation
from tests.fixtures.consultations import voting_consultation

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
def voting(session, uploads: Path) -> Open:
    consultation, manager, people = voting_consultation(session, organisations=3)
    return Open(consultation, manager, people)


@pytest.fixture()
def mail_delivery(request: pytest.FixtureRequest):
    """Receipt e-mails: on the embedded leg the receipt task runs right after the vote and
    delivers in-process. On the PostgreSQL leg beat sends that task every few seconds; the
    returned function runs it now, in the test's transaction (which no other process can see),
    and a worker process (the session's compose worker) delivers what it queued."""
    if LEG != "postgres":
        return lambda: None
    request.getfixturevalue("workers")
    from participa.voting.tasks import mail_receipts

    return mail_receipts
