"""Two-person certification, on the pages (issue #12): one certifier alone does not certify, the
same person twice is refused, the consultation's manager, a facilitator of its in-person votes
and an organisation's voter are refused, a refusal with its reason sends it back for a recount
that a manager asks for, and every step is audited. (Certifying itself, which needs the sealed
audit chain, is in test_certificate.py: those tests commit.)"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import current_app

from participa.audit.models import AuditEvent
from participa.certification import operations as certification
from participa.certification.models import Certification, CertificationDecision
from participa.certification.rules import CertificationError, Decision, Outcome, Refusal
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db
from participa.core.db import utcnow
from participa.facilitation.models import InPersonSession
from participa.voting.models import TallyResult
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.certification import closed_consultation, decide, make_certifier
from tests.web.support import text

REVIEWED = "Revisé los veredictos"


@pytest.fixture()
def closed(session, uploads):
    return closed_consultation(session)


def fresh(consultation_id: int) -> Consultation:
    db.session.expire_all()
    return db.session.get(Consultation, consultation_id)


def review_page(browser, consultation_id: int) -> str:
    response = browser.get(f"/gore/certificacion/{consultation_id}")
    assert response.status_code == 200
    return text(response)


def shown_sha(page: str) -> str:
    match = re.search(r'name="sha256" type="hidden" value="([0-9a-f]{64})"', page)
    assert match, "no result hash in the form"
    return match.group(1)


def post_approve(browser, consultation_id: int, **data):
    page = review_page(browser, consultation_id)
    values = {"csrf_token": csrf_token(browser, f"/gore/certificacion/{consultation_id}"), "sha256": shown_sha(page)}
    values.update({"reviewed": "y", **data})
    return browser.post(f"/gore/certificacion/{consultation_id}/aprobar", data=values, follow_redirects=True)


def post_refuse(browser, consultation_id: int, reason: str):
    page = review_page(browser, consultation_id)
    values = {
        "csrf_token": csrf_token(browser, f"/gore/certificacion/{consultation_id}"),
        "sha256": shown_sha(page),
        "reason": reason,
    }
    return browser.post(f"/gore/certificacion/{consultation_id}/rechazar", data=values, follow_redirects=True)


def decisions(consultation_id: int) -> list[CertificationDecision]:
    return certification.decisions_of(db.session(), consultation_id)


def test_the_review_page_shows_verdicts_admissibility_flags_and_hashes(closed, sign_in, session):
    browser = sign_in(make_certifier(session))
    listing = text(browser.get("/gore/certificacion"))
    assert closed.consultation.title in listing
    page = review_page(browser, closed.id)
    result = certification.current_result(session, closed.id)
    assert result.sha256 in page and result.trackers_hash in page and closed.consultation.roll_hash in page
    assert "Aprobado" in page and "Vinculante" in page
    assert "Admitido" in page  # the admissibility summary
    assert "Quórum" in page and "Mayoría" in page
    assert "Aprobar y firmar" in page and "Rechazar y pedir recuento" in page


def test_one_certifier_alone_does_not_certify(closed, sign_in, session):
    browser = sign_in(make_certifier(session))
    page = text(post_approve(browser, closed.id))
    assert "Falta la firma de otra persona certificadora" in page
    consultation = fresh(closed.id)
    assert consultation.phase == Phase.CERTIFICATION and consultation.certified_at is None
    assert session.execute(sa.select(Certification)).first() is None
    assert [d.decision for d in decisions(closed.id)] == ["approve"]
    event = (
        session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "certification.approved").order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event.object_id == str(closed.id) and event.payload["sha256"] == decisions(closed.id)[0].result_sha256


def test_the_same_person_twice_is_refused(closed, sign_in, session):
    certifier = make_certifier(session)
    browser = sign_in(certifier)
    post_approve(browser, closed.id)
    page = review_page(browser, closed.id)
    assert "Usted ya decidió sobre este conteo" in page and "Aprobar y firmar" not in page
    # Posting anyway (a second tab, a replayed request) is refused and changes nothing.
    sha = certification.current_result(session, closed.id).sha256
    values = {"csrf_token": csrf_token(browser, "/cuenta/"), "sha256": sha, "reviewed": "y"}
    answer = text(browser.post(f"/gore/certificacion/{closed.id}/aprobar", data=values, follow_redirects=True))
    assert "Usted ya aprobó o rechazó este resultado" in answer
    assert len(decisions(closed.id)) == 1
    assert fresh(closed.id).certified_at is None
    with pytest.raises(CertificationError) as caught:
        decide(session, certifier, closed.id)
    assert caught.value.code == Refusal.ALREADY_DECIDED


def test_the_consultations_manager_may_not_certify_it(closed, sign_in, session):
    manager = closed.manager
    manager.roles.append(type(manager.roles[0])(role="certifier"))
    session.commit()
    browser = sign_in(manager)
    page = review_page(browser, closed.id)
    assert "No puede certificar esta consulta: usted gestionó esta consulta" in page
    assert "Aprobar y firmar" not in page
    sha = certification.current_result(session, closed.id).sha256
    values = {"csrf_token": csrf_token(browser, "/cuenta/"), "sha256": sha, "reviewed": "y"}
    answer = text(browser.post(f"/gore/certificacion/{closed.id}/aprobar", data=values, follow_redirects=True))
    assert "usted gestionó esta consulta" in answer
    assert decisions(closed.id) == []


def test_a_manager_who_only_moved_its_phases_is_a_manager_too(closed, session):
    other = create_user(session, roles=["manager", "certifier"])
    from participa.audit import operations as audit

    audit.record(
        "consultations.phase_changed", actor=other, object_type="consultation", object_id=closed.id, payload={}
    )
    session.commit()
    with pytest.raises(CertificationError) as caught:
        decide(session, other, closed.id)
    assert caught.value.code == Refusal.CONFLICT and caught.value.detail == "managed"


def test_a_facilitator_of_its_in_person_votes_may_not_certify_it(session, uploads):
    closed = closed_consultation(session, choices=("approve", "reject"))
    facilitator = create_user(session, roles=["facilitator", "certifier"])
    # A session of the consultation, run by this person (planned in the past voting window).
    session.add(
        InPersonSession(
            consultation_id=closed.id,
            place="Sede",
            starts_at=closed.consultation.voting_at,
            ends_at=closed.consultation.voting_ends_at,
            facilitator_id=facilitator.id,
            created_by_id=closed.manager.id,
        )
    )
    session.commit()
    with pytest.raises(CertificationError) as caught:
        decide(session, facilitator, closed.id)
    assert caught.value.code == Refusal.CONFLICT and caught.value.detail == "facilitated"


def test_a_certifier_who_voted_for_an_organisation_may_not_certify_it(closed, session):
    _org, voter = closed.people[0]
    voter.roles.append(type(voter.roles[0])(role="certifier"))
    session.commit()
    with pytest.raises(CertificationError) as caught:
        decide(session, voter, closed.id)
    assert caught.value.code == Refusal.CONFLICT and caught.value.detail == "voted"


def test_a_refusal_needs_a_reason(closed, sign_in, session):
    browser = sign_in(make_certifier(session))
    page = text(post_refuse(browser, closed.id, "mal"))
    assert "El motivo debe tener entre 10 y 2000 caracteres" in page
    assert decisions(closed.id) == [] and fresh(closed.id).phase == Phase.CERTIFICATION


def test_a_result_recomputed_since_the_page_opened_is_not_approved_unseen(closed, sign_in, session):
    browser = sign_in(make_certifier(session))
    values = {"csrf_token": csrf_token(browser, "/cuenta/"), "sha256": "0" * 64, "reviewed": "y"}
    page = text(browser.post(f"/gore/certificacion/{closed.id}/aprobar", data=values, follow_redirects=True))
    assert "El resultado cambió mientras revisaba" in page
    assert decisions(closed.id) == []


def test_the_approval_must_be_confirmed(closed, sign_in, session):
    browser = sign_in(make_certifier(session))
    page = text(post_approve(browser, closed.id, reviewed=""))
    assert "Confirme que revisó el resultado" in page
    assert decisions(closed.id) == []


def test_a_refusal_with_its_reason_sends_it_back_for_a_recount(closed, sign_in, session):
    first = make_certifier(session)
    decide(session, first, closed.id)  # one approval already
    refuser = make_certifier(session)
    reason = "La organización 2 estaba disuelta al cierre: corregir el catastro."
    page = text(post_refuse(sign_in(refuser), closed.id, reason))
    assert "vuelve a conteo" in page
    consultation = fresh(closed.id)
    assert consultation.phase == Phase.COUNTING and consultation.count_round == 2
    assert certification.current_result(session, closed.id) is None  # the public result is withdrawn...
    kept = session.execute(sa.select(TallyResult).where(TallyResult.consultation_id == closed.id)).scalars().all()
    assert [r.count_round for r in kept] == [1]  # ...and the refused one kept
    refusal = certification.last_refusal(session, consultation)
    assert refusal.reason == reason and refusal.certifier_id == refuser.id
    actions = [
        e.action
        for e in session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.object_type == "consultation", AuditEvent.object_id == str(closed.id))
            .order_by(AuditEvent.id)
        ).scalars()
    ]
    assert actions[-3:] == ["certification.approved", "certification.refused", "certification.sent_back"]

    # The manager sees the reason and asks for the recount; a worker recounts under round 2.
    manager_browser = sign_in(closed.manager)
    manage = text(manager_browser.get(f"/gore/consultas/{closed.id}"))
    assert reason in manage and "Recontar" in manage
    token = csrf_token(manager_browser, f"/gore/consultas/{closed.id}")
    answer = manager_browser.post(f"/gore/consultas/{closed.id}/recontar", data={"csrf_token": token})
    assert answer.status_code == 302
    if not current_app.config["TASKS_EAGER"]:
        from participa.voting.tasks import close_consultation

        close_consultation(closed.id)  # the worker's part, in the test's transaction
        session.commit()
    consultation = fresh(closed.id)
    assert consultation.phase == Phase.CERTIFICATION
    recount = certification.current_result(session, closed.id)
    assert recount is not None and recount.count_round == 2
    assert recount.canonical_json == kept[0].canonical_json  # nothing was corrected: the same result
    # Each round's decisions are its own: the first approval does not count for round 2, and
    # both earlier certifiers may decide again.
    assert decide(session, first, closed.id) == Outcome.PENDING
    # The recount judged every vote again under its own run, beside the refused round's verdicts.
    rounds = session.execute(
        sa.text("SELECT DISTINCT count_round FROM vote_decisions WHERE consultation_id = :c"), {"c": closed.id}
    ).scalars()
    assert set(rounds) == {1, 2}


def test_a_recount_is_only_for_a_consultation_sent_back(closed, sign_in, session):
    browser = sign_in(closed.manager)
    token = csrf_token(browser, f"/gore/consultas/{closed.id}")
    page = text(
        browser.post(f"/gore/consultas/{closed.id}/recontar", data={"csrf_token": token}, follow_redirects=True)
    )
    assert "no está esperando certificación" in page
    assert fresh(closed.id).phase == Phase.CERTIFICATION


def test_a_decision_outside_the_certification_phase_is_refused(session, uploads):
    closed = closed_consultation(session)
    consultation = fresh(closed.id)
    consultation.phase = Phase.COUNTING.value
    session.commit()
    with pytest.raises(CertificationError) as caught:
        certification.decide(
            session,
            actor=make_certifier(session),
            consultation_id=closed.id,
            decision=Decision.APPROVE,
            reason=None,
            seen_sha256="0" * 64,
            now=utcnow(),
        )
    assert caught.value.code == Refusal.NOT_IN_CERTIFICATION


def test_someone_without_the_certifier_role_cannot_decide_even_through_the_operation(closed, session):
    with pytest.raises(CertificationError):
        decide(session, create_user(session, roles=["manager"]), closed.id)
    assert decisions(closed.id) == []
