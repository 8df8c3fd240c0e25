"""Every public dataset, described once (participa.opendata.schema): the catalogue page, the
data package (``/datos/datapackage.json``) and the DCAT catalogue are all read from here, and the
suite validates the package against the live downloads with the frictionless library."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from participa.commitments.models import Commitment, CommitmentVersion
from participa.consultations.models import Consultation, RollEntry
from participa.opendata import tables
from participa.opendata.schema import (
    LICENCE,
    RUT_PATTERN,
    SHA256_PATTERN,
    Dataset,
    decimal,
    integer,
    json_text,
    moment,
    text,
)
from participa.registry.models import Organisation
from participa.registry.rules import OrgStatus
from participa.voting import records
from participa.voting import rules as voting_rules
from participa.voting.models import Ballot, TallyResult, Vote

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
    lambda session: tuple(
        session.execute(
            sa.select(sa.func.count(), sa.func.max(Organisation.updated_at)).where(
                Organisation.status != OrgStatus.PENDING.value
            )
        ).one()
    ),
    (("comuna_cut", "comunas", "cut"),),
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
    lambda session: tuple(
        session.execute(sa.select(sa.func.count(), sa.func.max(CommitmentVersion.recorded_at))).one()
    ),
    (("commitment", "compromisos", "commitment"),),
)

COMMITMENTS = Dataset(
    "compromisos",
    _l("Registro de los 80 compromisos"),
    _l(
        "La versión vigente de cada compromiso del programa de gobierno: su estado, criterio de "
        "cumplimiento, hitos, inversión aprobada, beneficiarios, comunas, documentos y evidencia."
    ),
    ("commitments.download", {"dataset": "compromisos", "extension": "csv"}),
    ("commitments.download", {"dataset": "compromisos", "extension": "json"}),
    (
        integer("commitment", _l("Compromiso (identificador)"), constraints={"required": True, "unique": True}),
        text("programme", _l("Programa")),
        text("axis", _l("Eje")),
        text("sub_axis", _l("Sub-eje")),
        integer("number", _l("Número en el programa")),
        text("title", _l("Título")),
        text("description", _l("Descripción")),
        text("criterion", _l("Criterio de cumplimiento (código)")),
        text("division", _l("División responsable")),
        text(
            "status", _l("Estado"), constraints={"enum": ["not_started", "in_progress", "fulfilled", "deprioritised"]}
        ),
        integer("approved_investment_clp", _l("Inversión aprobada en pesos"), constraints={"minimum": 0}),
        integer("beneficiaries", _l("Beneficiarios"), constraints={"minimum": 0}),
        json_text("comunas", _l("Comunas a las que llega (lista JSON de códigos)")),
        json_text("milestones", _l("Hitos (lista JSON)")),
        json_text("links", _l("Enlaces (lista JSON)")),
        json_text("documents", _l("Documentos con su huella (lista JSON)")),
        json_text("evidence", _l("Resultados certificados que lo respaldan (lista JSON)")),
        json_text("projects", _l("Proyectos vinculados (lista JSON de identificadores)")),
        integer("version", _l("Versión vigente"), constraints={"minimum": 1}),
    ),
    ("commitment",),
    lambda session: (
        session.execute(sa.select(sa.func.count()).select_from(Commitment)).scalar_one(),
        session.execute(sa.select(sa.func.max(CommitmentVersion.recorded_at))).scalar(),
    ),
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


# What each column of a consultation's public files holds (participa.voting.records).
RECORD_FIELDS = {
    "organisation_id": _l("Organización (identificador)"),
    "rut": _l("RUT de la organización"),
    "name": _l("Nombre de la organización"),
    "comuna_cut": _l("Código de la comuna"),
    "comuna": _l("Comuna"),
    "weight": _l("Peso de la organización en el padrón"),
    "inputs": _l("Con qué datos se calculó el peso (objeto JSON)"),
    "tracker": _l("Número de seguimiento de la papeleta"),
    "status": _l("Estado de la papeleta (código)"),
    "reason": _l("Motivo cuando no se contó (código)"),
    "ballot": _l("Papeleta (identificador)"),
    "question_id": _l("Pregunta"),
    "choice": _l("Opción elegida: a favor, en contra o abstención"),
    "channel": _l("Canal: en línea o presencial"),
    "cast_at": _l("Emitido (UTC)"),
}


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
    codes = {
        "choice": ["approve", "reject", "abstain"],
        "channel": ["online", "in_person"],
        "status": list(voting_rules.STATUSES),
    }
    fields = tuple(
        (kinds.get(key, text))(
            column, RECORD_FIELDS[key], **({"constraints": {"enum": codes[key]}} if key in codes else {})
        )
        for key, column in dataset.fields
    )
    return Dataset(
        f"consulta-{consultation.id}-{dataset.name}",
        titles[dataset.name](consultation.id),
        descriptions[dataset.name],
        ("voting.download", {"consultation_id": consultation.id, "name": dataset.name, "extension": "csv"}),
        ("voting.download", {"consultation_id": consultation.id, "name": dataset.name, "extension": "json"}),
        fields,
        stats=lambda session: _consultation_stats(session, consultation, dataset),
        references=(("cut_comuna", "comunas", "cut"),) if dataset is records.ROLL else (),
    )


def _consultation_stats(session: Session, consultation: Consultation, dataset: records.Dataset) -> tuple[int, Any]:
    """Rows of a consultation's file, and when it last changed: the roll when frozen; trackers
    and votes when counted (while voting is open they change with every ballot, and the last
    ballot's time is not published)."""
    if dataset is records.ROLL:
        count = session.execute(
            sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.consultation_id == consultation.id)
        ).scalar_one()
        return count, consultation.roll_frozen_at
    counted = session.execute(
        sa.select(sa.func.max(TallyResult.computed_at)).where(TallyResult.consultation_id == consultation.id)
    ).scalar()
    table = Ballot if dataset is records.TRACKERS else Vote
    count = session.execute(
        sa.select(sa.func.count()).select_from(table).where(table.consultation_id == consultation.id)
    ).scalar_one()
    return count, counted


def datasets(session: Session) -> list[Dataset]:
    """Every public dataset now: the territory, the registry, projects, consultations, results,
    proposals, the commitment record, the audit chain, and each consultation whose roll is frozen
    (its roll and trackers; every vote under a named ballot, once counted)."""
    found = [
        tables.COMUNAS.dataset(),
        ORGANISATIONS,
        tables.PROJECTS.dataset(),
        tables.PROJECT_DECISIONS.dataset(),
        tables.CONSULTATIONS.dataset(),
        tables.RESULTS.dataset(),
        tables.PROPOSALS.dataset(),
        COMMITMENTS,
        COMMITMENT_VERSIONS,
        COMPLIANCE,
        tables.AUDIT_BLOCKS.dataset(),
        tables.DATA_REQUESTS.dataset(),
    ]
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
