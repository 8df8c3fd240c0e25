from __future__ import annotations

import time

from celery import shared_task
from flask import render_template
from flask_babel import gettext as _

from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db, outbox
from participa.core.celery import TASK_SOFT_TIME_LIMIT
from participa.core.db import utcnow
from participa.core.i18n import in_language_of
from participa.core.web import external_url
from participa.mail.operations import send_email
from participa.voting import operations

JUDGE_CHUNK = 500_000  # votes judged per committed step: one INSERT ... SELECT of a few seconds
RECEIPT_BATCH = 500
WORK_BUDGET_SECONDS = TASK_SOFT_TIME_LIMIT * 0.6


@shared_task(name="voting.close_consultation", ignore_result=True)
def close_consultation(consultation_id: int) -> None:
    """Vote admissibility and the tally at the end of voting.

    Admissibility is judged in committed chunks, so a large consultation never outlives the
    task's time limit: before the limit the task hands the rest to a continuation, and a task
    re-delivered after a killed worker resumes after the last committed chunk. Running it twice
    leaves one result."""
    session = db.session()
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.phase != Phase.COUNTING:
        return
    if session.execute(operations.current_result_query(consultation_id)).first():
        return
    run = operations.close_run(consultation_id, consultation.count_round)
    deadline = time.monotonic() + WORK_BUDGET_SECONDS
    while not operations.judge_votes(session, consultation, run, max_votes=JUDGE_CHUNK):
        if time.monotonic() > deadline:
            outbox.enqueue("voting.close_consultation", consultation_id)
            session.commit()
            return
        session.commit()
    session.commit()
    operations.close_consultation(session, consultation_id)
    session.commit()


@shared_task(name="voting.mail_receipts", ignore_result=True)
def mail_receipts() -> None:
    """Queue the receipt e-mail of every online ballot that has none yet, to each of the
    organisation's representatives in their language. Run by beat every few seconds
    (``RECEIPT_MAIL_INTERVAL``), and right after each vote in embedded mode: the vote request
    itself only writes the ballot. Each batch is one transaction that marks its ballots and
    queues their messages, under stable keys, so a re-delivered task mails nobody twice; two
    workers skip each other's locked ballots."""
    session = db.session()
    deadline = time.monotonic() + WORK_BUDGET_SECONDS
    while time.monotonic() < deadline:
        mails = operations.pending_receipts(session, RECEIPT_BATCH)
        if not mails:
            break
        for mail in mails:
            link = external_url("voting.receipt", consultation_id=mail.consultation_id)
            for user_id, person in mail.recipients.items():
                with in_language_of(person.locale):
                    body = render_template(
                        "voting/email_receipt.txt",
                        name=person.name,
                        organisation=mail.organisation,
                        title=mail.title,
                        receipt_code=mail.receipt_code,
                        link=link,
                    )
                    send_email(
                        person.email,
                        _("Comprobante de voto: %(title)s", title=mail.title),
                        body,
                        key=f"receipt-{mail.ballot_id}-{user_id}",
                    )
        operations.mark_receipts_mailed(session, [mail.ballot_id for mail in mails], utcnow())
        session.commit()
    session.commit()
