"""Security helpers shared by every domain: headers, CSRF, role checks, password hashing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
_hasher = PasswordHasher()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so that timing does not reveal unknown accounts.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Personal pages, and account pages (which show TOTP secrets and one-time links), are
        # never stored by a browser or proxy cache.
        # Read from the session, not current_user: loading the person for a header would cost
        # the vote request a query (a stale session also gets no-store, which is harmless).
        signed_in = "_user_id" in session
        if signed_in or (request.endpoint or "").startswith("accounts."):
            headers.setdefault("Cache-Control", "no-store")
        return response


MFA_SESSION_KEY = "mfa_user_id"


def acting_user() -> Any:
    """The signed-in person as a plain model object, to hand to operations (which never read
    ``current_user`` themselves)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def second_factor_passed() -> bool:
    return current_user.is_authenticated and session.get(MFA_SESSION_KEY) == current_user.id


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to a signed-in person holding one of ``roles``.

    Staff roles also need the second factor of this session. The roles are kept on the view
    (``required_roles``) so that tests can check every staff page under every wrong role.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from participa.accounts.rules import needs_second_factor

            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path))
            held = current_user.role_names()
            if not held.intersection(roles):
                abort(403)
            if needs_second_factor(held) and not second_factor_passed():
                return redirect(url_for("accounts.second_factor", next=request.full_path))
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator
