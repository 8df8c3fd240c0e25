from __future__ import annotations

import time

import sqlalchemy as sa
from celery import shared_task

from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db
from participa.core.celery import TASK_SOFT_TIME_LIMIT
from participa.voting import operations
from participa.voting.models import TallyResult

JUDGE_CHUNK = 100_000
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
    if session.execute(sa.select(TallyResult.id).where(TallyResult.consultation_id == consultation_id)).first():
        return
    run = operations.close_run(consultation_id)
    deadline = time.monotonic() + WORK_BUDGET_SECONDS
    while not operations.judge_votes(session, consultation, run, max_votes=JUDGE_CHUNK):
        session.commit()
        if time.monotonic() > deadline:
            close_consultation.delay(consultation_id)
            return
    session.commit()
    operations.close_consultation(session, consultation_id)
    session.commit()
