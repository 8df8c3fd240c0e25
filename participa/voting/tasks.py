from __future__ import annotations

from celery import shared_task

from participa.core import db
from participa.voting import operations


@shared_task(name="voting.close_consultation", ignore_result=True)
def close_consultation(consultation_id: int) -> None:
    """Vote admissibility and the tally at the end of voting. Running it twice (a worker
    killed and the task re-delivered) leaves one result."""
    operations.close_consultation(db.session(), consultation_id)
    db.session.commit()
