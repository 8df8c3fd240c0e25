from __future__ import annotations

from flask import Blueprint

from participa.voting import views

bp = Blueprint("voting", __name__)

bp.add_url_rule("/consultas/<int:consultation_id>/votar", "vote", views.vote, methods=["GET", "POST"])
bp.add_url_rule("/consultas/<int:consultation_id>/comprobante", "receipt", views.receipt)
bp.add_url_rule("/consultas/<int:consultation_id>/comprobantes", "receipts", views.receipts)
bp.add_url_rule("/consultas/<int:consultation_id>/resultado", "result", views.result)
