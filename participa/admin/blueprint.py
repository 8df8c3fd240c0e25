from __future__ import annotations

from flask import Blueprint

from participa.admin import views

bp = Blueprint("admin", __name__, url_prefix="/admin")

bp.add_url_rule("/usuarios", "list_users", views.list_users)
bp.add_url_rule("/usuarios/<int:user_id>", "show_user", views.show_user)
bp.add_url_rule("/usuarios/<int:user_id>/roles", "assign_role", views.assign_role, methods=["POST"])
bp.add_url_rule("/usuarios/<int:user_id>/roles/quitar", "revoke_role", views.revoke_role, methods=["POST"])
