from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task
from flask import render_template
from flask_babel import gettext as _

from participa.consultations import operations
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db, outbox
from participa.core.db import utcnow
from participa.core.i18n import in_language_of
from participa.core.web import external_url

ADVANCE_LOCK_KEY = 7_431_002


def enqueue_follow_up(consultation_id: int, target: Phase) -> None:
    """With a phase change, in its transaction: its task, and the e-mail to representatives,
    published once the change has committed (participa/core/outbox.py)."""
    name = operations.follow_up(target)
    if name is not None:
        outbox.enqueue(name, consultation_id)
    outbox.enqueue("consultations.notify_phase", consultation_id, target.value)


@shared_task(name="consultations.advance_phases", ignore_result=True)
def advance_phases() -> int:
    """Celery beat, every minute: move consultations whose schedule has come. Overlapping runs
    skip (an advisory lock on PostgreSQL), and each change re-checks the schedule under a row
    lock, so running it twice changes nothing twice."""
    session = db.session()
    if not db.try_transaction_lock(session, ADVANCE_LOCK_KEY):
        return 0
    changed = 0
    for consultation_id, target in operations.due_changes(session, utcnow()):
        consultation = session.execute(
            sa.select(Consultation)
            .where(Consultation.id == consultation_id)
            .with_for_update(of=Consultation)
            .execution_options(populate_existing=True)
        ).scalar_one()
        try:
            operations.change_phase(session, actor=None, consultation=consultation, target=target, now=utcnow())
        except operations.ConsultationError:
            session.rollback()
            continue
        enqueue_follow_up(consultation_id, target)
        session.commit()
        changed += 1
    session.commit()
    return changed


@shared_task(name="consultations.freeze_roll", ignore_result=True)
def freeze_roll(consultation_id: int) -> None:
    """Freeze the roll when voting opens (idempotent), then compute the power index."""
    if operations.freeze_roll(db.session(), consultation_id):
        outbox.enqueue("consultations.power_index", consultation_id)
    db.session.commit()


@shared_task(name="consultations.power_index", ignore_result=True)
def power_index(consultation_id: int) -> None:
    operations.compute_power_index(db.session(), consultation_id)
    db.session.commit()


@shared_task(name="consultations.notify_phase", ignore_result=True)
def notify_phase(consultation_id: int, phase: str) -> None:
    """Tell the representatives of the consultation's organisations that a phase began."""
    from participa.mail.operations import send_email

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return
    link = external_url("consultations.show_public", consultation_id=consultation_id)
    from participa.consultations.labels import PHASE_LABELS

    for user in operations.representatives_to_notify(db.session(), consultation):
        with in_language_of(user.locale):
            label = str(PHASE_LABELS.get(Phase(phase), phase))
            send_email(
                user.email,
                _("Consulta «%(title)s»: nueva etapa", title=consultation.title),
                render_template(
                    "consultations/email_phase.txt", user=user, consultation=consultation, phase=label, link=link
                ),
                key=f"phase-{consultation_id}-{phase}-{user.id}",
            )
    db.session.commit()
