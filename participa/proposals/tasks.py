from __future__ import annotations

from celery import shared_task

from participa.core import db
from participa.proposals import operations


@shared_task(name="proposals.evaluate", ignore_result=True)
def evaluate_proposal(proposal_id: int) -> None:
    """Proposal admissibility; only a pending proposal is evaluated, so re-running is safe."""
    operations.evaluate_proposal(db.session(), proposal_id)
    db.session.commit()
