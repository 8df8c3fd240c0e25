from __future__ import annotations

from flask import Blueprint

from participa.audit import views

bp = Blueprint("audit", __name__, url_prefix="/auditoria")

bp.add_url_rule("/", "public_head", views.public_head)
bp.add_url_rule("/eventos", "list_events", views.list_events)
