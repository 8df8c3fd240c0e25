from __future__ import annotations

from flask import Blueprint

from participa.commitments import views

bp = Blueprint("commitments", __name__)

# Public
bp.add_url_rule("/compromisos", "dashboard", views.dashboard)
bp.add_url_rule("/compromisos/<int:commitment_id>", "ficha", views.ficha)
bp.add_url_rule("/compromisos/<int:commitment_id>.pdf", "ficha_pdf", views.ficha_pdf)
bp.add_url_rule("/compromisos/<int:commitment_id>/documentos/<int:document_id>", "document", views.document)
bp.add_url_rule("/compromisos/verificar", "find_fingerprint", views.find_fingerprint)
bp.add_url_rule("/compromisos/verificar/<fingerprint>", "verify_fingerprint", views.verify_fingerprint)
bp.add_url_rule(
    "/datos/<any(compromisos, 'compromisos-versiones', cumplimiento):dataset>.<any(csv, json):extension>",
    "download",
    views.download,
)
# GORE programme staff
bp.add_url_rule("/gore/compromisos", "manage", views.manage)
bp.add_url_rule("/gore/compromisos/carga", "bulk_update", views.bulk_update, methods=["POST"])
bp.add_url_rule("/gore/compromisos/<int:commitment_id>/editar", "edit", views.edit, methods=["GET", "POST"])
bp.add_url_rule(
    "/gore/compromisos/<int:commitment_id>/documentos", "add_document", views.add_document, methods=["POST"]
)
