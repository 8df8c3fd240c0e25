"""The read-only JSON API (``/api/v1/``, issue #15): organisations, commitments and consultations,
with the filters people need, cursor pagination, ETags and CORS for GET, and clear JSON errors
(400 for a bad parameter, 404 for an unknown object, never 500). Each operation is declared once
below (path, parameters, the item's schema): the routes and the OpenAPI document
(:func:`openapi`, assembled by apispec) are both made from those declarations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from participa.commitments import rules as commitment_rules
from participa.commitments.models import Commitment
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.opendata import catalogue
from participa.registry import queries as registry
from participa.registry.rules import OrgStatus, OrgType

MAX_LIMIT = 100
PUBLIC_STATUSES = [s.value for s in OrgStatus if s != OrgStatus.PENDING]
PUBLIC_PHASES = [p.value for p in Phase if p != Phase.DRAFT]


class BadParameter(ValueError):
    """A query parameter that cannot be used: 400 with its name and what is expected."""

    def __init__(self, name: str, expected: str) -> None:
        super().__init__(name)
        self.name, self.expected = name, expected


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    description: Any  # a lazy string, translated when shown
    schema: dict[str, Any]
    where: str = "query"

    def read(self) -> Any:
        raw = request.args.get(self.name)
        if raw is None or raw == "":
            return None
        if self.schema.get("type") == "integer":
            if not (raw.isascii() and raw.isdigit()) or int(raw) > 2**31 - 1:
                raise BadParameter(self.name, _("un número entero"))
            value: Any = int(raw)
            if value < self.schema.get("minimum", 0) or value > self.schema.get("maximum", 2**31 - 1):
                raise BadParameter(
                    self.name,
                    _("entre %(low)s y %(high)s", low=self.schema.get("minimum", 0), high=self.schema["maximum"]),
                )
            return value
        if "enum" in self.schema and raw not in self.schema["enum"]:
            raise BadParameter(self.name, _("uno de: %(values)s", values=", ".join(self.schema["enum"])))
        return raw


LIMIT = Parameter(
    "limite",
    _l("Cuántos elementos por página (1 a 100; 50 si se omite)."),
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
)
CURSOR = Parameter(
    "cursor", _l("El valor `next_cursor` de la página anterior."), {"type": "string", "pattern": "^[0-9]{1,9}$"}
)


def _cursor_value() -> int:
    """The ``cursor`` parameter: where the previous page ended (0: from the start)."""
    raw = request.args.get("cursor")
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        raise BadParameter("cursor", _("el valor next_cursor de una respuesta"))
    return int(raw)


def _cursor_of(value: int) -> str:
    return str(value)


# --- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One GET operation: its path (Flask rule and OpenAPI template), summary, parameters, the
    item's schema name, whether it lists (pages) or shows one, and the function that answers."""

    rule: str
    path: str
    endpoint: str
    summary: Any  # a lazy string
    item: str
    answer: Callable[..., Any]
    parameters: tuple[Parameter, ...] = ()
    lists: bool = True
    path_parameters: tuple[Parameter, ...] = field(default_factory=tuple)


def _organisations(session: Session) -> dict[str, Any]:
    comuna, org_type, status = (p.read() for p in ORGANISATION_FILTERS)
    limit = LIMIT.read() or 50
    rows, more = registry.public_page(
        session, after_id=_cursor_value(), limit=limit, comuna_cut=comuna, org_type=org_type, status=status
    )
    return {"items": [registry.public_item(o) for o in rows], "next_cursor": _cursor_of(rows[-1].id) if more else None}


def _organisation(session: Session, rut: str) -> dict[str, Any] | None:
    found = registry.public_organisation(session, rut)
    return registry.public_item(found) if found else None


def _commitment_item(c: Commitment) -> dict[str, Any]:
    return {
        "id": c.id,
        "axis": c.axis,
        "sub_axis": c.sub_axis,
        "number": c.number,
        "title": c.title,
        "status": c.status,
        "criterion": c.criterion,
        "comunas": sorted(c.comunas or []),
        "version": c.version,
        "fingerprint": c.fingerprint,
        "ficha": url_for("commitments.ficha", commitment_id=c.id, _external=True),
    }


def _commitments(session: Session) -> dict[str, Any]:
    axis, status, comuna = (p.read() for p in COMMITMENT_FILTERS)
    limit = LIMIT.read() or 50
    query = sa.select(Commitment).where(Commitment.id > _cursor_value())
    if axis is not None:
        query = query.where(Commitment.axis == axis)
    if status is not None:
        query = query.where(Commitment.status == status)
    rows = [
        c
        for c in session.execute(query.options(sa.orm.noload(Commitment.documents)).order_by(Commitment.id)).scalars()
        if comuna is None or comuna in (c.comunas or [])
    ]
    page = rows[:limit]
    more = len(rows) > limit
    return {"items": [_commitment_item(c) for c in page], "next_cursor": _cursor_of(page[-1].id) if more else None}


