"""The public tables that live only as open data: comunas, projects and their admissibility
decisions, consultations with their rules and phases, results, proposals with the comuna's
answers, and the audit chain's block heads (issue #15).

Each table is declared once: its columns (a Frictionless Table Schema, as the catalogue shows
them), the query of its public rows in key order, and the API filters that apply to it. The CSV
and JSON downloads (``/datos/<name>.csv|json``), the catalogue, the data package and the API's
list operations are all made from that declaration, so that the files and the API cannot say
different things. What is not public never enters a query here: projects before they are under
consultation, draft consultations, proposals not (yet) admitted, the text of hidden ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from participa.admissibility.models import AdmissibilityDecision
from participa.audit.models import AuditBlock
from participa.certification.models import Certification
from participa.consultations.models import Consultation, Question
from participa.consultations.rules import Phase
from participa.opendata import params
from participa.opendata.models import DataRequest
from participa.opendata.schema import SHA256_PATTERN, Dataset, boolean, day, decimal, integer, json_text, moment, text
from participa.projects.models import Project, project_commitments
from participa.projects.rules import PUBLIC_STATES
from participa.proposals.models import Proposal, ProposalSupport
from participa.proposals.rules import KINDS
from participa.registry.models import Organisation
from participa.territory.models import Comuna
from participa.voting.models import TallyResult

PAGE = 5000
PUBLIC_PROJECT_STATES = sorted(state.value for state in PUBLIC_STATES)
PUBLIC_PHASES = [phase.value for phase in Phase if phase != Phase.DRAFT]
CHOICES = ("approve", "reject", "abstain", "participating")


@dataclass(frozen=True)
class Filter:
    """An API filter: the parameter and how its value narrows the table's query."""

    parameter: params.Parameter
    apply: Callable[[sa.Select[Any], Any], sa.Select[Any]]


@dataclass(frozen=True)
class Table:
    """One public table. ``query`` selects its rows labelled as its fields (plus ``key``, the
    integer that orders and pages them); ``rows`` replaces it for a table computed in Python."""

    name: str
    title: Any
    description: Any
    fields: tuple[dict[str, Any], ...]
    primary_key: tuple[str, ...]
    query: Callable[[], sa.Select[Any]] | None = None
    key: Any = None
    filters: tuple[Filter, ...] = ()
    rows: Callable[[Session], Iterator[dict[str, Any]]] | None = None
    changed: Any = None  # the column whose latest value is the table's last change
    references: tuple[tuple[str, str, str], ...] = ()  # (column, dataset, its column)

    def stats(self, session: Session) -> tuple[int, datetime | None]:
        """How many public rows the table has, and when it last changed (when known)."""
        if self.query is None:
            rows = list(self.items(session))
            moments = [r["computed_at"] for r in rows if r.get("computed_at")]
            return len(rows), max(moments, default=None)
        latest = sa.func.max(self.changed) if self.changed is not None else sa.null()
        count, last = session.execute(
            self.query().with_only_columns(sa.func.count(), latest, maintain_column_froms=True)
        ).one()
        return count, last

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f["name"] for f in self.fields)

    def item(self, row: Any) -> dict[str, Any]:
        mapping = row._mapping
        return {name: mapping[name] for name in self.names}

    def page(self, session: Session, *, after: int, limit: int, values: dict[str, Any]) -> tuple[list[Any], bool]:
        """Rows after key ``after`` with the filters' values applied: at most ``limit``, and
        whether more follow. Each row carries ``key`` for the next cursor."""
        assert self.query is not None
        query = self.query().where(self.key > after)
        for f in self.filters:
            if values.get(f.parameter.name) is not None:
                query = f.apply(query, values[f.parameter.name])
        rows = list(session.execute(query.order_by(self.key).limit(limit + 1)))
        return rows[:limit], len(rows) > limit

    def items(self, session: Session) -> Iterator[dict[str, Any]]:
        """Every public row, read ``PAGE`` at a time by key so that memory stays flat."""
        if self.rows is not None:
            yield from self.rows(session)
            return
        after = 0
        while True:
            rows, more = self.page(session, after=after, limit=PAGE, values={})
            for row in rows:
                yield self.item(row)
            if not more:
                return
            after = rows[-1].key

    def csv_rows(self, session: Session) -> Iterator[list[Any]]:
        names = self.names
        for item in self.items(session):
            yield [item[name] for name in names]

    def dataset(self) -> Dataset:
        endpoint = ("opendata.download", {"name": self.name})
        return Dataset(
            self.name,
            self.title,
            self.description,
            (endpoint[0], {**endpoint[1], "extension": "csv"}),
            (endpoint[0], {**endpoint[1], "extension": "json"}),
            tuple({k: v for k, v in f.items() if k != "json"} for f in self.fields),
            self.primary_key,
            self.stats,
            self.references,
        )


