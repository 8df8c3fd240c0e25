"""The read-only JSON API (``/api/v1/``, issue #15): every public dataset of the catalogue, with
the filters people need (comuna, status, axis, dates), cursor pagination, ETags and CORS for GET,
and clear JSON errors (400 for a bad parameter, 404 for an unknown object, never 500). Each
operation is declared once below (path, parameters, the item's schema): the routes and the
OpenAPI document (:func:`openapi`, assembled by apispec) are both made from those declarations,
and the tables' operations from the same declarations as their downloads
(participa.opendata.tables)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from participa.commitments import rules as commitment_rules
from participa.commitments.downloads import version_item
from participa.commitments.models import Commitment, CommitmentVersion
from participa.consultations.models import Consultation, RollEntry
from participa.consultations.rules import Phase
from participa.core.canonical import canonical_json
from participa.opendata import catalogue, params, tables
from participa.opendata.params import CURSOR, LIMIT, BadParameter, Parameter, cursor_value
from participa.registry import queries as registry
from participa.registry.rules import OrgStatus, OrgType
from participa.voting import records
from participa.voting.models import Ballot, Vote

PUBLIC_STATUSES = [s.value for s in OrgStatus if s != OrgStatus.PENDING]


# --- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One GET operation: its path (an OpenAPI template, from which the Flask rule is made),
    summary, parameters, the item's schema name, whether it lists (a page of items) or shows
    one, whether it can answer 404, and the function that answers."""

    path: str
    endpoint: str
    summary: Any  # a lazy string
    item: str
    answer: Callable[..., Any]
    parameters: tuple[Parameter, ...] = ()
    lists: bool = True
    path_parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def rule(self) -> str:
        rule = self.path
        for p in self.path_parameters:
            converter = "int:" if p.schema.get("type") == "integer" else ""
            rule = rule.replace("{" + p.name + "}", f"<{converter}{p.name}>")
        return rule

    @property
    def can_miss(self) -> bool:
        return bool(self.path_parameters)


def _organisations(session: Session) -> dict[str, Any]:
    comuna, org_type, status = (p.read() for p in ORGANISATION_FILTERS)
    limit = LIMIT.read() or 50
    items, after = registry.public_page(
        session, after_id=cursor_value(), limit=limit, comuna_cut=comuna, org_type=org_type, status=status
    )
    return {"items": items, "next_cursor": None if after is None else str(after)}


def _organisation(session: Session, rut: str) -> dict[str, Any] | None:
    return registry.public_entry(session, rut)


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
    query = sa.select(Commitment).where(Commitment.id > cursor_value())
    if axis is not None:
        query = query.where(Commitment.axis == axis)
    if status is not None:
        query = query.where(Commitment.status == status)
    rows = [
        c
        for c in session.execute(query.options(sa.orm.lazyload(Commitment.documents)).order_by(Commitment.id)).scalars()
        if comuna is None or comuna in (c.comunas or [])
    ]
    page = rows[:limit]
    more = len(rows) > limit
    return {"items": [_commitment_item(c) for c in page], "next_cursor": str(page[-1].id) if more else None}


def _commitment(session: Session, commitment_id: int) -> dict[str, Any] | None:
    found = session.get(Commitment, commitment_id)
    return _commitment_item(found) if found else None


def _table_list(table: tables.Table) -> Callable[..., dict[str, Any]]:
    """A page of a public table with its filters (participa.opendata.tables)."""

    def answer(session: Session) -> dict[str, Any]:
        values = {f.parameter.name: f.parameter.read() for f in table.filters}
        limit = LIMIT.read() or 50
        rows, more = table.page(session, after=cursor_value(), limit=limit, values=values)
        return {"items": [table.item(r) for r in rows], "next_cursor": str(rows[-1].key) if more else None}

    return answer


def _table_one(table: tables.Table) -> Callable[..., dict[str, Any] | None]:
    """One public row of a table by its key (None, a 404, when absent or not public)."""

    def answer(session: Session, **path: int) -> dict[str, Any] | None:
        (value,) = path.values()
        assert table.query is not None
        row = session.execute(table.query().where(table.key == value)).first()
        return table.item(row) if row else None

    return answer


