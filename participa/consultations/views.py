from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden
from wtforms.fields import SelectChoice

from participa.accounts.rules import Role
from participa.certification import operations as certification
from participa.certification.forms import RecountForm
from participa.consultations import operations, queries, rules
from participa.consultations.forms import ConsultationForm, PhaseForm, PublicFilterForm
from participa.consultations.labels import PHASE_LABELS, WEIGHT_BASE_LABELS
from participa.consultations.models import Consultation
from participa.consultations.rules import MAJORITIES, Phase, early_start, manual_change_allowed, next_phase
from participa.core import db
from participa.core.db import SANTIAGO, santiago_to_utc, utcnow
from participa.core.security import acting_user, role_required
from participa.core.web import page_number
from participa.registry.labels import TYPE_LABELS
from participa.territory.operations import list_comunas
from participa.voting import rules as voting_rules

ROLL_PAGE = 100

MESSAGES = {
    "forbidden": _l("Solo un gestor o gestora de consultas puede hacer esto."),
    "schedule_order": _l(
        "Las fechas deben seguir el orden: información, propuestas, apertura y cierre de la votación."
    ),
    "weight_scheme": _l("La ponderación tiene problemas: %(detail)s."),
    "no_projects": _l("Elija al menos un proyecto."),
    "no_comunas": _l("Elija al menos una comuna."),
    "unknown_project": _l("Uno de los proyectos no existe."),
    "project_not_admissible": _l("El proyecto «%(detail)s» no está admisible o ya está en otra consulta."),
    "not_draft": _l("La consulta ya está abierta: su configuración no se puede cambiar."),
    "phase_not_allowed": _l("Ese cambio de etapa no está permitido."),
    "bad_table": _l("Revise el formato: una línea por valor, «clave = número»."),
    "cap_infeasible": _l("El tope es tan bajo que no hay forma de repartir el peso: súbalo."),
    "sessions_waiting": _l(
        "Sesiones presenciales abiertas que aún pueden sincronizar votos: %(detail)s. El conteo espera a que "
        "se cierren, a que se revoque su tableta o a que pase su plazo de sincronización."
    ),
}


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(SANTIAGO).replace(tzinfo=None)


