"""Web plumbing shared by every blueprint: error pages, safe redirects, template helpers."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import nh3
import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from participa.core import db

MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer)
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number no row can have is a 404, never a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def page_number(name: str = "pagina") -> int:
    """The page asked for in the query string: 1 for anything that is not a page number, and no
    more than MAX_PAGE (a huge page would become a huge offset)."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths: an open redirect would lend our name to phishing."""
    if not target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default  # CR, LF and other control characters never belong in a Location
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails and QR codes, on the configured PUBLIC_URL, in a request or
    in a worker (which has no request to build URLs from)."""
    if has_request_context():
        path = url_for(endpoint, _external=False, **values)
    else:
        path = current_app.url_map.bind("", url_scheme="https").build(endpoint, values)
    return current_app.config["PUBLIC_URL"] + path


def client_ip() -> str:
    # Behind the reverse proxy, ProxyFix (wsgi.py) has already put the client's address here.
    return (request.remote_addr or "unknown")[:45]


def _error(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors.html", status=status, title=title, message=message), status


def plain_error(status: int, title: str, message: str) -> tuple[str, int]:
    """An error page that reads nothing from the database (not even who is signed in): it must
    render when the database is what failed."""
    g.plain_page = True
    return render_template("errors.html", status=status, title=title, message=message, plain=True), status


def _number(value: Any) -> str:
    return format_decimal(value) if value is not None else ""


def _weight(value: Any) -> str:
    """A weight with its six decimals, as the reader writes decimals (3,162278 in Spanish)."""
    if value is None or value == "":
        return "—"
    return format_decimal(Decimal(str(value)), format="#,##0.000000")


def _iso_local(value: str | None) -> str:
    """A UTC time written in ISO 8601 (as the public downloads carry it), shown in Santiago."""
    return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00"))) if value else ""


def _sanitised(value: str | None) -> Markup:
    """Text stored as nh3 output (already HTML-escaped, no tags): shown as it is, not escaped
    twice. Cleaned again on the way out, which changes nothing in sanitised text and keeps
    anything else harmless."""
    return Markup(nh3.clean(value or "", tags=set(), attributes={}, strip_comments=True))  # noqa: S704


def _clp(value: Any) -> str:
    """Pesos as Chileans write them: $1.234.567 (integers only)."""
    if value is None:
        return "—"
    return "$" + f"{int(value):,}".replace(",", ".")


# Day, month, year, hours and minutes: seconds say nothing to a reader (issue #16).
LOCAL_DATETIME = "d MMM y, HH:mm"


def _local_datetime(value: Any, fmt: str = LOCAL_DATETIME) -> str:
    """A UTC moment as Santiago's clock shows it (1 dic 2026, 14:05)."""
    return format_datetime(value, fmt) if value else ""


def _local_date(value: Any, fmt: str = "long") -> str:
    """A UTC moment's date in Santiago (31 de octubre de 2026)."""
    if not value:
        return ""
    moment = value.astimezone(db.SANTIAGO) if isinstance(value, datetime) else value
    return format_date(moment, fmt)


def _percent(value: Any) -> str:
    """A percentage as the reader writes it (88 %, 50,4 %), or a dash when there is none."""
    return "—" if value is None else format_percent(Decimal(value) / 100, format="#,##0.# %")


def _csrf_error(_error_: CSRFError) -> tuple[str, int]:
    db.session.rollback()
    return _error(
        400,
        _("El formulario expiró"),
        _(
            "Por seguridad, el formulario dejó de ser válido. Vuelva a la página anterior, "
            "recárguela y envíe el formulario de nuevo. No se guardó ningún cambio."
        ),
    )


def _forbidden(_e: Exception) -> tuple[str, int]:
    return _error(403, _("Sin permiso"), _("Su cuenta no tiene permiso para ver esta página."))


def _not_found(_e: Exception) -> Any:
    if request.path.startswith("/api/"):  # the JSON API answers in JSON, whatever did not match
        from flask import jsonify

        response = jsonify(error={"code": "not_found", "message": _("No existe esa dirección en la API.")})
        response.status_code = 404
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    return _error(404, _("Página no encontrada"), _("La dirección no existe o cambió."))


def _too_large(_e: Exception) -> tuple[str, int]:
    return _error(413, _("Archivo demasiado grande"), _("El archivo supera el tamaño permitido."))


def _server_error(_e: Exception) -> tuple[str, int]:
    g.plain_page = True  # before any translation: choosing the language must not read the account
    with contextlib.suppress(Exception):
        db.session.rollback()
    return plain_error(
        500,
        _("Error interno"),
        _("Algo falló de nuestro lado. No se guardó ningún cambio; intente de nuevo en unos minutos."),
    )


def _refused_by_database(error: sa.exc.DBAPIError) -> tuple[str, int]:
    """A change the database refused that no form should have offered: the triggers that
    keep a certified result's inputs unchanged (migration 0013) get a clear answer."""
    if "certified" not in str(error.orig):
        raise error  # anything else is a defect: the 500 page, as before
    with contextlib.suppress(Exception):
        db.session.rollback()
    return _error(
        409,
        _("Consulta certificada"),
        _("La consulta está certificada: nada de lo que produjo su resultado se puede cambiar."),
    )


def _database_unavailable(_e: Exception) -> tuple[str, int, dict[str, str]]:
    """The database is down or unreachable: say so, in the reader's language, without
    touching it again; the pool reconnects by itself once it is back (pool_pre_ping)."""
    g.plain_page = True
    with contextlib.suppress(Exception):
        db.session.rollback()
    body, status = plain_error(
        503,
        _("Servicio no disponible por un momento"),
        _(
            "No podemos comunicarnos con nuestra base de datos en este momento. Espere un minuto y "
            "vuelva a intentarlo. Si estaba votando, revise después en «Mis votos» si su voto quedó "
            "registrado; si no está, vote de nuevo."
        ),
    )
    return body, status, {"Retry-After": "30"}


FILTERS = {
    "number": _number,
    "weight": _weight,
    "iso_local": _iso_local,
    "sanitised": _sanitised,
    "clp": _clp,
    "local_datetime": _local_datetime,
    "local_date": _local_date,
    "percent": _percent,
}
ERROR_HANDLERS = (
    (CSRFError, _csrf_error),
    (403, _forbidden),
    (404, _not_found),
    (413, _too_large),
    (500, _server_error),
    (sa.exc.IntegrityError, _refused_by_database),
    (sa.exc.ProgrammingError, _refused_by_database),
    (sa.exc.OperationalError, _database_unavailable),
    (sa.exc.InterfaceError, _database_unavailable),
    (sa.exc.TimeoutError, _database_unavailable),
)


def init_app(app: Flask) -> None:
    """Ids in addresses, template filters and globals, and the error pages, in the reader's
    language (a database that refused or is unreachable included)."""
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    for error, handler in ERROR_HANDLERS:
        app.register_error_handler(error, handler)
