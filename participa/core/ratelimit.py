"""Rate limits for the open data (issue #15): the API and the downloads answer 429 with
Retry-After beyond ``API_RATE_LIMIT`` and ``DOWNLOAD_RATE_LIMIT`` requests per client, counted
in Redis when there is one (every process shares the count), in memory otherwise (Flask-Limiter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from participa.core.web import client_ip

limiter = Limiter(key_func=client_ip, headers_enabled=True)


def api_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    return limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(view)


def download_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    return limiter.limit(lambda: current_app.config["DOWNLOAD_RATE_LIMIT"])(view)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: the downloads and the API keep answering (no limit) rather than fail.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Any:
        message = _("Demasiadas solicitudes seguidas: espere un momento y vuelva a intentarlo.")
        if request.path.startswith("/api/"):
            response = jsonify(error={"code": "rate_limited", "message": message, "limit": str(error.limit.limit)})
            response.status_code = 429
        else:
            response = app.make_response(
                (render_template("errors.html", status=429, title=_("Demasiadas solicitudes"), message=message), 429)
            )
        return response  # Flask-Limiter adds Retry-After and the X-RateLimit headers after the handler
