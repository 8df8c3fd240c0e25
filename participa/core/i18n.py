"""Languages: Spanish (Chile) first, English second; dates shown in America/Santiago."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, force_locale
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # a worker: tasks choose the reader's language with force_locale
        return "es_CL"
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if g.get("plain_page"):  # an error page rendered without the database: no account to read
        return request.accept_languages.best_match(list(languages), default="es_CL") or "es_CL"
    if current_user.is_authenticated and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    return request.accept_languages.best_match(list(languages), default="es_CL") or "es_CL"


@contextmanager
def in_language_of(locale: str | None) -> Iterator[None]:
    """Write (an e-mail, in a worker) in a person's language: their saved one if Participa
    offers it, else Spanish (Chile)."""
    with force_locale(locale if locale in current_app.config["LANGUAGES"] else "es_CL"):
        yield


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
