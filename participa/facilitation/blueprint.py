from __future__ import annotations

from flask import Blueprint

from participa.core.security import csrf
from participa.facilitation import views

bp = Blueprint("facilitation", __name__)

# Managers (GORE)
bp.add_url_rule(
    "/gore/consultas/<int:consultation_id>/sesiones", "manage_sessions", views.manage_sessions, methods=["GET", "POST"]
)
bp.add_url_rule("/gore/sesiones/<int:session_id>/revocar", "revoke", views.revoke, methods=["POST"])
# The facilitator's tablet app
bp.add_url_rule("/facilitacion/", "app_shell", views.app_shell)
bp.add_url_rule("/facilitacion/sw.js", "service_worker", views.service_worker)
bp.add_url_rule("/facilitacion/manifest.webmanifest", "manifest", views.manifest)
bp.add_url_rule("/facilitacion/api/sesiones", "my_sessions", views.my_sessions)
bp.add_url_rule("/facilitacion/api/sesiones/<int:session_id>/abrir", "open", views.open_session, methods=["POST"])
bp.add_url_rule("/facilitacion/api/sesiones/<int:session_id>/cerrar", "close", views.close_session, methods=["POST"])
# Authorised by the session's token, not by the login cookie: no CSRF token to expire offline.
bp.add_url_rule(
    "/facilitacion/api/sesiones/<int:session_id>/sincronizar", "sync", csrf.exempt(views.sync), methods=["POST"]
)
# Public
bp.add_url_rule("/sesiones/<int:session_id>/acta", "acta", views.acta)
bp.add_url_rule("/consultas/<int:consultation_id>/sesiones", "public_sessions", views.public_sessions)
