from __future__ import annotations

from flask import Blueprint

from participa.consultations import views
from participa.consultations.operations import ConsultationError

bp = Blueprint("consultations", __name__)
bp.register_error_handler(ConsultationError, views.refused)

# Consultation managers (GORE)
bp.add_url_rule("/gore/consultas", "list_consultations", views.list_consultations)
bp.add_url_rule("/gore/consultas/nueva", "new_consultation", views.new_consultation, methods=["GET", "POST"])
bp.add_url_rule("/gore/consultas/<int:consultation_id>", "manage", views.manage)
bp.add_url_rule(
    "/gore/consultas/<int:consultation_id>/editar",
    "edit_consultation",
    views.edit_consultation,
    methods=["GET", "POST"],
)
bp.add_url_rule("/gore/consultas/<int:consultation_id>/avanzar", "advance", views.advance, methods=["GET", "POST"])
bp.add_url_rule("/gore/consultas/<int:consultation_id>/padron", "roll", views.roll)
# Public
bp.add_url_rule("/consultas", "list_public", views.list_public)
bp.add_url_rule("/consultas/<int:consultation_id>", "show_public", views.show_public)
