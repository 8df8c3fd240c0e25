"""The signed-in session beyond what Flask-Login keeps: which browser it is bound to, and who it
claims to be without loading the person (the vote's one-call path needs that)."""

from __future__ import annotations

import hashlib

from flask import request, session
from flask_login import current_user

from participa.core.web import client_ip

BINDING_KEY = "bound_to"  # the browser that signed in: a hash of its address and User-Agent


def identity(user_id: object) -> tuple[int, int] | None:
    """(user id, session version) from Flask-Login's session value (``User.get_id``)."""
    if not isinstance(user_id, str):
        return None
    raw_id, _, version = user_id.partition(":")
    if not (raw_id.isascii() and raw_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    return int(raw_id), int(version)


def _binding() -> str:
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(f"{client_ip()}\x00{agent}".encode()).hexdigest()


def bind() -> None:
    """Bind the session to the browser signing in now (called at sign-in)."""
    session[BINDING_KEY] = _binding()


def bound_here() -> bool:
    """Whether this request comes from the address and browser that signed this session in."""
    return session.get(BINDING_KEY) == _binding()


def end_unbound_session() -> None:
    """Before each request: a signed-in session used from another address or browser than the
    one that signed in ends at once, so a captured cookie is worthless elsewhere (what
    Flask-Login calls "strong" protection). The address and browser are kept only as a hash."""
    if "_user_id" in session and not bound_here():
        kept = {key: session[key] for key in ("locale",) if key in session}
        session.clear()
        session.update(kept)


def session_identity() -> tuple[int, int] | None:
    """The signed-in person's (id, session version) as this session claims them, without loading
    the person. Only for a caller that itself checks, in its own query, that the account is
    active and the version current (see participa.voting.operations.cast_online); anyone else
    uses ``current_user``."""
    if not bound_here():
        return None
    if "_user_id" in session:
        return identity(session["_user_id"])
    if current_user.is_authenticated:  # restored by other means than the session cookie
        return current_user.id, current_user.session_version
    return None
