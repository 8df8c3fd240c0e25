from __future__ import annotations

from celery import shared_task
from flask import current_app

from participa.core import db
from participa.projects import operations


@shared_task(name="projects.evaluate", ignore_result=True)
def evaluate_project(project_id: int) -> None:
    """Project admissibility (DESIGN §5). Re-running is safe: only a submitted project is
    evaluated, once per submission."""
    operations.evaluate_project(db.session(), project_id, policy=operations.policy_from_config(current_app.config))
    db.session.commit()
