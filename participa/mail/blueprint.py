from __future__ import annotations

from flask import Blueprint

from participa.mail import views

bp = Blueprint("mail", __name__, url_prefix="/correo-local")

bp.add_url_rule("/", "outbox", views.outbox)