def _parse_table(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if "=" not in line:
            raise operations.ConsultationError("bad_table")
        key, value = (part.strip() for part in line.split("=", 1))
        if not key or not value:
            raise operations.ConsultationError("bad_table")
        pairs.append((key, value.replace(",", ".")))
    return pairs


def _scheme(form: ConsultationForm) -> dict[str, Any]:
    scheme: dict[str, Any] = {"base": form.weight_base.data, "territorial": None, "cap_share": None}
    if form.weight_base.data == "by_type":
        scheme["type_table"] = dict(_parse_table(form.type_table.data))
    if form.weight_base.data == "membership_bands":
        try:
            scheme["bands"] = [[int(k), v] for k, v in _parse_table(form.bands.data)]
        except ValueError as error:
            raise operations.ConsultationError("bad_table") from error
    if form.territorial_home.data is not None or form.territorial_elsewhere.data is not None:
        home, elsewhere = form.territorial_home.data, form.territorial_elsewhere.data
        scheme["territorial"] = {
            "home": str(Decimal(1) if home is None else home),
            "elsewhere": str(Decimal(1) if elsewhere is None else elsewhere),
        }
    if form.cap_percent.data is not None:
        scheme["cap_share"] = str((form.cap_percent.data / 100).normalize())
    return scheme


def _form(consultation: Consultation | None = None) -> ConsultationForm:
    form = ConsultationForm()
    projects = queries.consultable_projects(db.session(), actor=acting_user(), consultation=consultation)
    form.projects.choices = [SelectChoice(p.id, f"{p.comuna.name}: {p.title}") for p in projects]
    form.electorate_comunas.choices = [SelectChoice(c.cut, c.name) for c in list_comunas(db.session())]
    form.electorate_types.choices = [SelectChoice(t.value, label) for t, label in TYPE_LABELS.items()]
    if request.method == "GET" and consultation is not None:
        _fill(form, consultation)
    return form


def _fill(form: ConsultationForm, c: Consultation) -> None:
    form.title.data, form.description.data = c.title, c.description
    form.participation_level.data = c.participation_level
    form.projects.data = [q.project_id for q in c.questions]
    form.information_at.data = to_local(c.information_at)
    form.proposals_at.data = to_local(c.proposals_at)
    form.voting_at.data = to_local(c.voting_at)
    form.voting_ends_at.data = to_local(c.voting_ends_at)
    form.electorate_comunas.data = c.electorate_comunas
    form.electorate_types.data = c.electorate_types
    form.cutoff_date.data = c.cutoff_date
    scheme = c.weight_scheme
    form.weight_base.data = scheme.get("base")
    form.type_table.data = "\n".join(f"{k} = {v}" for k, v in (scheme.get("type_table") or {}).items())
    form.bands.data = "\n".join(f"{k} = {v}" for k, v in (scheme.get("bands") or []))
    if scheme.get("territorial"):
        form.territorial_home.data = Decimal(scheme["territorial"]["home"])
        form.territorial_elsewhere.data = Decimal(scheme["territorial"]["elsewhere"])
    if scheme.get("cap_share"):
        form.cap_percent.data = Decimal(scheme["cap_share"]) * 100
    form.quorum_percent.data = c.quorum * 100
    form.majority.data = next(
        (
            k
            for k, (f, strict) in MAJORITIES.items()
            if (f.numerator, f.denominator) == (c.majority_numerator, c.majority_denominator)
            and strict == c.majority_strict
        ),
        "simple",
    )
    form.abstentions_in_majority.data = c.abstentions_in_majority
    form.revote_policy.data, form.secrecy.data = c.revote_policy, c.secrecy


def _data(form: ConsultationForm) -> operations.ConsultationData:
    majority, strict = MAJORITIES[form.majority.data]
    project_ids = list(form.projects.data or [])
    comunas = list(form.electorate_comunas.data or [])
    if not comunas:
        comunas = queries.comunas_of_projects(db.session(), project_ids)
    return operations.ConsultationData(
        title=form.title.data or "",
        description=form.description.data or "",
        participation_level=form.participation_level.data,
        project_ids=project_ids,
        information_at=santiago_to_utc(form.information_at.data),
        proposals_at=santiago_to_utc(form.proposals_at.data),
        voting_at=santiago_to_utc(form.voting_at.data),
        voting_ends_at=santiago_to_utc(form.voting_ends_at.data),
        electorate_comunas=comunas,
        electorate_types=list(form.electorate_types.data or []),
        cutoff_date=form.cutoff_date.data,
        weight_scheme=_scheme(form),
        quorum=(form.quorum_percent.data / 100).quantize(Decimal("0.000001")),
        majority=(majority.numerator, majority.denominator),
        majority_strict=strict,
        abstentions_in_majority=bool(form.abstentions_in_majority.data),
        revote_policy=form.revote_policy.data,
        secrecy=form.secrecy.data,
    )


def refused(error: operations.ConsultationError):
    """A read or an operation that refuses the acting person answers 403, as the decorators do;
    any other consultation error raised this far is a fault."""
    if error.code != "forbidden":
        raise error
    return current_app.handle_http_exception(Forbidden())


def _error_text(error: operations.ConsultationError) -> str:
    return str(MESSAGES.get(error.code, error.code)) % {"detail": error.detail}


@role_required(Role.MANAGER)
def list_consultations():
    consultations = queries.staff_consultations(db.session(), actor=acting_user())
    return render_template("consultations/manage_list.html", consultations=consultations, phases=PHASE_LABELS)


@role_required(Role.MANAGER)
def new_consultation():
    form = _form()
    if form.validate_on_submit():
        try:
            consultation = operations.create_consultation(db.session(), actor=acting_user(), data=_data(form))
        except (operations.ConsultationError, ValueError) as error:
            db.session.rollback()
            code = (
                error
                if isinstance(error, operations.ConsultationError)
                else operations.ConsultationError("cap_infeasible")
            )
            form.form_errors.append(_error_text(code))
        else:
            db.session.commit()
            flash(_("Consulta creada como borrador."), "success")
            return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    status = 400 if request.method == "POST" else 200
    return render_template("consultations/form.html", form=form, consultation=None), status


@role_required(Role.MANAGER)
def edit_consultation(consultation_id: int):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    form = _form(consultation)
    if form.validate_on_submit():
        try:
            operations.update_consultation(
                db.session(), actor=acting_user(), consultation=consultation, data=_data(form)
            )
        except operations.ConsultationError as error:
            db.session.rollback()
            form.form_errors.append(_error_text(error))
        else:
            db.session.commit()
            flash(_("Cambios guardados."), "success")
            return redirect(url_for("consultations.manage", consultation_id=consultation.id))
    status = 400 if request.method == "POST" else 200
    return render_template("consultations/form.html", form=form, consultation=consultation), status


def _estimate(
    consultation: Consultation, rows: list[queries.RollRow] | None = None
) -> voting_rules.DisclosureEstimate | None:
    """Under a secret ballot, what totals could give away with this roll's weights (DESIGN §4)."""
    if consultation.secrecy != "secret":
        return None
    if rows is None:
        rows = queries.roll_rows(db.session(), actor=acting_user(), consultation=consultation)
    return voting_rules.disclosure_estimate(r.weight for r in rows)


@role_required(Role.MANAGER)
def manage(consultation_id: int):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    following = next_phase(Phase(consultation.phase))
    can_advance = following is not None and manual_change_allowed(Phase(consultation.phase), following)
    session = db.session()
    return render_template(
        "consultations/manage.html",
        consultation=consultation,
        phases=PHASE_LABELS,
        type_labels=TYPE_LABELS,
        weight_labels=WEIGHT_BASE_LABELS,
        following=following if can_advance else None,
        form=PhaseForm(),
        estimate=_estimate(consultation),
        sent_back=certification.awaiting_recount(session, consultation),
        refusal=certification.last_refusal(session, consultation) if consultation.count_round > 1 else None,
        certificate=certification.certificate_of(session, consultation_id),
        recount_form=RecountForm(),
    )


def _consequences(consultation: Consultation, target: Phase) -> dict[str, Any]:
    """What moving to ``target`` now will do, for the confirmation page."""
    now = utcnow()
    session = db.session()
    return {
        "target": target,
        "moved": early_start(target, operations.schedule_of(consultation), now),
        "notified": len(operations.representatives_to_notify(session, consultation)),
        "sessions_waiting": operations.sessions_waiting(session, consultation.id, now)
        if target == Phase.COUNTING
        else 0,
    }


@role_required(Role.MANAGER)
def advance(consultation_id: int):
    """A phase change by hand: a page that says what will happen and to whom, then the change."""
    found = queries.consultation_to_change(db.session(), actor=acting_user(), consultation_id=consultation_id)
    consultation = found or abort(404)
    target = next_phase(Phase(consultation.phase))
    allowed = target is not None and manual_change_allowed(Phase(consultation.phase), target)
    form = PhaseForm()
    if request.method == "GET":
        if not allowed:
            flash(_error_text(operations.ConsultationError("phase_not_allowed")), "error")
            return redirect(url_for("consultations.manage", consultation_id=consultation_id))
        form.target.data = target.value
        return render_template(
            "consultations/advance.html",
            consultation=consultation,
            form=form,
            phases=PHASE_LABELS,
            **_consequences(consultation, target),
        )
    if not form.validate_on_submit():
        abort(400)
    if allowed and form.target.data != target.value:
        flash(_("La consulta ya había cambiado de etapa: no se hizo ningún cambio."), "error")
        return redirect(url_for("consultations.manage", consultation_id=consultation_id))
    try:
        if not allowed:
            raise operations.ConsultationError("phase_not_allowed")
        operations.change_phase(
            db.session(), actor=acting_user(), consultation=consultation, target=target, now=utcnow()
        )
    except operations.ConsultationError as error:
        db.session.rollback()
        flash(_error_text(error), "error")
        return redirect(url_for("consultations.manage", consultation_id=consultation_id))
    from participa.consultations.tasks import enqueue_follow_up

    enqueue_follow_up(consultation_id, target)
    db.session.commit()
    db.session.refresh(consultation)  # embedded mode: counting may already have moved it on
    flash(_("Etapa cambiada a: %(phase)s.", phase=PHASE_LABELS[Phase(consultation.phase)]), "success")
    return redirect(url_for("consultations.manage", consultation_id=consultation_id))


@role_required(Role.MANAGER, Role.CERTIFIER, Role.ADMIN)
def roll(consultation_id: int):
    """The roll with each organisation's weight, how it was computed and its voting power;
    before voting opens, a preview of it, with what a secret ballot's totals could reveal."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    page = page_number()
    rows = queries.roll_rows(db.session(), actor=acting_user(), consultation=consultation)
    return render_template(
        "consultations/roll.html",
        consultation=consultation,
        entries=rows[(page - 1) * ROLL_PAGE : page * ROLL_PAGE],
        total=len(rows),
        total_weight=sum((r.weight for r in rows), Decimal(0)),
        page=page,
        page_size=ROLL_PAGE,
        index=queries.power_index(db.session(), actor=acting_user(), consultation_id=consultation_id),
        estimate=_estimate(consultation, rows),
    )


# --- public ---------------------------------------------------------------------------------


def list_public():
    """Published consultations, searched by words, phase and the comuna whose organisations vote."""
    form = PublicFilterForm(request.args)
    form.etapa.choices = [SelectChoice("", _("Todas"))] + [
        SelectChoice(phase.value, label) for phase, label in PHASE_LABELS.items() if phase != Phase.DRAFT
    ]
    form.comuna.choices = [SelectChoice("", _("Todas"))] + [
        SelectChoice(str(c.cut), c.name) for c in list_comunas(db.session())
    ]
    if not form.validate():
        found, status = queries.PublicPage([], 0, 1, 1), 400
    else:
        filters = queries.PublicFilters(
            text=form.q.data or "",
            phase=form.etapa.data or None,
            comuna_cut=int(form.comuna.data) if form.comuna.data else None,
            page=page_number(),
        )
        found, status = queries.public_consultations(db.session(), filters), 200
    return render_template(
        "consultations/public_list.html",
        form=form,
        found=found,
        total=found.total,
        page=found.page,
        page_size=queries.PAGE_SIZE,
        phases=PHASE_LABELS,
    ), status


def show_public(consultation_id: int):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    if consultation.phase == Phase.DRAFT and not (
        current_user.is_authenticated and current_user.has_role(Role.MANAGER)
    ):
        abort(404)
    schedule = rules.Schedule(
        consultation.information_at, consultation.proposals_at, consultation.voting_at, consultation.voting_ends_at
    )
    return render_template(
        "consultations/public_show.html",
        consultation=consultation,
        timeline=rules.timeline(Phase(consultation.phase), schedule, consultation.certified_at),
        phases=PHASE_LABELS,
        majority_label=_majority_label(consultation),
        type_labels=TYPE_LABELS,
        weight_labels=WEIGHT_BASE_LABELS,
        now=utcnow(),
    )


def _majority_label(consultation: Consultation) -> str:
    sign = ">" if consultation.majority_strict else "≥"
    return f"{sign} {consultation.majority_numerator}/{consultation.majority_denominator}"
