"""End to end on PostgreSQL + Redis with real workers: a comuna submits a project, a worker finds
it admissible, a consultation opens, a worker freezes the roll, organisations file proposals, 50
organisations vote online (one database call each) and a worker mails their receipts, voting
closes, a worker applies vote admissibility and counts, and the result is a binding verdict
(issue #4)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from participa.consultations import operations as consultations
from participa.consultations.models import Consultation, RollEntry
from participa.consultations.rules import Phase
from participa.consultations.tasks import advance_phases
from participa.core import db
from participa.core.db import utcnow
from participa.mail.models import OutboxMessage
from participa.projects import operations as projects
from participa.projects.models import Project
from participa.projects.tasks import evaluate_project
from participa.proposals import operations as proposals
from participa.proposals.models import Proposal
from participa.proposals.tasks import evaluate_proposal
from participa.voting import operations as voting
from participa.voting.models import Ballot, TallyResult
from participa.voting.tasks import close_consultation, mail_receipts
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import consultation_data, project_data, representative_of
from tests.fixtures.processes import wait_for
from tests.fixtures.registry import create_organisation

pytestmark = [pytest.mark.postgres, pytest.mark.worker]

# This test commits for real: its organisations live in a comuna no other test uses, so that the
# roll holds exactly them.
TILTIL = 13303


def fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def test_submit_to_binding_verdict_with_real_workers(app: Flask, workers, long_worker) -> None:
    with app.app_context():
        staff = create_user(db.session(), roles=["municipal_staff"], comuna_cut=TILTIL)
        project = projects.create_project(db.session(), actor=staff, data=project_data())
        projects.submit_project(db.session(), actor=staff, project=project)
        db.session.commit()
        project_id = project.id
        evaluate_project.delay(project_id)
        wait_for(
            lambda: fresh(Project, project_id).state == "admissible", 30, "project admissibility", workers["worker"]
        )

        organisations = [
            create_organisation(db.session(), legal_name=f"Junta de Vecinos E2E {i}", comuna_cut=TILTIL)
            for i in range(50)
        ]
        people = [(org, representative_of(db.session(), org)) for org in organisations]
        manager = create_user(db.session(), roles=["manager"])
        now = utcnow()
        consultation = consultations.create_consultation(
            db.session(),
            actor=manager,
            data=consultation_data(
                [project_id],
                information_at=now - timedelta(days=2),
                proposals_at=now - timedelta(days=1),
                voting_at=now + timedelta(seconds=15),
                voting_ends_at=now + timedelta(minutes=30),
                electorate_comunas=[TILTIL],
            ),
        )
        db.session.commit()
        consultation_id = consultation.id
        for target in (Phase.INFORMATION, Phase.PROPOSALS):
            consultations.change_phase(
                db.session(), actor=manager, consultation=consultation, target=target, now=utcnow()
            )
            db.session.commit()
        assert fresh(Project, project_id).state == "in_consultation"

        # Proposals phase: two organisations file; one repeats the other, which the worker refuses.
        question_id = consultation.questions[0].id
        filed = []
        for org, person in people[:2]:
            proposal = proposals.file_proposal(
                db.session(),
                actor=person,
                consultation=consultation,
                question_id=question_id,
                organisation_id=org.id,
                kind="proposal",
                title="Más luminarias",
                body="Pedimos agregar luminarias LED en el pasaje norte de la plaza.",
                now=utcnow(),
            )
            db.session.commit()
            evaluate_proposal.delay(proposal.id)
            wait_for(
                lambda pid=proposal.id: fresh(Proposal, pid).status != "pending",
                30,
                "proposal admissibility",
                workers["worker"],
            )
            filed.append(proposal.id)
        assert [fresh(Proposal, pid).status for pid in filed] == ["admissible", "inadmissible"]

        # Voting opens when the schedule says so: the roll is frozen by a worker.
        while utcnow() < consultation.voting_at:
            time.sleep(0.5)
        # What beat runs every minute: it moves the phase and queues the roll's freezing with it.
        assert advance_phases() >= 1
        assert fresh(Consultation, consultation_id).phase == "voting"
        wait_for(lambda: fresh(Consultation, consultation_id).roll_frozen_at is not None, 60, "the roll", long_worker)
        on_roll = db.session.execute(
            sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.consultation_id == consultation_id)
        ).scalar_one()
        assert on_roll == 50

        consultation = fresh(Consultation, consultation_id)
        choices = ["approve"] * 30 + ["reject"] * 15 + ["abstain"] * 5
        receipts = []
        for (org, person), choice in zip(people, choices, strict=True):
            receipts.append(
                voting.cast_online(
                    db.session(),
                    user_id=person.id,
                    session_version=person.session_version,
                    consultation_id=consultation_id,
                    organisation_id=org.id,
                    answers={question_id: choice},
                    now=utcnow(),
                    secret_key=app.config["SECRET_KEY"],
                )
            )
            db.session.commit()

        # Beat's receipt task, sent twice at once (as if two beats overlapped): each voter gets
        # one e-mail with its receipt code.
        mail_receipts.delay()
        mail_receipts.delay()
        ballot_of = dict(
            db.session.execute(
                sa.select(Ballot.receipt_code, Ballot.id).where(Ballot.consultation_id == consultation_id)
            ).all()
        )
        keys = [f"receipt-{ballot_of[code]}-{person.id}" for (_org, person), code in zip(people, receipts, strict=True)]

        def receipts_delivered() -> int:
            db.session.expire_all()
            return db.session.execute(
                sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.message_key.in_(keys))
            ).scalar_one()

        wait_for(lambda: receipts_delivered() == 50, 60, "the receipt e-mails", workers["worker"])
        mailed = {
            m.recipient: m.body
            for m in db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.message_key.in_(keys))).scalars()
        }
        assert set(mailed) == {person.email for _org, person in people}
        assert all(code in mailed[person.email] for (_org, person), code in zip(people, receipts, strict=True))

        consultations.change_phase(
            db.session(), actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow()
        )
        db.session.commit()
        # The close task delivered twice (as after a killed worker): one result.
        close_consultation.delay(consultation_id)
        close_consultation.delay(consultation_id)

        def result_stored() -> bool:
            db.session.expire_all()
            return (
                db.session.execute(sa.select(TallyResult).where(TallyResult.consultation_id == consultation_id)).first()
                is not None
            )

        wait_for(result_stored, 60, "the tally", long_worker)
        time.sleep(2)
        results = (
            db.session.execute(sa.select(TallyResult).where(TallyResult.consultation_id == consultation_id))
            .scalars()
            .all()
        )
        assert len(results) == 1
        data = json.loads(results[0].canonical_json)
        question = data["questions"][0]
        assert (question["approve"]["heads"], question["reject"]["heads"], question["abstain"]["heads"]) == (30, 15, 5)
        assert question["verdict"] == "approved"
        assert question["binding"] is True
        assert fresh(Consultation, consultation_id).phase == "certification"
        db.session.remove()
