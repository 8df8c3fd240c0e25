from __future__ import annotations

from flask import Blueprint, Flask

from participa.accounts import sessions, views

bp = Blueprint("accounts", __name__, url_prefix="/cuenta")

bp.add_url_rule("/ingresar", "login", views.login, methods=["GET", "POST"])
bp.add_url_rule("/salir", "logout", views.logout, methods=["POST"])
bp.add_url_rule("/registro", "signup", views.signup, methods=["GET", "POST"])
bp.add_url_rule("/confirmar/<token>", "confirm_email", views.confirm_email, methods=["GET", "POST"])
bp.add_url_rule("/clave/olvido", "request_reset", views.request_reset, methods=["GET", "POST"])
bp.add_url_rule("/clave/nueva/<token>", "reset_password", views.reset_password, methods=["GET", "POST"])
bp.add_url_rule("/segundo-factor", "second_factor", views.second_factor, methods=["GET", "POST"])
bp.add_url_rule("/segundo-factor/activar", "enrol_totp", views.enrol_totp, methods=["GET", "POST"])
bp.add_url_rule("/idioma", "set_locale", views.set_locale, methods=["POST"])
bp.add_url_rule("/", "profile", views.profile)


def init_login(app: Flask) -> None:
    views.login_manager.init_app(app)
    app.before_request(sessions.end_unbound_session)
    app.context_processor(views.template_globals)
    app.before_request(views.end_expired_staff_session)
