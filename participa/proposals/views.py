from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from participa.accounts.rules import Role
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db, outbox
from participa.core.db import utcnow
from participa.core.security import acting_user, role_required
from participa.proposals import operations
from participa.proposals.forms import AnswerForm, HideForm, ProposalFilterForm, ProposalForm, SupportForm
from participa.proposals.models import Proposal
from participa.registry.operations import represented_organisations

MESSAGES = {
    "closed": _l("Las propuestas se reciben solo durante la etapa de propuestas."),
    "not_authorised": _l("Usted no está autorizado para actuar por esa organización."),
    "unknown_project": _l("Ese proyecto no es parte de esta consulta."),
    "bad_kind": _l("Elija propuesta u observación."),
    "title_missing": _l("Escriba un título."),
    "title_too_long": _l("El título es demasiado largo."),
    "body_too_short": _l("El texto es demasiado corto."),
    "body_too_long": _l("El texto es demasiado largo."),
    "own_proposal": _l("Una organización no apoya su propia propuesta."),
    "not_supportable": _l("Esa propuesta no se puede apoyar."),
    "already_supported": _l("Esa organización ya apoya esta propuesta."),
    "forbidden": _l("No tiene permiso para hacer esto."),
    "answer_length": _l("La respuesta debe tener entre 3 y 4000 caracteres."),
    "reason_required": _l("Escriba el motivo."),
    "already_answered": _l("La comuna ya respondió este elemento."),
    "not_answerable": _l("Este elemento no se puede responder."),
}


def _forms(consultation: Consultation) -> tuple[ProposalForm, SupportForm]:
    form, support = ProposalForm(), SupportForm()
    mine = represented_organisations(db.session(), acting_user()) if current_user.is_authenticated else []
    form.organisation.choices = [SelectChoice(o.id, o.legal_name) for o in mine]
    support.organisation.choices = form.organisation.choices
    form.question.choices = [SelectChoice(q.id, q.project.title) for q in consultation.questions]
    return form, support


def list_proposals(consultation_id: int, form: ProposalForm | None = None, status: int = 200):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    if consultation.phase == Phase.DRAFT:
        abort(404)
    default_form, support_form = _forms(consultation)
    filters = ProposalFilterForm(request.args)
    filters.proyecto.choices = [SelectChoice("", _("Todos"))] + [
        SelectChoice(str(q.id), q.project.title) for q in consultation.questions
    ]
    if filters.validate():
        chosen = operations.ProposalFilters(
            text=filters.q.data or "",
            question_id=int(filters.proyecto.data) if filters.proyecto.data else None,
            kind=filters.tipo.data or None,
            answered={"con": True, "sin": False}.get(filters.respuesta.data or ""),
        )
        proposals = operations.visible_proposals(db.session(), consultation_id, chosen)
    else:
        proposals, status = [], 400
    return render_template(
        "proposals/list.html",
        consultation=consultation,
        proposals=proposals,
        filters=filters,
        form=form or default_form,
        support_form=support_form,
        answer_form=AnswerForm(),
        hide_form=HideForm(),
        can_file=consultation.phase == Phase.PROPOSALS and bool(default_form.organisation.choices),
        is_manager=current_user.is_authenticated and current_user.has_role(Role.MANAGER),
        staff_comuna=current_user.comuna_cut
        if current_user.is_authenticated and current_user.has_role(Role.MUNICIPAL_STAFF)
        else None,
    ), status


@login_required
def file_proposal(consultation_id: int):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    form, _support = _forms(consultation)
    if not form.validate_on_submit():
        return list_proposals(consultation_id, form, 400)
    try:
        proposal = operations.file_proposal(
            db.session(),
            actor=acting_user(),
            consultation=consultation,
            question_id=form.question.data,
            organisation_id=form.organisation.data,
            kind=form.kind.data,
            title=form.title.data,
            body=form.body.data,
            now=utcnow(),
        )
    except operations.ProposalError as error:
        db.session.rollback()
        form.form_errors.append(str(MESSAGES[error.code]))
        return list_proposals(consultation_id, form, 403 if error.code == "not_authorised" else 400)
    proposal_id = proposal.id
    outbox.enqueue("proposals.evaluate", proposal_id)
    db.session.commit()
    flash(
        _(
            "Recibimos su %(kind)s. Aparece publicada cuando se revisa su admisibilidad.",
            kind=_("propuesta") if proposal.kind == "proposal" else _("observación"),
        ),
        "success",
    )
    return redirect(url_for("proposals.list_proposals", consultation_id=consultation_id))


def _proposal(proposal_id: int) -> Proposal:
    return db.session.get(Proposal, proposal_id) or abort(404)


def _back(proposal: Proposal):
    return redirect(url_for("proposals.list_proposals", consultation_id=proposal.consultation_id) + f"#p{proposal.id}")


@login_required
def support(proposal_id: int):
    proposal = _proposal(proposal_id)
    consultation = db.session.get(Consultation, proposal.consultation_id)
    _form, form = _forms(consultation)
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.support_proposal(
            db.session(), actor=acting_user(), proposal=proposal, organisation_id=form.organisation.data, now=utcnow()
        )
    except operations.ProposalError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Apoyo registrado."), "success")
    return _back(proposal)


@role_required(Role.MUNICIPAL_STAFF)
def answer(proposal_id: int):
    proposal = _proposal(proposal_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(str(MESSAGES["answer_length"]), "error")
        return _back(proposal)
    try:
        operations.answer_proposal(db.session(), actor=acting_user(), proposal=proposal, text=form.text.data)
    except operations.ProposalError as error:
        db.session.rollback()
        if error.code == "forbidden":
            abort(403)
        flash(str(MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Respuesta publicada."), "success")
    return _back(proposal)


@role_required(Role.MANAGER)
def hide(proposal_id: int):
    proposal = _proposal(proposal_id)
    form = HideForm()
    if not form.validate_on_submit():
        flash(str(MESSAGES["reason_required"]), "error")
        return _back(proposal)
    try:
        operations.hide_proposal(db.session(), actor=acting_user(), proposal=proposal, reason=form.reason.data)
    except operations.ProposalError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
        return _back(proposal)
    db.session.commit()
    flash(_("Elemento ocultado."), "success")
    return _back(proposal)
