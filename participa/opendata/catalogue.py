"""Every public dataset, described once: its title and description in clear language, its files
and, for each column, its type and meaning (a Frictionless Table Schema). The catalogue page and
the data package (``/datos/datapackage.json``) are both read from here, and the suite validates
the package against the live downloads with the frictionless library."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from participa.consultations.models import Consultation
from participa.voting import records
from participa.voting.models import TallyResult

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


ORGANISATIONS = Dataset(
    "organizaciones",
    _l("Organizaciones del catastro"),
    _l(
        "Las organizaciones de la sociedad civil inscritas y revisadas por el Gobierno de Santiago "
        "(sin datos personales)."
    ),
    ("registry.public_csv", {}),
    ("registry.public_json", {}),
    (
        text(
            "rut", _l("RUT de la organización"), constraints={"required": True, "unique": True, "pattern": RUT_PATTERN}
        ),
        text("legal_name", _l("Nombre"), constraints={"required": True}),
        text("registry_number", _l("Número de registro")),
        text("org_type", _l("Tipo de organización (código)")),
        integer("comuna_cut", _l("Código único territorial de la comuna")),
        text("comuna", _l("Comuna")),
        text("address", _l("Dirección")),
        integer("members_count", _l("Número de socios"), constraints={"minimum": 0}),
        {"name": "board_term_start", "type": "date", "description": _l("Inicio del directorio vigente")},
        {"name": "board_term_end", "type": "date", "description": _l("Término del directorio vigente")},
        text("status", _l("Estado en el catastro"), constraints={"enum": ["verified", "suspended", "dissolved"]}),
        moment("status_changed_at", _l("Último cambio de estado (UTC)")),
    ),
    ("rut",),
)

COMMITMENT_VERSIONS = Dataset(
    "compromisos-versiones",
    _l("Versiones del registro de compromisos"),
    _l("Cada cambio del registro de los 80 compromisos, con su fecha, su motivo y su huella digital."),
    ("commitments.download", {"dataset": "compromisos-versiones", "extension": "csv"}),
    ("commitments.download", {"dataset": "compromisos-versiones", "extension": "json"}),
    (
        integer("commitment", _l("Compromiso (identificador)"), constraints={"required": True}),
        integer("version", _l("Versión"), constraints={"required": True, "minimum": 1}),
        moment("recorded_at", _l("Fecha de la versión (UTC)")),
        text("reason", _l("Motivo del cambio")),
        text("fields_changed", _l("Datos que cambiaron (lista JSON)")),
        text(
            "status", _l("Estado"), constraints={"enum": ["not_started", "in_progress", "fulfilled", "deprioritised"]}
        ),
        text("sha256", _l("Huella digital de la versión"), constraints={"pattern": SHA256_PATTERN}),
    ),
    ("commitment", "version"),
)

COMPLIANCE = Dataset(
    "cumplimiento",
    _l("Cumplimiento del programa de gobierno"),
    _l(
        "Cumplidos sobre el total menos los despriorizados, en general, por eje, por sub-eje y por "
        "comuna, y el del programa anterior."
    ),
    ("commitments.download", {"dataset": "cumplimiento", "extension": "csv"}),
    ("commitments.download", {"dataset": "cumplimiento", "extension": "json"}),
    (
        text("programme", _l("Programa"), constraints={"required": True}),
        text("level", _l("Nivel"), constraints={"enum": ["overall", "axis", "sub_axis", "comuna"]}),
        text("group", _l("Grupo")),
        integer("total", _l("Compromisos")),
        integer("deprioritised", _l("Despriorizados")),
        integer("base", _l("Base (total menos despriorizados)")),
        integer("fulfilled", _l("Cumplidos")),
        text("fraction", _l("Fracción exacta")),
        integer("percent", _l("Porcentaje, redondeado")),
    ),
)


def _consultation_dataset(consultation: Consultation, dataset: records.Dataset) -> Dataset:
    titles = {
        "padron": lambda n: _l("Padrón congelado de la consulta %(id)s", id=n),
        "comprobantes": lambda n: _l("Comprobantes de la consulta %(id)s", id=n),
        "votos": lambda n: _l("Votos de la consulta %(id)s (voto nominal)", id=n),
    }
    descriptions = {
        "padron": _l("Organizaciones habilitadas, su peso y cómo se calculó."),
        "comprobantes": _l("Número de seguimiento, peso y estado de cada papeleta; nunca la opción elegida."),
        "votos": _l("El voto de cada organización, para recontar voto a voto."),
    }
    kinds = {
        "organisation_id": integer, "comuna_cut": integer, "question_id": integer, "ballot": integer,
        "weight": decimal, "cast_at": moment,
    }  # fmt: skip
    fields = tuple(
        (kinds.get(key, text))(column, key) if kinds.get(key) is not decimal else decimal(column, key)
        for key, column in dataset.fields
    )
    return Dataset(
        f"consulta-{consultation.id}-{dataset.name}",
        titles[dataset.name](consultation.id),
        descriptions[dataset.name],
        ("voting.download", {"consultation_id": consultation.id, "name": dataset.name, "extension": "csv"}),
        ("voting.download", {"consultation_id": consultation.id, "name": dataset.name, "extension": "json"}),
        fields,
    )


def datasets(session: Session) -> list[Dataset]:
    """Every public dataset now: the registry's, the commitments', and each consultation's whose
    roll is frozen (the roll and the trackers; every vote under a named ballot)."""
    found = [ORGANISATIONS, COMMITMENT_VERSIONS, COMPLIANCE]
    consultations: Iterable[Consultation] = session.execute(
        sa.select(Consultation).where(Consultation.roll_frozen_at.is_not(None)).order_by(Consultation.id)
    ).scalars()
    counted = set(session.execute(sa.select(TallyResult.consultation_id)).scalars())
    for consultation in consultations:
        found.extend(
            _consultation_dataset(consultation, d)
            for d in records.datasets_of(consultation)
            if d is not records.VOTES or consultation.id in counted  # every vote, once counted
        )
    return found


def datapackage(session: Session) -> dict[str, Any]:
    """The Frictionless data package of every public dataset."""
    return {
        "name": "participa-gobierno-de-santiago",
        "title": "Participa · Gobierno de Santiago",
        "description": str(_l("Datos abiertos de la participación vinculante y del registro de compromisos.")),
        "homepage": url_for("opendata.catalogue", _external=True),
        "licenses": [LICENCE],
        "resources": [dataset.resource() for dataset in datasets(session)],
    }


def dcat(session: Session) -> dict[str, Any]:
    """The catalogue in DCAT (JSON-LD), for national portals that harvest catalogues."""
    context = {
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
    }
    publisher = {"@type": "foaf:Organization", "foaf:name": "Gobierno Regional Metropolitano de Santiago"}
    items = []
    for dataset in datasets(session):
        urls = dataset.urls()
        media = {"csv": "text/csv", "json": "application/json"}
        items.append(
            {
                "@type": "dcat:Dataset",
                "@id": f"{url_for('opendata.catalogue', _external=True)}#{dataset.name}",
                "dct:identifier": dataset.name,
                "dct:title": str(dataset.title),
                "dct:description": str(dataset.description),
                "dct:license": {"@id": LICENCE["path"]},
                "dct:publisher": publisher,
                "dcat:distribution": [
                    {"@type": "dcat:Distribution", "dcat:downloadURL": {"@id": url}, "dcat:mediaType": media[kind]}
                    for kind, url in urls.items()
                ],
            }
        )
    return {
        "@context": context,
        "@type": "dcat:Catalog",
        "@id": url_for("opendata.catalogue", _external=True),
        "dct:title": "Participa · Gobierno de Santiago",
        "dct:language": "es",
        "dct:publisher": publisher,
        "dct:license": {"@id": LICENCE["path"]},
        "dcat:dataset": items,
    }