def _between(column: Any) -> tuple[Filter, Filter]:
    """The ``desde`` and ``hasta`` filters on a moment column (whole days, UTC)."""
    return (
        Filter(params.SINCE, lambda q, d: q.where(column >= params.start_of(d))),
        Filter(params.UNTIL, lambda q, d: q.where(column < params.start_of(d) + timedelta(days=1))),
    )


# --- comunas ------------------------------------------------------------------------------------

COMUNAS = Table(
    "comunas",
    _l("Comunas de la Región Metropolitana"),
    _l("Las 52 comunas de la región, con su código único territorial y su provincia."),
    (
        integer("cut", _l("Código único territorial"), constraints={"required": True, "unique": True}),
        text("name", _l("Nombre"), constraints={"required": True}),
        text("province", _l("Provincia")),
    ),
    ("cut",),
    query=lambda: sa.select(Comuna.cut.label("key"), Comuna.cut, Comuna.name, Comuna.province),
    key=Comuna.cut,
)

# --- projects and their admissibility -----------------------------------------------------------


def _project_query() -> sa.Select[Any]:
    commitments = (
        sa.select(sa.func.count())
        .select_from(project_commitments)
        .where(project_commitments.c.project_id == Project.id)
        .scalar_subquery()
    )
    return (
        sa.select(
            Project.id.label("key"),
            Project.id,
            Project.comuna_cut,
            Comuna.name.label("comuna"),
            Project.title,
            Project.summary,
            Project.bip_code,
            Project.amount_clp,
            Project.axis,
            Project.sub_axis,
            Project.rate_status,
            Project.state,
            Project.submitted_at,
            Project.latitude,
            Project.longitude,
            commitments.label("commitments"),
        )
        .join(Comuna, Comuna.cut == Project.comuna_cut)
        .where(Project.state.in_(PUBLIC_PROJECT_STATES))
    )


PROJECTS = Table(
    "proyectos",
    _l("Proyectos en consulta"),
    _l(
        "Los proyectos de inversión que las comunas presentaron y que están o estuvieron en consulta, "
        "con su monto en pesos, su evaluación técnica (RATE) y su estado."
    ),
    (
        integer("id", _l("Identificador del proyecto"), constraints={"required": True, "unique": True}),
        integer("comuna_cut", _l("Código de la comuna")),
        text("comuna", _l("Comuna")),
        text("title", _l("Nombre")),
        text("summary", _l("Resumen en lenguaje claro")),
        text("bip_code", _l("Código BIP")),
        integer("amount_clp", _l("Monto en pesos chilenos"), constraints={"minimum": 0}),
        text("axis", _l("Eje del programa")),
        text("sub_axis", _l("Sub-eje")),
        text("rate_status", _l("Evaluación técnica RATE (RS, FI, OT, NV, IN o none)")),
        text("state", _l("Estado"), constraints={"enum": PUBLIC_PROJECT_STATES}),
        moment("submitted_at", _l("Presentado (UTC)")),
        decimal("latitude", _l("Latitud")),
        decimal("longitude", _l("Longitud")),
        integer("commitments", _l("Compromisos del programa a los que aporta")),
    ),
    ("id",),
    query=_project_query,
    key=Project.id,
    references=(("comuna_cut", "comunas", "cut"),),
    filters=(
        Filter(params.COMUNA, lambda q, v: q.where(Project.comuna_cut == v)),
        Filter(
            params.choice("estado", _l("Estado del proyecto."), PUBLIC_PROJECT_STATES),
            lambda q, v: q.where(Project.state == v),
        ),
        Filter(
            params.Parameter("eje", _l("Eje del programa."), {"type": "string", "maxLength": 80}),
            lambda q, v: q.where(Project.axis == v),
        ),
        *_between(Project.submitted_at),
    ),
    changed=Project.updated_at,
)


