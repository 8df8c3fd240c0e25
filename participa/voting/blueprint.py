from __future__ import annotations

from flask import Blueprint

from participa.voting import public, views

bp = Blueprint("voting", __name__)

# Voting (representatives)
bp.add_url_rule("/consultas/<int:consultation_id>/votar", "vote", views.vote, methods=["GET", "POST"])
bp.add_url_rule("/consultas/<int:consultation_id>/comprobante/nuevo", "new_receipt", views.new_receipt)
bp.add_url_rule("/mis-votos", "my_votes", views.my_votes)
# The public record
bp.add_url_rule("/consultas/<int:consultation_id>/comprobantes", "receipts", public.trackers)
bp.add_url_rule("/consultas/<int:consultation_id>/comprobante", "receipt", public.lookup, methods=["GET", "POST"])
bp.add_url_rule("/consultas/<int:consultation_id>/padron", "roll", public.roll)
bp.add_url_rule("/consultas/<int:consultation_id>/votos", "votes", public.votes)
bp.add_url_rule("/consultas/<int:consultation_id>/resultado", "result", public.result)
bp.add_url_rule("/consultas/<int:consultation_id>/resultado.json", "result_json", public.result_json)
bp.add_url_rule(
    "/consultas/<int:consultation_id>/<any(padron, comprobantes, votos):name>.<any(csv, json):extension>",
    "download",
    public.download,
)
bp.add_url_rule("/verificar", "how_to_verify", public.how_to_verify)
bp.add_url_rule("/verificar.py", "verifier", public.verifier)
# Staff (GORE)
bp.add_url_rule(
    "/gore/consultas/<int:consultation_id>/admisibilidad", "admissibility_report", views.admissibility_report
)
