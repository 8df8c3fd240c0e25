from __future__ import annotations

from flask import Blueprint

from participa.public import views

bp = Blueprint("public", __name__)

bp.add_url_rule("/", "home", views.home)
bp.add_url_rule("/healthz", "healthz", views.healthz)
bp.add_url_rule("/favicon.ico", "favicon", views.favicon)
bp.add_url_rule("/ayuda", "help", views.help_page)
bp.add_url_rule("/accesibilidad", "accessibility", views.accessibility)
bp.add_url_rule("/privacidad", "privacy", views.privacy)
