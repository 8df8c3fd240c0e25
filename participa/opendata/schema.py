"""How a public dataset is described: its title and description in clear language, its files
and, for each column, its type and meaning (a Frictionless Table Schema). The catalogue, the
data package, the DCAT catalogue and the API's schemas are all read from these descriptions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Atribución 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
# The CSV files the site writes (participa/core/tabular.py): UTF-8 with a BOM, ";", a header.
CSV_DIALECT = {"csv": {"delimiter": ";", "lineTerminator": "\r\n"}, "header": True}
RUT_PATTERN = "^[0-9]{1,9}-[0-9K]$"
SHA256_PATTERN = "^[0-9a-f]{64}$"


def text(name: str, description: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": description, **extra}


def integer(name: str, description: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "integer", "description": description, **extra}


def decimal(name: str, description: Any) -> dict[str, Any]:
    """A decimal as a Spanish-locale spreadsheet writes it (3,162278)."""
    return {"name": name, "type": "number", "decimalChar": ",", "groupChar": "", "description": description}


def moment(name: str, description: Any) -> dict[str, Any]:
    return {"name": name, "type": "datetime", "format": "any", "description": description}


def boolean(name: str, description: Any) -> dict[str, Any]:
    """A yes/no column as the CSV writes it (participa.core.tabular: «sí», «no»)."""
    return {"name": name, "type": "boolean", "trueValues": ["sí"], "falseValues": ["no"], "description": description}


def json_text(name: str, description: Any) -> dict[str, Any]:
    """A list or object, written as canonical JSON text in the CSV and as itself in JSON."""
    return {"name": name, "type": "string", "description": description, "json": True}


def day(name: str, description: Any) -> dict[str, Any]:
    return {"name": name, "type": "date", "description": description}


@dataclass(frozen=True)
class Dataset:
    """One public dataset and its CSV file (and its JSON twin, when there is one)."""

    name: str
    title: Any
    description: Any
    csv_endpoint: tuple[str, dict[str, Any]]
    json_endpoint: tuple[str, dict[str, Any]] | None
    fields: tuple[dict[str, Any], ...]
    primary_key: tuple[str, ...] = ()
    # How many rows and when last changed, for the catalogue page (None: not counted).
    stats: Callable[[Session], tuple[int, datetime | None]] | None = None
    # Columns that name a row of another dataset: (column, dataset, its column).
    references: tuple[tuple[str, str, str], ...] = ()

    def urls(self) -> dict[str, str]:
        found = {"csv": url_for(self.csv_endpoint[0], _external=True, **self.csv_endpoint[1])}
        if self.json_endpoint:
            found["json"] = url_for(self.json_endpoint[0], _external=True, **self.json_endpoint[1])
        return found

    def resource(self) -> dict[str, Any]:
        """The dataset's CSV file as a Frictionless resource."""
        schema: dict[str, Any] = {
            "fields": [{k: str(v) if k == "description" else v for k, v in f.items()} for f in self.fields]
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.references:
            schema["foreignKeys"] = [
                {"fields": [column], "reference": {"resource": dataset, "fields": [target]}}
                for column, dataset, target in self.references
            ]
        return {
            "name": self.name,
            "title": str(self.title),
            "description": str(self.description),
            "path": self.urls()["csv"],
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "dialect": CSV_DIALECT,
            "licenses": [LICENCE],
            "schema": schema,
        }
