"""The query parameters of the open-data API: each declared once with its OpenAPI schema, read
from the request with a clear error when it cannot be used (400, never 500)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MAX_LIMIT = 100
INT_MAX = 2**31 - 1


class BadParameter(ValueError):
    """A query parameter that cannot be used: 400 with its name and what is expected."""

    def __init__(self, name: str, expected: str) -> None:
        super().__init__(name)
        self.name, self.expected = name, expected


@dataclass(frozen=True)
class Parameter:
    """One parameter: its name, what it means (a lazy string, translated when shown), its JSON
    Schema and where it goes (query or path)."""

    name: str
    description: Any
    schema: dict[str, Any]
    where: str = "query"

    def read(self) -> Any:
        """The parameter's value from the request (None when absent), or :class:`BadParameter`."""
        raw = request.args.get(self.name)
        if raw is None or raw == "":
            return None
        return self.parse(raw)

    def parse(self, raw: str) -> Any:
        kind = self.schema.get("type")
        if kind == "integer":
            return self._integer(raw)
        if self.schema.get("format") == "date":
            try:
                return date.fromisoformat(raw) if len(raw) == 10 else _not_a_date()
            except ValueError:
                raise BadParameter(self.name, _("una fecha AAAA-MM-DD")) from None
        if "enum" in self.schema and raw not in self.schema["enum"]:
            raise BadParameter(self.name, _("uno de: %(values)s", values=", ".join(self.schema["enum"])))
        if "pattern" in self.schema and not re.fullmatch(self.schema["pattern"], raw):
            raise BadParameter(self.name, _("el valor next_cursor de una respuesta"))
        if len(raw) > self.schema.get("maxLength", 200):
            raise BadParameter(
                self.name, _("un texto de a lo más %(n)s caracteres", n=self.schema.get("maxLength", 200))
            )
        return raw

    def _integer(self, raw: str) -> int:
        if not (raw.isascii() and raw.isdigit()) or int(raw) > INT_MAX:
            raise BadParameter(self.name, _("un número entero"))
        value = int(raw)
        low, high = self.schema.get("minimum", 0), self.schema.get("maximum", INT_MAX)
        if value < low or value > high:
            raise BadParameter(self.name, _("entre %(low)s y %(high)s", low=low, high=high))
        return value


def _not_a_date() -> date:
    raise ValueError


def integer(name: str, description: Any, *, minimum: int = 1, maximum: int = INT_MAX) -> Parameter:
    return Parameter(name, description, {"type": "integer", "minimum": minimum, "maximum": maximum})


def choice(name: str, description: Any, values: list[str]) -> Parameter:
    return Parameter(name, description, {"type": "string", "enum": values})


def day(name: str, description: Any) -> Parameter:
    return Parameter(name, description, {"type": "string", "format": "date"})


def start_of(day_value: date) -> datetime:
    """The first instant of a day, in UTC."""
    return datetime.combine(day_value, time.min, tzinfo=UTC)


COMUNA = integer("comuna", _l("Código único territorial de la comuna."), maximum=99999)
SINCE = day("desde", _l("Desde esta fecha, incluida (AAAA-MM-DD, UTC)."))
UNTIL = day("hasta", _l("Hasta esta fecha, incluida (AAAA-MM-DD, UTC)."))
LIMIT = Parameter(
    "limite",
    _l("Cuántos elementos por página (1 a 100; 50 si se omite)."),
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
)
CURSOR = Parameter(
    "cursor", _l("El valor `next_cursor` de la página anterior."), {"type": "string", "pattern": "^[0-9]{1,9}$"}
)


def cursor_value() -> int:
    """The ``cursor`` parameter: where the previous page ended (0: from the start)."""
    raw = request.args.get("cursor")
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        raise BadParameter("cursor", _("el valor next_cursor de una respuesta"))
    return int(raw)
