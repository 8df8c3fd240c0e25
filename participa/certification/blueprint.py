from __future__ import annotations

from flask import Blueprint

from participa.certification import views

bp = Blueprint("certification", __name__)

# Certifiers (GORE)
bp.add_url_rule("/gore/certificacion", "pending", views.pending)
bp.add_url_rule("/gore/certificacion/<int:consultation_id>", "review", views.review)
bp.add_url_rule("/gore/certificacion/<int:consultation_id>/aprobar", "approve", views.approve, methods=["POST"])
bp.add_url_rule("/gore/certificacion/<int:consultation_id>/rechazar", "refuse", views.refuse, methods=["POST"])
# Managers: the recount after a refusal
bp.add_url_rule("/gore/consultas/<int:consultation_id>/recontar", "recount", views.recount, methods=["POST"])
# Public
bp.add_url_rule("/certificados/<code>", "certificate", views.certificate)
bp.add_url_rule("/certificados/<code>.pdf", "certificate_pdf", views.certificate_pdf)
bp.add_url_rule("/verificar/certificado", "find_certificate", views.find_certificate)
bp.add_url_rule("/verificar/<code>", "verify_certificate", views.verify_certificate)