def _decision_query() -> sa.Select[Any]:
    public = sa.select(Project.id).where(Project.state.in_(PUBLIC_PROJECT_STATES))
    return sa.select(
        AdmissibilityDecision.id.label("key"),
        AdmissibilityDecision.id,
        AdmissibilityDecision.subject_id.label("project_id"),
        AdmissibilityDecision.run,
        AdmissibilityDecision.admissible,
        AdmissibilityDecision.reason,
        AdmissibilityDecision.verdicts,
        AdmissibilityDecision.decided_at,
    ).where(AdmissibilityDecision.subject_type == "project", AdmissibilityDecision.subject_id.in_(public))


PROJECT_DECISIONS = Table(
    "proyectos-admisibilidad",
    _l("Admisibilidad de los proyectos"),
    _l(
        "Cada revisión de admisibilidad de los proyectos en consulta: si fue admisible, el motivo cuando "
        "no lo fue y el veredicto de cada regla."
    ),
    (
        integer("id", _l("Identificador de la decisión"), constraints={"required": True, "unique": True}),
        integer("project_id", _l("Proyecto")),
        text("run", _l("Revisión (envío)")),
        boolean("admissible", _l("Admisible")),
        text("reason", _l("Motivo de la primera regla que no se cumple (código)")),
        json_text("verdicts", _l("Veredicto de cada regla (lista JSON)")),
        moment("decided_at", _l("Fecha de la decisión (UTC)")),
    ),
    ("id",),
    query=_decision_query,
    key=AdmissibilityDecision.id,
    references=(("project_id", "proyectos", "id"),),
    changed=AdmissibilityDecision.decided_at,
    filters=(
        Filter(
            params.integer("proyecto", _l("Identificador del proyecto.")),
            lambda q, v: q.where(AdmissibilityDecision.subject_id == v),
        ),
    ),
)

# --- consultations and results ------------------------------------------------------------------


def _consultation_query() -> sa.Select[Any]:
    return sa.select(
        Consultation.id.label("key"),
        Consultation.id,
        Consultation.title,
        Consultation.participation_level,
        Consultation.phase,
        Consultation.secrecy,
        Consultation.information_at,
        Consultation.proposals_at,
        Consultation.voting_at,
        Consultation.voting_ends_at,
        Consultation.electorate_comunas,
        Consultation.electorate_types,
        Consultation.cutoff_date,
        Consultation.weight_scheme,
        Consultation.quorum,
        Consultation.majority_numerator,
        Consultation.majority_denominator,
        Consultation.majority_strict,
        Consultation.abstentions_in_majority,
        Consultation.revote_policy,
        Consultation.roll_frozen_at,
        Consultation.roll_hash,
        Consultation.roll_total_weight,
        Consultation.certified_at,
    ).where(Consultation.phase != Phase.DRAFT.value)