def _commitment(session: Session, commitment_id: int) -> dict[str, Any] | None:
    found = session.get(Commitment, commitment_id)
    return _commitment_item(found) if found else None


def _consultation_item(c: Consultation) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "phase": c.phase,
        "secrecy": c.secrecy,
        "participation_level": c.participation_level,
        "voting_at": c.voting_at.isoformat(),
        "voting_ends_at": c.voting_ends_at.isoformat(),
        "electorate_comunas": sorted(c.electorate_comunas or []),
        "roll_hash": c.roll_hash,
        "page": url_for("consultations.show_public", consultation_id=c.id, _external=True),
    }


def _consultations(session: Session) -> dict[str, Any]:
    (phase,) = (p.read() for p in CONSULTATION_FILTERS)
    limit = LIMIT.read() or 50
    query = sa.select(Consultation).where(Consultation.phase != Phase.DRAFT.value, Consultation.id > _cursor_value())
    if phase is not None:
        query = query.where(Consultation.phase == phase)
    rows = list(session.execute(query.order_by(Consultation.id).limit(limit + 1)).scalars())
    page = rows[:limit]
    return {
        "items": [_consultation_item(c) for c in page],
        "next_cursor": _cursor_of(page[-1].id) if len(rows) > limit else None,
    }


def _consultation(session: Session, consultation_id: int) -> dict[str, Any] | None:
    found = session.get(Consultation, consultation_id)
    return _consultation_item(found) if found and found.phase != Phase.DRAFT.value else None


ORGANISATION_FILTERS = (
    Parameter(
        "comuna", _l("Código único territorial de la comuna."), {"type": "integer", "minimum": 1, "maximum": 99999}
    ),
    Parameter("tipo", _l("Tipo de organización."), {"type": "string", "enum": [t.value for t in OrgType]}),
    Parameter("estado", _l("Estado en el catastro."), {"type": "string", "enum": PUBLIC_STATUSES}),
)
COMMITMENT_FILTERS = (
    Parameter(
        "eje", _l("Eje del programa, como se escribe en el programa (INSEGURIDAD, DESIGUALDAD…)."), {"type": "string"}
    ),
    Parameter("estado", _l("Estado del compromiso."), {"type": "string", "enum": list(commitment_rules.STATUSES)}),
    Parameter(
        "comuna", _l("Código de una comuna a la que llega."), {"type": "integer", "minimum": 1, "maximum": 99999}
    ),
)
CONSULTATION_FILTERS = (Parameter("etapa", _l("Etapa de la consulta."), {"type": "string", "enum": PUBLIC_PHASES}),)

RUT = Parameter("rut", _l("RUT normalizado, como 65012345-6."), {"type": "string"}, "path")
COMMITMENT_ID = Parameter("commitment_id", _l("Identificador del compromiso."), {"type": "integer"}, "path")
CONSULTATION_ID = Parameter("consultation_id", _l("Identificador de la consulta."), {"type": "integer"}, "path")
OPERATIONS = (
    Operation(
        "/api/v1/organizaciones", "/api/v1/organizaciones", "organisations", _l("Organizaciones del catastro"),
        "Organisation", _organisations, (*ORGANISATION_FILTERS, LIMIT, CURSOR),
    ),
    Operation(
        "/api/v1/organizaciones/<rut>", "/api/v1/organizaciones/{rut}", "organisation",
        _l("Una organización por su RUT"), "Organisation", _organisation, lists=False, path_parameters=(RUT,),
    ),
    Operation(
        "/api/v1/compromisos", "/api/v1/compromisos", "commitments", _l("Compromisos del programa de gobierno"),
        "Commitment", _commitments, (*COMMITMENT_FILTERS, LIMIT, CURSOR),
    ),
    Operation(
        "/api/v1/compromisos/<int:commitment_id>", "/api/v1/compromisos/{commitment_id}", "commitment",
        _l("Un compromiso"), "Commitment", _commitment, lists=False, path_parameters=(COMMITMENT_ID,),
    ),
    Operation(
        "/api/v1/consultas", "/api/v1/consultas", "consultations", _l("Consultas publicadas"), "Consultation",
        _consultations, (*CONSULTATION_FILTERS, LIMIT, CURSOR),
    ),
    Operation(
        "/api/v1/consultas/<int:consultation_id>", "/api/v1/consultas/{consultation_id}", "consultation",
        _l("Una consulta publicada"), "Consultation", _consultation, lists=False, path_parameters=(CONSULTATION_ID,),
    ),
)  # fmt: skip


# --- answers ------------------------------------------------------------------------------------------


