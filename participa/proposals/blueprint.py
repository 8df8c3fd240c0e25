from __future__ import annotations

from flask import Blueprint

from participa.proposals import views

bp = Blueprint("proposals", __name__)

bp.add_url_rule("/consultas/<int:consultation_id>/propuestas", "list_proposals", views.list_proposals)
bp.add_url_rule("/consultas/<int:consultation_id>/propuestas", "file_proposal", views.file_proposal, methods=["POST"])
bp.add_url_rule("/propuestas/<int:proposal_id>/apoyar", "support", views.support, methods=["POST"])
bp.add_url_rule("/propuestas/<int:proposal_id>/responder", "answer", views.answer, methods=["POST"])
bp.add_url_rule("/propuestas/<int:proposal_id>/ocultar", "hide", views.hide, methods=["POST"])
