from __future__ import annotations

from flask import Blueprint

from participa.audit import views

bp = Blueprint("audit", __name__, url_prefix="/auditoria")

bp.add_url_rule("/", "public_head", views.public_head)
bp.add_url_rule("/bloques", "list_blocks", views.list_blocks)
bp.add_url_rule("/bloques.json", "blocks_json", views.blocks_json)
bp.add_url_rule("/eventos", "list_events", views.list_events)
