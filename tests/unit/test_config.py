"""participa.config.build_config: defaults, environment, overrides and the production checks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from participa import config as config_module
from participa.config import ConfigError, build_config

CONTROLLED_VARS = [
    "PARTICIPA_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TASKS_EAGER",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "PUBLIC_URL",
    "AUDIT_SEAL_INTERVAL",
    "RECEIPT_MAIL_INTERVAL",
    "MAX_CONTENT_LENGTH",
    "LOGIN_FREE_FAILURES",
    "LOGIN_FIRST_DELAY_SECONDS",
    "LOGIN_MAX_DELAY_MINUTES",
    "LOGIN_MAX_FAILURES_PER_IP",
    "LOGIN_IP_WINDOW_MINUTES",
    "TOTP_MAX_FAILURES",
    "TOTP_LOCKOUT_MINUTES",
    "LOGIN_CONCURRENCY",
    "LOGIN_HOST_CONCURRENCY",
    "ARGON2_MEMORY_KIB",
    "ARGON2_TIME_COST",
    "ARGON2_PARALLELISM",
    "STAFF_IDLE_MINUTES",
    "STAFF_SESSION_HOURS",
    "TRUSTED_PROXIES",
    "SECRET_KEY_FALLBACKS",
    "PASSWORD_RESET_HOURS",
    "EMAIL_CONFIRM_DAYS",
]


@pytest.fixture()
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty environment and a throw-away instance folder."""
    for name in CONTROLLED_VARS:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    monkeypatch.setattr(config_module, "INSTANCE", folder)
    return folder


STRONG_KEY = "Yk3vQ9-pL2xR7_tM4nB8cW1zF6hJ0sD5gA9eK3uV7yT2"