CONSULTATIONS = Table(
    "consultas",
    _l("Consultas y sus reglas"),
    _l(
        "Cada consulta publicada: sus etapas y fechas, quién vota, cómo se calcula el peso de cada "
        "organización, el quórum, la mayoría y la huella del padrón congelado."
    ),
    (
        integer("id", _l("Identificador de la consulta"), constraints={"required": True, "unique": True}),
        text("title", _l("Título")),
        text("participation_level", _l("Nivel de participación (binding: vinculante)")),
        text("phase", _l("Etapa actual"), constraints={"enum": PUBLIC_PHASES}),
        text("secrecy", _l("Voto secreto (secret) o nominal (named)"), constraints={"enum": ["secret", "named"]}),
        moment("information_at", _l("Inicio de la etapa de información (UTC)")),
        moment("proposals_at", _l("Inicio de la etapa de propuestas (UTC)")),
        moment("voting_at", _l("Inicio de la votación (UTC)")),
        moment("voting_ends_at", _l("Cierre de la votación (UTC)")),
        json_text("electorate_comunas", _l("Comunas que votan (lista JSON de códigos)")),
        json_text("electorate_types", _l("Tipos de organización que votan (lista JSON; vacía: todos)")),
        day("cutoff_date", _l("Fecha de corte del padrón")),
        json_text("weight_scheme", _l("Cómo se calcula el peso (objeto JSON)")),
        decimal("quorum", _l("Quórum: fracción del peso del padrón que debe participar")),
        integer("majority_numerator", _l("Mayoría: numerador")),
        integer("majority_denominator", _l("Mayoría: denominador")),
        boolean("majority_strict", _l("Mayoría estricta (más que) o no (al menos)")),
        boolean("abstentions_in_majority", _l("Las abstenciones cuentan en la mayoría")),
        text(
            "revote_policy", _l("Si una organización vota de nuevo cuenta el último voto (last) o el primero (first)")
        ),
        moment("roll_frozen_at", _l("Padrón congelado (UTC)")),
        text("roll_hash", _l("Huella digital del padrón"), constraints={"pattern": SHA256_PATTERN}),
        decimal("roll_total_weight", _l("Peso total del padrón")),
        moment("certified_at", _l("Resultado certificado (UTC)")),
    ),
    ("id",),
    query=_consultation_query,
    key=Consultation.id,
    filters=(
        Filter(
            params.choice("etapa", _l("Etapa de la consulta."), PUBLIC_PHASES),
            lambda q, v: q.where(Consultation.phase == v),
        ),
        *_between(Consultation.voting_at),
    ),
)


def result_rows(session: Session, consultation_id: int | None = None) -> Iterator[dict[str, Any]]:
    """One row per question of each consultation's current result: heads and weights of each
    choice, the quorum and majority reached, the verdict and the result's hash."""
    query = (
        sa.select(TallyResult, Certification.certified_at)
        .join(
            Consultation,
            sa.and_(
                Consultation.id == TallyResult.consultation_id, Consultation.count_round == TallyResult.count_round
            ),
        )
        .outerjoin(Certification, Certification.consultation_id == TallyResult.consultation_id)
    )
    if consultation_id is not None:
        query = query.where(TallyResult.consultation_id == consultation_id)
    results = {stored.consultation_id: (stored, at) for stored, at in session.execute(query)}
    question_projects = dict(
        session.execute(
            sa.select(Question.id, Question.project_id).where(Question.consultation_id.in_(list(results)))
        ).all()
    )
    for cid, (stored, certified_at) in sorted(results.items()):
        data = json.loads(stored.canonical_json)
        for question in data["questions"]:
            row: dict[str, Any] = {
                "consultation_id": cid,
                "count_round": stored.count_round,
                "question_id": question["question_id"],
                "project_id": question_projects.get(question["question_id"]),
            }
            for choice in CHOICES:
                row[f"{choice}_heads"] = question[choice]["heads"]
                row[f"{choice}_weight"] = Decimal(question[choice]["weight"])
            row.update(
                roll_total_weight=Decimal(data["roll_total_weight"]),
                quorum_met=question["quorum_met"],
                majority_holds=question["majority_holds"],
                approved=question["approved"],
                binding=question["binding"],
                verdict=question["verdict"],
                computed_at=stored.computed_at,
                result_sha256=stored.sha256,
                certified_at=certified_at,
            )
            yield row


