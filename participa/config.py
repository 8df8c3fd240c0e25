"""Configuration: defaults, then the environment, then explicit overrides.

With no environment at all Participa runs embedded: an SQLite file under ``instance/``, Celery
tasks executed in-process and e-mail written to a local outbox. Setting ``DATABASE_URL`` and
``REDIS_URL`` moves it to PostgreSQL and a real broker. ``PARTICIPA_ENV=production`` turns on
the strict checks (a real ``SECRET_KEY``, secure cookies, HSTS).
"""

from __future__ import annotations

import math
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PARTICIPA_INSTANCE", ROOT / "instance"))

# Celery queues: long jobs never wait behind e-mail, and e-mail never waits behind long jobs.
QUEUE_DEFAULT = "default"
QUEUE_MAIL = "mail"
QUEUE_LONG = "long"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely."""


def _env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with an empty value treated as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "si", "sí"}


def _dev_secret_key() -> str:
    """A random key kept in instance/ so that embedded sessions survive a restart."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 128
_PLACEHOLDERS = (
    "change",
    "cambia",
    "cambie",
    "secret",
    "secreto",
    "clave",
    "password",
    "example",
    "ejemplo",
    "participa",
    "default",
    "dev",
)


def secret_key_problem(key: str) -> str | None:
    """Why a key cannot sign production sessions, or ``None``: too short, too few distinct
    characters for its length (an estimate of at most ``SECRET_KEY_MIN_BITS`` bits), a short
    pattern repeated, or a placeholder word. A forged session cookie is a login without password
    or second factor, so the key must resist an offline guess."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"tiene {len(key)} caracteres; se necesitan al menos {SECRET_KEY_MIN_LENGTH}"
    distinct = len(set(key))
    if distinct < 2 or len(key) * math.log2(distinct) < SECRET_KEY_MIN_BITS:
        return "repite muy pocos caracteres distintos"
    for period in range(1, len(key) // 2 + 1):
        if len(key) % period == 0 and key == key[:period] * (len(key) // period):
            return "repite un mismo trozo"
    lowered = key.lower()
    if any(word in lowered for word in _PLACEHOLDERS) and distinct < 24:
        return "parece un texto de ejemplo"
    return None


def _check_key(name: str, key: str) -> None:
    problem = secret_key_problem(key)
    if problem:
        raise ConfigError(
            f"{name} no sirve en producción: {problem}. Genere una clave aleatoria con "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'. "
            f"Production refuses a weak {name}."
        )


def _secret_keys(overrides: dict[str, Any], production: bool) -> dict[str, Any]:
    """The key that signs sessions and the older keys still accepted after a rotation (newest
    first). Production refuses a missing or weak key; elsewhere a missing key is made once and
    kept in instance/."""
    secret_key = overrides.get("SECRET_KEY") or _env("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError(
                "PARTICIPA_ENV=production necesita SECRET_KEY: defina una clave aleatoria larga "
                "(por ejemplo: python -c 'import secrets; print(secrets.token_urlsafe(48))'). "
                "Production mode requires SECRET_KEY."
            )
        secret_key = _dev_secret_key()
    fallbacks = overrides.get("SECRET_KEY_FALLBACKS")
    if fallbacks is None:
        fallbacks = [k.strip() for k in (_env("SECRET_KEY_FALLBACKS") or "").split(",") if k.strip()]
    if production:
        _check_key("SECRET_KEY", secret_key)
        for key in fallbacks:
            _check_key("SECRET_KEY_FALLBACKS", key)
    return {"SECRET_KEY": secret_key, "SECRET_KEY_FALLBACKS": list(fallbacks)}


def _backends(overrides: dict[str, Any]) -> dict[str, Any]:
    """The database, the broker and the beat intervals. Tasks run in-process whenever there is
    no broker: the embedded default."""
    redis_url = overrides.get("REDIS_URL", _env("REDIS_URL"))
    return {
        "DATABASE_URL": overrides.get("DATABASE_URL")
        or _env("DATABASE_URL")
        or f"sqlite:///{INSTANCE / 'participa.db'}",
        "REDIS_URL": redis_url,
        "TASKS_EAGER": _bool(_env("TASKS_EAGER"), default=redis_url is None),
        # With TASKS_EAGER, the tasks that run after the response on a thread of the process
        # rather than in the request (participa.core.background): the long ones.
        "BACKGROUND_TASKS": frozenset({"registry.import_batch"}),
        "AUDIT_SEAL_INTERVAL": float(_env("AUDIT_SEAL_INTERVAL", "5")),
        # Seconds between two runs of the beat task that queues vote receipt e-mails.
        "RECEIPT_MAIL_INTERVAL": float(_env("RECEIPT_MAIL_INTERVAL", "5")),
        # Seconds between two runs of the beat task that publishes tasks the broker missed.
        "OUTBOX_INTERVAL": float(_env("OUTBOX_INTERVAL", "10")),
    }


def _mail(overrides: dict[str, Any]) -> dict[str, Any]:
    """SMTP when MAIL_SERVER is set, otherwise the local outbox (never in production)."""
    mail_server = overrides.get("MAIL_SERVER", _env("MAIL_SERVER")) or None
    return {
        "MAIL_BACKEND": "smtp" if mail_server else "outbox",
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": int(_env("MAIL_PORT", "587")),
        # STARTTLS on the submission port (587), or implicit TLS (465) with MAIL_USE_SSL.
        "MAIL_USE_TLS": _bool(_env("MAIL_USE_TLS"), default=True),
        "MAIL_USE_SSL": _bool(_env("MAIL_USE_SSL")),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Participa <no-responder@participa.invalid>"),
    }


def _web(production: bool) -> dict[str, Any]:
    """Links, sessions and cookies, request limits and languages. Cookies are HttpOnly and
    SameSite=Lax everywhere, and secure (with HSTS) in production."""
    return {
        # Links in e-mails and QR codes are built on PUBLIC_URL, never on the request's Host
        # header (which an attacker can choose: password-reset poisoning).
        "PUBLIC_URL": (_env("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        # The project maps' tiles (Leaflet): a URL template with {z}/{x}/{y}, and the credit the
        # tiles' licence asks for. Empty: no map, the place in words and a link only.
        "MAP_TILE_URL": _env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "MAP_ATTRIBUTION": _env("MAP_ATTRIBUTION", "© OpenStreetMap"),
        # Where people write about accessibility, their personal data or a problem (the help,
        # accessibility and privacy pages name it).
        "CONTACT_EMAIL": _env("CONTACT_EMAIL", "participa@participa.invalid"),
        "SESSION_COOKIE_NAME": "participa_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # A session lasts 8 hours from sign-in or from its last change, not renewed by every
        # page: re-signing the cookie on each request costs the vote request a fifth of its time.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HSTS": production,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": int(_env("MAX_CONTENT_LENGTH", str(64 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "es_CL",
        "BABEL_DEFAULT_TIMEZONE": "America/Santiago",
        "LANGUAGES": {"es_CL": "Español", "en": "English"},
    }


def _throttling() -> dict[str, Any]:
    """Sign-in throttling: per e-mail and client together (whether or not the account exists),
    with a wait that doubles after each failure beyond the free ones, and per client; wrong
    second-factor codes lock it per account; a cap on password checks in flight."""
    return {
        "LOGIN_FREE_FAILURES": int(_env("LOGIN_FREE_FAILURES", "3")),
        "LOGIN_FIRST_DELAY_SECONDS": int(_env("LOGIN_FIRST_DELAY_SECONDS", "2")),
        "LOGIN_MAX_DELAY_MINUTES": int(_env("LOGIN_MAX_DELAY_MINUTES", "15")),
        "LOGIN_MAX_FAILURES_PER_IP": int(_env("LOGIN_MAX_FAILURES_PER_IP", "30")),
        # Open data (issue #15): requests per client to the API and to the downloads, counted in
        # Redis when there is one (every process shares the count), in memory otherwise.
        "API_RATE_LIMIT": _env("API_RATE_LIMIT", "300 per minute"),
        "DOWNLOAD_RATE_LIMIT": _env("DOWNLOAD_RATE_LIMIT", "60 per minute"),
        "RATELIMIT_ENABLED": (_env("RATELIMIT_ENABLED", "true") or "true").lower() != "false",
        "LOGIN_IP_WINDOW_MINUTES": int(_env("LOGIN_IP_WINDOW_MINUTES", "15")),
        # Only someone who has the password gets to the second factor.
        "TOTP_MAX_FAILURES": int(_env("TOTP_MAX_FAILURES", "5")),
        "TOTP_LOCKOUT_MINUTES": int(_env("TOTP_LOCKOUT_MINUTES", "15")),
        # Password checks (argon2) in flight per process: beyond it a sign-in answers 503 with
        # Retry-After, so a storm of sign-ins never takes every worker from the votes.
        "LOGIN_CONCURRENCY": int(_env("LOGIN_CONCURRENCY", "1")),
        # And on the host, across every gunicorn process (lock files in the instance folder):
        # half the cores by default, so the other half is always there for the votes; 0: none.
        "LOGIN_HOST_CONCURRENCY": int(_env("LOGIN_HOST_CONCURRENCY", str(max(1, (os.cpu_count() or 2) // 2)))),
    }


def _accounts() -> dict[str, Any]:
    """Password hashing, staff session limits, the proxies believed, and how long e-mailed
    links last."""
    return {
        # argon2id cost of new password hashes: OWASP's minimum (19 MiB, 2 passes, 1 lane) unless
        # raised; a stored hash of other parameters is redone at its owner's next sign-in.
        "ARGON2_MEMORY_KIB": int(_env("ARGON2_MEMORY_KIB", "19456")),
        "ARGON2_TIME_COST": int(_env("ARGON2_TIME_COST", "2")),
        "ARGON2_PARALLELISM": int(_env("ARGON2_PARALLELISM", "1")),
        # Staff sessions end after this long without a request, and this long after sign-in.
        "STAFF_IDLE_MINUTES": int(_env("STAFF_IDLE_MINUTES", "30")),
        "STAFF_SESSION_HOURS": int(_env("STAFF_SESSION_HOURS", "8")),
        # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma
        # separated); a request from anywhere else is taken at its own address.
        "TRUSTED_PROXIES": [p.strip() for p in (_env("TRUSTED_PROXIES") or "").split(",") if p.strip()],
        "PASSWORD_RESET_HOURS": int(_env("PASSWORD_RESET_HOURS", "2")),
        "EMAIL_CONFIRM_DAYS": int(_env("EMAIL_CONFIRM_DAYS", "3")),
        "TOTP_ISSUER": "Participa GORE RMS",
    }


def _projects() -> dict[str, Any]:
    """Project admissibility (pesos, integers) and how long a technical recommendation (RS)
    stays valid for a binding consultation."""
    return {
        "PROJECT_MIN_AMOUNT_CLP": int(_env("PROJECT_MIN_AMOUNT_CLP", "5000000")),
        "PROJECT_MAX_AMOUNT_CLP": int(_env("PROJECT_MAX_AMOUNT_CLP", "5000000000")),
        "RS_VALIDITY_DAYS": int(_env("RS_VALIDITY_DAYS", "365")),
    }


def _refuse_unsafe(config: dict[str, Any]) -> None:
    """Checks on the final configuration, overrides included: queued tasks need a broker, and
    production needs its proxies named and a real mail server."""
    if not config["TASKS_EAGER"] and not config["REDIS_URL"]:
        raise ConfigError("TASKS_EAGER=false necesita REDIS_URL. Queued tasks need a broker (REDIS_URL).")
    if config["ENV"] == "production" and not config["TRUSTED_PROXIES"]:
        raise ConfigError(
            "PARTICIPA_ENV=production necesita TRUSTED_PROXIES: la dirección o red del proxy inverso "
            "(por ejemplo 172.30.0.1/32), o «none» si no hay proxy. Production requires TRUSTED_PROXIES."
        )
    from participa.core.proxy import networks

    try:
        networks(config["TRUSTED_PROXIES"])
    except ValueError as error:
        raise ConfigError(f"TRUSTED_PROXIES no es una lista de direcciones o redes: {error}") from error
    if config["ENV"] == "production" and config["MAIL_BACKEND"] == "outbox":
        # The outbox page would publish reset links: production needs a real mail server.
        raise ConfigError("PARTICIPA_ENV=production necesita MAIL_SERVER. Production mode requires MAIL_SERVER.")


def build_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The application's configuration: defaults, then the environment, then ``overrides``.
    Raises ConfigError for what cannot run safely (a weak key in production, queued tasks
    without a broker, production without its proxies or a mail server)."""
    overrides = dict(overrides or {})
    production = (overrides.get("ENV") or _env("PARTICIPA_ENV", "development")) == "production"
    config: dict[str, Any] = {
        "ENV": "production" if production else "development",
        **_secret_keys(overrides, production),
        **_backends(overrides),
        **_mail(overrides),
        **_web(production),
        **_throttling(),
        **_accounts(),
        **_projects(),
    }
    config.update(overrides)
    _refuse_unsafe(config)
    return config