def _published(session: Session, consultation_id: int) -> Consultation | None:
    found = session.get(Consultation, consultation_id)
    return found if found is not None and found.phase != Phase.DRAFT.value else None


def _roll(session: Session, consultation_id: int) -> dict[str, Any] | None:
    """A page of a consultation's frozen roll (404 before it is frozen)."""
    consultation = _published(session, consultation_id)
    if consultation is None or consultation.roll_frozen_at is None:
        return None
    limit = LIMIT.read() or 50
    rows = session.execute(
        records.roll_query(consultation_id).where(RollEntry.organisation_id > cursor_value()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    return {
        "items": [records.roll_item(r) for r in page],
        "next_cursor": str(page[-1][0]) if len(rows) > limit else None,
    }


def _trackers(session: Session, consultation_id: int) -> dict[str, Any] | None:
    """A page of a consultation's trackers, by tracker (never by casting order): weight and
    status, never the organisation or the choice (404 before voting)."""
    consultation = _published(session, consultation_id)
    if consultation is None or consultation.phase in (Phase.INFORMATION.value, Phase.PROPOSALS.value):
        return None
    limit = LIMIT.read() or 50
    after = TRACKER_CURSOR.read() or ""
    rows = session.execute(records.tracker_query(consultation_id).where(Ballot.tracker > after).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [records.tracker_item(r) for r in page],
        "next_cursor": page[-1].tracker if len(rows) > limit else None,
    }


def _votes(session: Session, consultation_id: int) -> dict[str, Any] | None:
    """A page of every vote of a named consultation once counted (404 otherwise: a secret
    ballot's votes are never published)."""
    consultation = _published(session, consultation_id)
    if (
        consultation is None
        or consultation.secrecy != "named"
        or not list(tables.result_rows(session, consultation_id))
    ):
        return None
    limit = LIMIT.read() or 50
    rows = session.execute(records.vote_query(consultation_id).where(Vote.id > cursor_value()).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [records.vote_item(r) for r in page],
        "next_cursor": str(page[-1].id) if len(rows) > limit else None,
    }


def _result(session: Session, consultation_id: int) -> dict[str, Any] | None:
    """A consultation's current result, question by question (404 before it is counted)."""
    if _published(session, consultation_id) is None:
        return None
    rows = list(tables.result_rows(session, consultation_id))
    return {"items": rows, "next_cursor": None} if rows else None


def _versions(session: Session, commitment_id: int) -> dict[str, Any] | None:
    """A page of a commitment's versions, oldest first (404 for an unknown commitment)."""
    if session.get(Commitment, commitment_id) is None:
        return None
    limit = LIMIT.read() or 50
    rows = list(
        session.execute(
            sa.select(CommitmentVersion)
            .where(CommitmentVersion.commitment_id == commitment_id, CommitmentVersion.version > cursor_value())
            .order_by(CommitmentVersion.version)
            .limit(limit + 1)
        ).scalars()
    )
    page = rows[:limit]
    return {
        "items": [version_item(v) for v in page],
        "next_cursor": str(page[-1].version) if len(rows) > limit else None,
    }


ORGANISATION_FILTERS = (
    params.COMUNA,
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

RUT = Parameter("rut", _l("RUT normalizado, como 65012345-6."), {"type": "string"}, "path")
COMMITMENT_ID = Parameter("commitment_id", _l("Identificador del compromiso."), {"type": "integer"}, "path")
CONSULTATION_ID = Parameter("consultation_id", _l("Identificador de la consulta."), {"type": "integer"}, "path")
TRACKER_CURSOR = Parameter(
    "cursor", _l("El valor `next_cursor` de la página anterior."), {"type": "string", "pattern": "^[0-9a-f]{64}$"}
)
PROJECT_ID = Parameter("project_id", _l("Identificador del proyecto."), {"type": "integer"}, "path")
PAGED = (LIMIT, CURSOR)


def _from_table(path: str, endpoint: str, summary: Any, item: str, table: tables.Table) -> Operation:
    return Operation(path, endpoint, summary, item, _table_list(table), (*(f.parameter for f in table.filters), *PAGED))


OPERATIONS = (
    _from_table("/api/v1/comunas", "comunas", _l("Comunas de la región"), "Comuna", tables.COMUNAS),
    Operation(
        "/api/v1/organizaciones", "organisations", _l("Organizaciones del catastro"), "Organisation",
        _organisations, (*ORGANISATION_FILTERS, *PAGED),
    ),
    Operation(
        "/api/v1/organizaciones/{rut}", "organisation", _l("Una organización por su RUT"), "Organisation",
        _organisation, lists=False, path_parameters=(RUT,),
    ),
    _from_table("/api/v1/proyectos", "projects", _l("Proyectos en consulta"), "Project", tables.PROJECTS),
    Operation(
        "/api/v1/proyectos/{project_id}", "project", _l("Un proyecto en consulta"), "Project",
        _table_one(tables.PROJECTS), lists=False, path_parameters=(PROJECT_ID,),
    ),
    _from_table(
        "/api/v1/proyectos-admisibilidad", "project_decisions", _l("Admisibilidad de los proyectos"),
        "ProjectDecision", tables.PROJECT_DECISIONS,
    ),
    _from_table(
        "/api/v1/consultas", "consultations", _l("Consultas publicadas y sus reglas"), "Consultation",
        tables.CONSULTATIONS,
    ),
    Operation(
        "/api/v1/consultas/{consultation_id}", "consultation", _l("Una consulta publicada"), "Consultation",
        _table_one(tables.CONSULTATIONS), lists=False, path_parameters=(CONSULTATION_ID,),
    ),
    Operation(
        "/api/v1/consultas/{consultation_id}/padron", "roll", _l("El padrón congelado de una consulta"),
        "RollEntry", _roll, PAGED, path_parameters=(CONSULTATION_ID,),
    ),
    Operation(
        "/api/v1/consultas/{consultation_id}/comprobantes", "trackers", _l("Los comprobantes de una consulta"),
        "Tracker", _trackers, (LIMIT, TRACKER_CURSOR), path_parameters=(CONSULTATION_ID,),
    ),
    Operation(
        "/api/v1/consultas/{consultation_id}/votos", "votes", _l("Los votos de una consulta de voto nominal"),
        "Vote", _votes, PAGED, path_parameters=(CONSULTATION_ID,),
    ),
    Operation(
        "/api/v1/consultas/{consultation_id}/resultado", "result", _l("El resultado vigente de una consulta"),
        "Result", _result, path_parameters=(CONSULTATION_ID,),
    ),
    _from_table("/api/v1/propuestas", "proposals", _l("Propuestas y observaciones"), "Proposal", tables.PROPOSALS),
    Operation(
        "/api/v1/compromisos", "commitments", _l("Compromisos del programa de gobierno"), "Commitment",
        _commitments, (*COMMITMENT_FILTERS, *PAGED),
    ),
    Operation(
        "/api/v1/compromisos/{commitment_id}", "commitment", _l("Un compromiso"), "Commitment", _commitment,
        lists=False, path_parameters=(COMMITMENT_ID,),
    ),
    Operation(
        "/api/v1/compromisos/{commitment_id}/versiones", "commitment_versions",
        _l("Las versiones de un compromiso"), "CommitmentVersion", _versions, PAGED,
        path_parameters=(COMMITMENT_ID,),
    ),
    _from_table(
        "/api/v1/solicitudes-de-datos", "data_requests", _l("Solicitudes de datos"), "DataRequest",
        tables.DATA_REQUESTS,
    ),
    _from_table(
        "/api/v1/auditoria/bloques", "audit_blocks", _l("Bloques de la cadena de auditoría"), "AuditBlock",
        tables.AUDIT_BLOCKS,
    ),
)  # fmt: skip


# --- answers ------------------------------------------------------------------------------------------


def json_answer(body: Any, status: int = 200, extra: dict[str, str] | None = None) -> Response:
    """A JSON answer with an ETag (its bytes' SHA-256) answered 304 when the client has it, and
    CORS for GET: the API is public and read-only."""
    data = canonical_json(body)
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
    describe the same columns once). Decimals travel as strings, to keep every digit."""
    kinds = {
        "integer": ["integer"], "number": ["string"], "date": ["string"], "datetime": ["string"],
        "string": ["string"], "boolean": ["boolean"],
    }  # fmt: skip
    properties = {}
    for f in fields:
        kind = ["array", "object"] if f.get("json") else kinds[f["type"]]
        schema: dict[str, Any] = {"type": [*kind, "null"], "description": str(f["description"])}
        if f["type"] in ("date", "datetime"):
            schema["format"] = "date" if f["type"] == "date" else "date-time"
        properties[f["name"]] = schema
    return {"type": "object", "properties": properties, "required": [f["name"] for f in fields]}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Comuna": _json_schema(tables.COMUNAS.fields),
    "Organisation": _json_schema(catalogue.ORGANISATIONS.fields),
    "Project": _json_schema(tables.PROJECTS.fields),
    "ProjectDecision": _json_schema(tables.PROJECT_DECISIONS.fields),
    "Consultation": _json_schema(tables.CONSULTATIONS.fields),
    "Result": _json_schema(tables.RESULTS.fields),
    "Proposal": _json_schema(tables.PROPOSALS.fields),
    "AuditBlock": _json_schema(tables.AUDIT_BLOCKS.fields),
    "DataRequest": _json_schema(tables.DATA_REQUESTS.fields),
    "RollEntry": {
        "type": "object",
        "properties": {
            "organisation_id": {"type": "integer"},
            "rut": {"type": "string"},
            "name": {"type": "string"},
            "comuna_cut": {"type": "integer"},
            "comuna": {"type": "string"},
            "weight": {"type": "string", "description": str(_l("Peso, con seis decimales"))},
            "inputs": {"type": "object", "description": str(_l("Con qué datos se calculó el peso"))},
        },
        "required": ["organisation_id", "rut", "name", "weight"],
    },
    "Tracker": {
        "type": "object",
        "properties": {
            "tracker": {"type": "string"},
            "weight": {"type": ["string", "null"]},
            "status": {"type": "string"},
            "reason": {"type": ["string", "null"]},
        },
        "required": ["tracker", "weight", "status"],
    },
    "Vote": {
        "type": "object",
        "properties": {
            "ballot": {"type": "integer"},
            "tracker": {"type": "string"},
            "organisation_id": {"type": "integer"},
            "rut": {"type": ["string", "null"]},
            "name": {"type": ["string", "null"]},
            "weight": {"type": ["string", "null"]},
            "question_id": {"type": "integer"},
            "choice": {"type": "string", "enum": ["approve", "reject", "abstain"]},
            "channel": {"type": "string"},
            "cast_at": {"type": "string", "format": "date-time"},
            "status": {"type": "string"},
            "reason": {"type": ["string", "null"]},
        },
        "required": ["ballot", "tracker", "organisation_id", "question_id", "choice", "status"],
    },
    "CommitmentVersion": {
        "type": "object",
        "properties": {
            "commitment": {"type": "integer"},
            "version": {"type": "integer"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "reason": {"type": ["string", "null"]},
            "fields_changed": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string", "enum": list(commitment_rules.STATUSES)},
            "sha256": {"type": "string"},
        },
        "required": ["commitment", "version", "recorded_at", "status", "sha256"],
    },
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
        if operation.can_miss:
            responses["404"] = {"description": str(_l("No existe")), **error_response}
        spec.path(
            path=operation.path,
            operations={"get": {"operationId": operation.endpoint, "summary": str(operation.summary),
                                "parameters": parameters, "responses": responses}},
        )  # fmt: skip
    return spec.to_dict()