RESULTS = Table(
    "resultados",
    _l("Resultados de las consultas"),
    _l(
        "El resultado vigente de cada consulta contada, pregunta por pregunta: organizaciones y peso a "
        "favor, en contra y que se abstuvieron, si hubo quórum y mayoría, el veredicto y la huella del "
        "resultado, que se puede recalcular con los votos o comprobantes publicados."
    ),
    (
        integer("consultation_id", _l("Consulta"), constraints={"required": True}),
        integer("count_round", _l("Vuelta de conteo")),
        integer("question_id", _l("Pregunta"), constraints={"required": True}),
        integer("project_id", _l("Proyecto consultado")),
        *(
            f
            for choice, label in (
                ("approve", _l("a favor")),
                ("reject", _l("en contra")),
                ("abstain", _l("que se abstuvieron")),
                ("participating", _l("que participaron")),
            )
            for f in (
                integer(f"{choice}_heads", _l("Organizaciones %(which)s", which=label)),
                decimal(f"{choice}_weight", _l("Peso %(which)s", which=label)),
            )
        ),
        decimal("roll_total_weight", _l("Peso total del padrón")),
        boolean("quorum_met", _l("Hubo quórum")),
        boolean("majority_holds", _l("Hubo mayoría")),
        boolean("approved", _l("Aprobado")),
        boolean("binding", _l("Vinculante")),
        text("verdict", _l("Veredicto (código)")),
        moment("computed_at", _l("Contado (UTC)")),
        text("result_sha256", _l("Huella digital del resultado"), constraints={"pattern": SHA256_PATTERN}),
        moment("certified_at", _l("Certificado (UTC; vacío si aún no)")),
    ),
    ("consultation_id", "question_id"),
    rows=result_rows,
    references=(("consultation_id", "consultas", "id"), ("project_id", "proyectos", "id")),
)

# --- proposals ----------------------------------------------------------------------------------


def _proposal_query() -> sa.Select[Any]:
    supports = (
        sa.select(sa.func.count())
        .select_from(ProposalSupport)
        .where(ProposalSupport.proposal_id == Proposal.id)
        .scalar_subquery()
    )
    shown = sa.not_(Proposal.hidden)
    return (
        sa.select(
            Proposal.id.label("key"),
            Proposal.id,
            Proposal.consultation_id,
            Proposal.question_id,
            Proposal.kind,
            Organisation.rut.label("organisation_rut"),
            Organisation.legal_name.label("organisation"),
            sa.case((shown, Proposal.title)).label("title"),
            sa.case((shown, Proposal.body)).label("body"),
            Proposal.created_at,
            supports.label("supports"),
            Proposal.hidden,
            Proposal.hidden_reason,
            sa.case((shown, Proposal.answer)).label("answer"),
            sa.case((shown, Proposal.answered_at)).label("answered_at"),
        )
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .join(Consultation, Consultation.id == Proposal.consultation_id)
        .where(Proposal.status == "admissible", Consultation.phase != Phase.DRAFT.value)
    )


