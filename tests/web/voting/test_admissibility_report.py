"""The staff's vote admissibility report (issue #16): replaced votes are not counted as refused,
every reason is in words, no internal code on the page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.registry.models import Representation
from participa.voting import operations as voting
from participa.voting.labels import REASON_LABELS
from tests.fixtures.consultations import voting_consultation
from tests.web.support import text


def cast(session, consultation, org, person, choice, now):
    return voting.cast_ballot(
        session,
        actor=person,
        consultation=consultation,
        organisation_id=org.id,
        answers={q.id: choice for q in consultation.questions},
        now=now,
        secret_key=current_app.config["SECRET_KEY"],
    )


def test_the_report_separates_replaced_from_refused_and_says_why_in_words(session, sign_in) -> None:
    consultation, manager, people = voting_consultation(session, organisations=3)
    (org_a, person_a), (org_b, person_b), (org_c, person_c) = people
    now = utcnow()
    cast(session, consultation, org_a, person_a, "approve", now - timedelta(minutes=3))
    cast(session, consultation, org_a, person_a, "reject", now - timedelta(minutes=2))  # replaces the first
    cast(session, consultation, org_b, person_b, "approve", now - timedelta(minutes=1))
    cast(session, consultation, org_c, person_c, "approve", now)
    # C's representative turns out to have been approved only after voting: refused at close.
    session.execute(
        sa.update(Representation)
        .where(Representation.user_id == person_c.id)
        .values(approved_at=now + timedelta(hours=1))
    )
    session.commit()
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    session.commit()
    voting.close_consultation(session, consultation.id)
    session.commit()

    report = voting.admissibility_report(session, consultation)
    assert (report.admitted, report.superseded, report.refused) == (2, 1, {"not_authorised": 1})
    page = text(sign_in(manager).get(f"/gore/consultas/{consultation.id}/admisibilidad"))
    assert str(REASON_LABELS["not_authorised"]) in page and str(REASON_LABELS["superseded"]) in page
    for code in ("not_authorised", "superseded", "effective", "authorised:"):
        assert code not in page
