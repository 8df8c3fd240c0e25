"""Phase-change e-mails, rendered by a worker: no request, so no request-bound template globals."""

from __future__ import annotations

import pytest
from flask import has_request_context
from sqlalchemy.orm import Session

from participa.consultations import tasks
from tests.fixtures.consultations import voting_consultation


def test_each_representative_on_the_roll_is_told_of_the_new_phase(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=2)
    sent: list[tuple[str, str, str, str | None]] = []
    monkeypatch.setattr(
        "participa.mail.operations.send_email",
        lambda to, subject, body, *, key=None: sent.append((to, subject, body, key)) or key,
    )
    assert not has_request_context()
    tasks.notify_phase(consultation.id, "voting")
    assert sorted(to for to, *_ in sent) == sorted(person.email for _org, person in people)
    for _to, subject, body, key in sent:
        assert subject == f"Consulta «{consultation.title}»: nueva etapa"
        assert f"/consultas/{consultation.id}" in body
        assert key is not None and key.startswith(f"phase-{consultation.id}-voting-")


def test_each_representative_reads_the_e_mail_in_their_own_language(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    consultation, _manager, people = voting_consultation(session, organisations=3)
    (_org, english), (_org2, spanish), (_org3, unknown) = people
    english.locale, spanish.locale, unknown.locale = "en", "es_CL", "fr"
    session.flush()
    sent: dict[str, tuple[str, str]] = {}
    monkeypatch.setattr(
        "participa.mail.operations.send_email",
        lambda to, subject, body, *, key=None: sent.setdefault(to, (subject, body)) and key,
    )
    tasks.notify_phase(consultation.id, "voting")
    subject, body = sent[english.email]
    assert subject == f"Consultation “{consultation.title}”: new stage"
    assert "has moved to a new stage: Voting." in body
    for person in (spanish, unknown):  # a language Participa does not offer falls back to Spanish
        subject, body = sent[person.email]
        assert subject == f"Consulta «{consultation.title}»: nueva etapa"
        assert "pasó a una nueva etapa: Votación." in body