def json_answer(body: Any, status: int = 200, extra: dict[str, str] | None = None) -> Response:
    """A JSON answer with an ETag (its bytes' SHA-256) answered 304 when the client has it, and
    CORS for GET: the API is public and read-only."""
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    response = Response(data, status=status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    for name, value in (extra or {}).items():
        response.headers[name] = value
    if status == 200:
        response.set_etag(hashlib.sha256(data).hexdigest())
        response.headers["Cache-Control"] = "public, max-age=60"
        return response.make_conditional(request)
    return response


def error(status: int, code: str, message: str, **detail: Any) -> Response:
    return json_answer({"error": {"code": code, "message": message, **detail}}, status)


def respond(operation: Operation, session: Session, **path: Any) -> Response:
    known = {p.name for p in operation.parameters}
    unknown = sorted(set(request.args) - known)
    if unknown:
        message = _("Parámetro desconocido: %(names)s", names=", ".join(unknown))
        return error(400, "unknown_parameter", message, parameters=unknown)
    try:
        body = operation.answer(session, **path)
    except BadParameter as bad:
        message = _("El parámetro «%(name)s» debe ser %(expected)s.", name=bad.name, expected=bad.expected)
        return error(400, "bad_parameter", message, parameter=bad.name)
    if body is None:
        return error(404, "not_found", _("No existe."))
    return json_answer(body)


# --- the OpenAPI document -------------------------------------------------------------------------------


def _json_schema(fields: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """A JSON Schema object from Table Schema fields (the catalogue's, so the API and the CSVs
    describe the same columns once)."""
    kinds = {"integer": "integer", "number": "string", "date": "string", "datetime": "string", "string": "string"}
    properties = {}
    for f in fields:
        schema: dict[str, Any] = {"type": [kinds[f["type"]], "null"], "description": str(f["description"])}
        if f["type"] in ("date", "datetime"):
            schema["format"] = "date" if f["type"] == "date" else "date-time"
        properties[f["name"]] = schema
    return {"type": "object", "properties": properties}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Organisation": _json_schema(catalogue.ORGANISATIONS.fields),
    "Commitment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "axis": {"type": "string"},
            "sub_axis": {"type": ["string", "null"]},
            "number": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"type": "string", "enum": list(commitment_rules.STATUSES)},
            "criterion": {"type": ["string", "null"], "enum": [*commitment_rules.CRITERIA, None]},
            "comunas": {"type": "array", "items": {"type": "integer"}},
            "version": {"type": "integer"},
            "fingerprint": {"type": ["string", "null"]},
            "ficha": {"type": "string", "format": "uri"},
        },
    },
    "Consultation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "phase": {"type": "string", "enum": PUBLIC_PHASES},
            "secrecy": {"type": "string", "enum": ["secret", "named"]},
            "participation_level": {"type": "string"},
            "voting_at": {"type": "string", "format": "date-time"},
            "voting_ends_at": {"type": "string", "format": "date-time"},
            "electorate_comunas": {"type": "array", "items": {"type": "integer"}},
            "roll_hash": {"type": ["string", "null"]},
            "page": {"type": "string", "format": "uri"},
        },
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    },
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every operation, assembled by apispec from the declarations."""
    from apispec import APISpec

    spec = APISpec(
        title="Participa · API de datos abiertos",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": str(
                _l("API pública y de solo lectura de Participa, Gobierno de Santiago. Licencia CC BY 4.0.")
            ),
            "license": {"name": "CC-BY-4.0", "url": catalogue.LICENCE["path"]},
        },
        servers=[{"url": url_for("opendata.catalogue", _external=True).removesuffix("/datos")}],
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    error_response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operation in OPERATIONS:
        item = {"$ref": f"#/components/schemas/{operation.item}"}
        body = (
            {
                "type": "object",
                "properties": {"items": {"type": "array", "items": item}, "next_cursor": {"type": ["string", "null"]}},
                "required": ["items", "next_cursor"],
            }
            if operation.lists
            else item
        )
        parameters = [
            {
                "name": p.name,
                "in": p.where,
                "description": str(p.description),
                "schema": p.schema,
                "required": p.where == "path",
            }
            for p in (*operation.path_parameters, *operation.parameters)
        ]
        responses = {
            "200": {"description": "OK", "content": {"application/json": {"schema": body}}},
            "304": {"description": str(_l("Sin cambios desde el ETag enviado"))},
            "400": {"description": str(_l("Parámetro inválido")), **error_response},
        }
        if not operation.lists:
            responses["404"] = {"description": str(_l("No existe")), **error_response}
        spec.path(
            path=operation.path,
            operations={"get": {"operationId": operation.endpoint, "summary": str(operation.summary),
                                "parameters": parameters, "responses": responses}},
        )  # fmt: skip
    return spec.to_dict()