@pytest.fixture()
def production(instance: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARTICIPA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("MAIL_SERVER", "smtp.gore.example")
    monkeypatch.setenv("TRUSTED_PROXIES", "172.30.0.1")
    return instance


def cookies_set_by(config: dict[str, object]) -> dict[str, str]:
    """The Set-Cookie headers, by cookie name, of a sign-in with "remember me" on a Flask
    application run with ``config``: the session cookie and Flask-Login's remember cookie."""
    from flask import Flask, session
    from flask_login import LoginManager, UserMixin, login_user

    app = Flask("cookies")
    app.config.update(config)
    LoginManager(app).user_loader(lambda _user_id: None)

    class Person(UserMixin):
        id = "1"

    @app.get("/")
    def sign_in() -> str:
        login_user(Person(), remember=True)
        session["seen"] = True
        return ""

    headers = app.test_client().get("/").headers.getlist("Set-Cookie")
    return {header.split("=", 1)[0]: header for header in headers}


# --- production checks -----------------------------------------------------------------------


def test_production_without_secret_key_is_refused_naming_secret_key(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config()
    assert not (production / "secret_key").exists()  # no development key made up instead


def test_production_with_empty_secret_key_is_refused(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config()


def test_production_requested_by_override_without_secret_key_is_refused(instance: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config({"ENV": "production"})


def test_production_without_mail_server_is_refused_naming_mail_server(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAIL_SERVER")
    with pytest.raises(ConfigError, match="MAIL_SERVER"):
        build_config()


@pytest.mark.parametrize(
    "weak", ["x", "k" * 64, "abcd" * 16, "a-long-random-production-key", "change-me-please-change-me-please-1234"]
)
def test_production_refuses_a_weak_secret_key_and_says_how_to_make_one(
    production: Path, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(ConfigError, match=r"secrets\.token_urlsafe"):
        build_config()


def test_production_refuses_a_weak_fallback_key(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f"{STRONG_KEY[::-1]},x")
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
        build_config()


def test_an_old_key_still_opens_sessions_signed_with_it_after_a_rotation(production: Path, monkeypatch) -> None:
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    old = Flask("old")
    old.secret_key = STRONG_KEY[::-1]
    cookie = SecureCookieSessionInterface().get_signing_serializer(old).dumps({"_user_id": "1:1"})
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", STRONG_KEY[::-1])
    rotated = Flask("rotated")
    rotated.config.update({k: v for k, v in build_config().items() if k.startswith("SECRET_KEY")})
    assert SecureCookieSessionInterface().get_signing_serializer(rotated).loads(cookie) == {"_user_id": "1:1"}
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    forgotten = Flask("forgotten")
    forgotten.config.update({k: v for k, v in build_config().items() if k.startswith("SECRET_KEY")})
    with pytest.raises(Exception, match="Signature"):
        SecureCookieSessionInterface().get_signing_serializer(forgotten).loads(cookie)


def test_production_needs_the_reverse_proxys_address(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTED_PROXIES")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        build_config()
    monkeypatch.setenv("TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        build_config()


def test_the_application_factory_refuses_to_start_on_an_unsafe_configuration(instance: Path) -> None:
    # gunicorn, the worker and the flask command all start through create_app: a RuntimeError
    # there stops them before they serve or consume anything.
    from participa import create_app

    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app({"SECRET_KEY": "k", "TASKS_EAGER": False, "REDIS_URL": None})


def test_production_with_secret_key_and_mail_server_is_strict(production: Path) -> None:
    config = build_config()
    assert config["ENV"] == "production"
    assert config["SECRET_KEY"] == STRONG_KEY
    assert config["MAIL_BACKEND"] == "smtp"
    assert config["MAIL_SERVER"] == "smtp.gore.example"
    cookies = cookies_set_by(config)
    assert len(cookies) == 2 and all("; Secure" in cookie for cookie in cookies.values())
    assert config["HSTS"] is True
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert not (production / "secret_key").exists()


def test_mail_server_given_as_override_satisfies_production(instance: Path) -> None:
    config = build_config(
        {"ENV": "production", "SECRET_KEY": STRONG_KEY, "MAIL_SERVER": "smtp.gore.example", "TRUSTED_PROXIES": ["none"]}
    )
    assert config["MAIL_BACKEND"] == "smtp"


# --- the embedded default --------------------------------------------------------------------


def test_embedded_default_uses_sqlite_under_instance_and_runs_tasks_in_process(instance: Path) -> None:
    config = build_config()
    assert config["ENV"] == "development"
    assert config["DATABASE_URL"] == f"sqlite:///{instance / 'participa.db'}"
    assert config["DATABASE_URL"].startswith("sqlite:///")
    assert config["REDIS_URL"] is None
    assert config["TASKS_EAGER"] is True
    assert config["MAIL_BACKEND"] == "outbox"
    assert config["MAIL_SERVER"] is None


def test_embedded_default_keeps_a_private_secret_key_in_instance(instance: Path) -> None:
    first = build_config()["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A restart reads the same key, so sessions survive.
    assert build_config()["SECRET_KEY"] == first


def test_development_with_secret_key_writes_no_key_file(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert build_config()["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_database_url_from_environment_replaces_sqlite(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/participa")
    assert build_config()["DATABASE_URL"] == "postgresql://db.example/participa"


# --- tasks -----------------------------------------------------------------------------------


def test_with_redis_url_tasks_are_not_eager_by_default(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = build_config()
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["TASKS_EAGER"] is False


def test_empty_redis_url_counts_as_no_broker(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "")
    config = build_config()
    assert config["REDIS_URL"] is None
    assert config["TASKS_EAGER"] is True


def test_redis_url_override_none_wins_over_environment(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = build_config({"REDIS_URL": None})
    assert config["REDIS_URL"] is None
    assert config["TASKS_EAGER"] is True


def test_redis_url_override_makes_tasks_not_eager(instance: Path) -> None:
    config = build_config({"REDIS_URL": "redis://broker.example/1"})
    assert config["TASKS_EAGER"] is False


@pytest.mark.parametrize(
    ("redis_url", "tasks_eager", "expected"),
    [
        (None, "1", True),
        ("redis://r/0", "1", True),
        ("redis://r/0", "true", True),
        ("redis://r/0", " TRUE ", True),
        ("redis://r/0", "yes", True),
        ("redis://r/0", "on", True),
        ("redis://r/0", "si", True),
        ("redis://r/0", "sí", True),
        ("redis://r/0", "0", False),
        ("redis://r/0", "no", False),
        ("redis://r/0", "", False),  # empty means unset: the default for a broker
        (None, "", True),  # empty means unset: the embedded default
        ("redis://r/0", "maybe", False),
    ],
)
def test_tasks_eager_from_environment_overrides_the_default(
    instance: Path,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str | None,
    tasks_eager: str,
    expected: bool,
) -> None:
    if redis_url is not None:
        monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("TASKS_EAGER", tasks_eager)
    assert build_config()["TASKS_EAGER"] is expected


@pytest.mark.parametrize("tasks_eager", ["0", "false"])
def test_queued_tasks_without_a_broker_are_refused(
    instance: Path, monkeypatch: pytest.MonkeyPatch, tasks_eager: str
) -> None:
    # Without a broker, queued tasks would wait forever: audit never sealed, mail never sent.
    monkeypatch.setenv("TASKS_EAGER", tasks_eager)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        build_config()


# --- cookies and overrides -------------------------------------------------------------------


@pytest.mark.parametrize("env", [None, "development", "staging", "Production", "prod"])
def test_cookies_are_not_secure_outside_production(
    instance: Path, monkeypatch: pytest.MonkeyPatch, env: str | None
) -> None:
    if env is not None:
        monkeypatch.setenv("PARTICIPA_ENV", env)
    config = build_config()
    assert config["ENV"] == "development"
    cookies = cookies_set_by(config)
    assert len(cookies) == 2 and not any("Secure" in cookie for cookie in cookies.values())
    assert config["HSTS"] is False
    assert config["PREFERRED_URL_SCHEME"] == "http"


def test_cookies_are_http_only_and_lax_everywhere(instance: Path) -> None:
    cookies = cookies_set_by(build_config())
    assert set(cookies) == {"participa_session", "remember_token"}
    for cookie in cookies.values():
        assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie


def test_explicit_overrides_win_over_environment(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://env/participa")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    config = build_config({"DATABASE_URL": "sqlite:///override.db", "SECRET_KEY": "from-override", "TESTING": True})
    assert config["DATABASE_URL"] == "sqlite:///override.db"
    assert config["SECRET_KEY"] == "from-override"
    assert config["TESTING"] is True


def test_production_check_for_mail_runs_after_overrides(production: Path) -> None:
    with pytest.raises(ConfigError, match="MAIL_SERVER"):
        build_config({"MAIL_BACKEND": "outbox"})


def test_build_config_does_not_mutate_the_overrides(instance: Path) -> None:
    overrides = {"SECRET_KEY": "k"}
    build_config(overrides)
    assert overrides == {"SECRET_KEY": "k"}


def test_public_url_loses_its_trailing_slash(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://participa.example/")
    assert build_config()["PUBLIC_URL"] == "https://participa.example"