PROPOSALS = Table(
    "propuestas",
    _l("Propuestas y observaciones"),
    _l(
        "Lo que las organizaciones propusieron u observaron en cada consulta, sus apoyos y la respuesta "
        "de la comuna. De una propuesta ocultada por moderación solo se publica el motivo."
    ),
    (
        integer("id", _l("Identificador"), constraints={"required": True, "unique": True}),
        integer("consultation_id", _l("Consulta")),
        integer("question_id", _l("Pregunta")),
        text("kind", _l("Propuesta (proposal) u observación (observation)"), constraints={"enum": list(KINDS)}),
        text("organisation_rut", _l("RUT de la organización")),
        text("organisation", _l("Organización")),
        text("title", _l("Título")),
        text("body", _l("Texto")),
        moment("created_at", _l("Presentada (UTC)")),
        integer("supports", _l("Apoyos de otras organizaciones"), constraints={"minimum": 0}),
        boolean("hidden", _l("Ocultada por moderación")),
        text("hidden_reason", _l("Motivo de la moderación")),
        text("answer", _l("Respuesta de la comuna")),
        moment("answered_at", _l("Respondida (UTC)")),
    ),
    ("id",),
    query=_proposal_query,
    key=Proposal.id,
    references=(("consultation_id", "consultas", "id"),),
    changed=Proposal.created_at,
    filters=(
        Filter(
            params.integer("consulta", _l("Identificador de la consulta.")),
            lambda q, v: q.where(Proposal.consultation_id == v),
        ),
        *_between(Proposal.created_at),
    ),
)

# --- the audit chain ----------------------------------------------------------------------------

AUDIT_BLOCKS = Table(
    "auditoria-bloques",
    _l("Bloques de la cadena de auditoría"),
    _l(
        "La cabeza de cada bloque sellado de la bitácora: con ellas cualquiera comprueba que la cadena "
        "no se reescribió (cada bloque nombra la huella del anterior)."
    ),
    (
        integer("id", _l("Número del bloque"), constraints={"required": True, "unique": True}),
        moment("sealed_at", _l("Sellado (UTC)")),
        integer("event_count", _l("Eventos en el bloque")),
        text("previous_hash", _l("Huella del bloque anterior"), constraints={"pattern": SHA256_PATTERN}),
        text("block_hash", _l("Huella del bloque"), constraints={"pattern": SHA256_PATTERN}),
    ),
    ("id",),
    query=lambda: sa.select(
        AuditBlock.id.label("key"),
        AuditBlock.id,
        AuditBlock.sealed_at,
        AuditBlock.event_count,
        AuditBlock.previous_hash,
        AuditBlock.block_hash,
    ),
    key=AuditBlock.id,
    changed=AuditBlock.sealed_at,
    filters=_between(AuditBlock.sealed_at),
)

# --- data requests --------------------------------------------------------------------------------

DATA_REQUESTS = Table(
    "solicitudes-de-datos",
    _l("Solicitudes de datos"),
    _l(
        "Lo que las personas pidieron publicar, cuántas lo apoyan y la respuesta del equipo de datos "
        "abiertos (sin quién pidió ni quién apoyó)."
    ),
    (
        integer("id", _l("Identificador"), constraints={"required": True, "unique": True}),
        text("title", _l("Qué datos se piden")),
        text("body", _l("Para qué")),
        moment("created_at", _l("Pedida (UTC)")),
        integer("supports", _l("Apoyos"), constraints={"minimum": 0}),
        text("status", _l("Estado"), constraints={"enum": ["open", "planned", "published", "refused"]}),
        text("answer", _l("Respuesta")),
        text("link", _l("Enlace a los datos publicados")),
        moment("answered_at", _l("Respondida (UTC)")),
    ),
    ("id",),
    query=lambda: sa.select(
        DataRequest.id.label("key"),
        DataRequest.id,
        DataRequest.title,
        DataRequest.body,
        DataRequest.created_at,
        DataRequest.supports,
        DataRequest.status,
        DataRequest.answer,
        DataRequest.link,
        DataRequest.answered_at,
    ),
    key=DataRequest.id,
    changed=DataRequest.created_at,
)

TABLES = {
    t.name: t
    for t in (COMUNAS, PROJECTS, PROJECT_DECISIONS, CONSULTATIONS, RESULTS, PROPOSALS, AUDIT_BLOCKS, DATA_REQUESTS)
}
