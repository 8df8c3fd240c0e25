"""Security helpers shared by every domain: headers, CSRF, role checks, password hashing."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
# argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane) by default (ARGON2_* to raise it): about
# a fifth of argon2-cffi's default cost, so that a rush of sign-ins does not starve the rest;
# older hashes are rehashed with these parameters at their owner's next sign-in.
ARGON2_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**ARGON2_PARAMETERS)
# Password checks in flight in this process (LOGIN_CONCURRENCY, set by init_app).
_password_slots = threading.BoundedSemaphore(2)
# And on this host, across every process of the instance (LOGIN_HOST_CONCURRENCY): the lock
# files' folder and how many there are; None: no host-wide bound.
_host_slots: tuple[str, int] | None = None
# Seconds a sign-in waits for a slot before being told to retry. Short: a sign-in that waits holds
# one of the worker's threads, and 200 waiting sign-ins left no thread for the votes.
PASSWORD_SLOT_WAIT = 0.25
RETRY_AFTER_SECONDS = 3


class PasswordWorkBusy(Exception):
    """Too many password checks are running in this process or on this host: the caller answers 503."""


def _host_slot(deadline: float) -> int | None:
    """One of the host's password-check slots: a lock file held with ``flock`` by an open
    descriptor, returned to be closed when the check ends (the kernel also lets go when a
    process dies). Polls until ``deadline``; None if every slot stayed taken."""
    if _host_slots is None:
        return -1
    directory, count = _host_slots
    while True:
        for index in range(count):
            fd = os.open(os.path.join(directory, f"password-{index}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


@contextmanager
def password_slot() -> Iterator[None]:
    """Hold one of the process's password-check slots, then one of the host's, while hashing or
    verifying: a storm of sign-ins then waits its turn (or is told to retry) instead of taking
    every worker thread, and every core, from the votes. gunicorn runs several processes on one
    machine: a bound per process alone let four argon2 checks fill two cores (bench/login_storm.py)."""
    deadline = time.monotonic() + PASSWORD_SLOT_WAIT
    if not _password_slots.acquire(timeout=PASSWORD_SLOT_WAIT):
        raise PasswordWorkBusy()
    try:
        fd = _host_slot(deadline)
        if fd is None:
            raise PasswordWorkBusy()
        try:
            yield
        finally:
            if fd >= 0:
                os.close(fd)
    finally:
        _password_slots.release()


def content_security_policy(tile_url: str | None) -> str:
    """Only this site's scripts, styles and fonts; images from this site and, when maps are on,
    from the tile server's origin (the map's tiles are pictures)."""
    images = ["'self'", "data:"]
    if tile_url:
        parts = urlsplit(tile_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + " ".join(images),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# The password work runs on threads of its own at the lowest CPU priority (nice 19; Linux gives
# each thread its own): a storm of sign-ins then takes only the CPU that votes and pages leave
# idle, instead of half of it (bench/login_storm.py). argon2 releases the GIL while it hashes.
PASSWORD_NICE = 19
_low_priority: tuple[int, ThreadPoolExecutor] | None = None
_low_priority_lock = threading.Lock()
_pool_size = 2  # LOGIN_CONCURRENCY, set by init_app: the threads never outnumber the slots


def _lower_this_thread() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PASSWORD_NICE)


def _at_low_priority(work: Callable[[], Any]) -> Any:
    """Run ``work`` on this process's low-priority threads (made again after a fork: gunicorn's
    workers do not inherit the parent's threads) and wait for it."""
    global _low_priority
    with _low_priority_lock:
        if _low_priority is None or _low_priority[0] != os.getpid():
            pool = ThreadPoolExecutor(_pool_size, thread_name_prefix="password", initializer=_lower_this_thread)
            _low_priority = (os.getpid(), pool)
        pool = _low_priority[1]
    return pool.submit(work).result()


def hash_password(password: str) -> str:
    with password_slot():
        return _at_low_priority(lambda: _hasher.hash(password))


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so that timing does not reveal unknown accounts.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str | None, password: str) -> bool:
    with password_slot():
        return _at_low_priority(lambda: _verify(password_hash, password))


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def init_app(app: Flask) -> None:
    global _password_slots, _hasher, _host_slots, _pool_size
    csrf.init_app(app)
    _pool_size = max(1, app.config["LOGIN_CONCURRENCY"])
    _password_slots = threading.BoundedSemaphore(_pool_size)
    if app.config["LOGIN_HOST_CONCURRENCY"] > 0:
        locks = os.path.join(app.instance_path, "locks")
        os.makedirs(locks, exist_ok=True)
        _host_slots = (locks, app.config["LOGIN_HOST_CONCURRENCY"])
    else:
        _host_slots = None
    cost = {
        "time_cost": app.config["ARGON2_TIME_COST"],
        "memory_cost": app.config["ARGON2_MEMORY_KIB"],
        "parallelism": app.config["ARGON2_PARALLELISM"],
    }
    if cost["memory_cost"] < ARGON2_PARAMETERS["memory_cost"] or cost["time_cost"] < ARGON2_PARAMETERS["time_cost"]:
        raise RuntimeError("ARGON2_MEMORY_KIB and ARGON2_TIME_COST cannot go below OWASP's minimum (19456 KiB, 2)")
    _hasher = PasswordHasher(**cost)

    @app.errorhandler(PasswordWorkBusy)
    def _busy(_error: PasswordWorkBusy) -> Any:
        from flask import render_template
        from flask_babel import gettext as _

        from participa.core import db

        db.session.rollback()
        body = render_template(
            "errors.html",
            status=503,
            title=_("Demasiadas personas ingresando"),
            message=_(
                "En este momento muchas personas están ingresando a la vez. Espere unos segundos e "
                "inténtelo de nuevo. No se guardó ningún cambio."
            ),
        )
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    policy = content_security_policy(app.config.get("MAP_TILE_URL"))

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
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
