from __future__ import annotations

from flask import Blueprint

from participa.network import views

bp = Blueprint("network", __name__)

# Public
bp.add_url_rule("/red", "members", views.members)
bp.add_url_rule("/red/practicas", "library", views.library)
bp.add_url_rule("/red/practicas/<int:practice_id>", "practice", views.practice)
bp.add_url_rule(
    "/red/practicas/<int:practice_id>/documentos/<int:document_id>", "download_document", views.download_document
)
bp.add_url_rule("/comunas", "comunas", views.comunas)
bp.add_url_rule("/comunas/<int:cut>", "comuna", views.comuna)
bp.add_url_rule("/red/encuentros", "meetings", views.meetings)
bp.add_url_rule("/red/encuentros/<int:meeting_id>", "meeting", views.meeting)
# Liaisons
bp.add_url_rule("/red/encuentros/<int:meeting_id>/inscripcion", "register", views.register, methods=["POST"])
bp.add_url_rule("/red/practicas/nueva", "new_practice", views.new_practice, methods=["GET", "POST"])
bp.add_url_rule("/red/practicas/<int:practice_id>/replicada", "replicate", views.replicate, methods=["POST"])
bp.add_url_rule("/red/practicas/<int:practice_id>/documentos", "add_document", views.add_document, methods=["POST"])
# Network staff (GORE)
bp.add_url_rule("/gore/red", "manage", views.manage)
bp.add_url_rule("/gore/red/miembros", "add_member", views.add_member, methods=["POST"])
bp.add_url_rule("/gore/red/miembros/<int:member_id>/estado", "member_status", views.member_status, methods=["POST"])
bp.add_url_rule("/gore/red/miembros/<int:member_id>/enlace", "member_liaison", views.member_liaison, methods=["POST"])
bp.add_url_rule("/red/practicas/<int:practice_id>/revision", "review", views.review, methods=["POST"])
bp.add_url_rule("/gore/red/encuentros/nuevo", "new_meeting", views.new_meeting, methods=["GET", "POST"])
bp.add_url_rule("/gore/red/encuentros/<int:meeting_id>/asistencia", "attendance", views.attendance, methods=["POST"])
bp.add_url_rule("/gore/red/encuentros/<int:meeting_id>/acta", "minutes", views.minutes, methods=["POST"])
