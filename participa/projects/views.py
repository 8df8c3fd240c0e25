from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields import SelectChoice

from participa.accounts.rules import Role
from participa.commitments.operations import list_commitments
from participa.core import db, outbox, storage
from participa.core.security import acting_user, role_required
from participa.projects import labels, operations, rules
from participa.projects.forms import AttachmentForm, ConfirmForm, ProjectForm
from participa.projects.models import Project, ProjectAttachment

MESSAGES = {
    "forbidden": _l("Solo el personal municipal de la comuna del proyecto puede hacer esto."),
    "not_editable": _l("El proyecto ya no se puede modificar en su estado actual."),
    "not_submittable": _l("El proyecto ya fue enviado."),
    "not_withdrawable": _l("El proyecto ya no se puede retirar."),
    "unknown_commitment": _l("Uno de los compromisos elegidos no existe."),
    "attachment_too_large": _l("El archivo supera los 20 MB."),
    "attachment_unavailable": _l(
        "No pudimos guardar el archivo por un problema de nuestro servidor. No se guardó ningún cambio: "
        "inténtelo de nuevo en unos minutos."
    ),
    "attachment_empty": _l("El archivo está vacío."),
    "attachment_type": _l("El archivo debe ser PDF, JPG o PNG."),
}


def _form(**kwargs: object) -> ProjectForm:
    form = ProjectForm(**kwargs)
    commitments = list_commitments(db.session())
    axes = sorted({c.axis for c in commitments})
    form.axis.choices = [SelectChoice("", _("— Elija un eje —"))] + [SelectChoice(a, a.capitalize()) for a in axes]
    form.commitments.choices = [SelectChoice(c.id, c.label) for c in commitments]
    return form


def _data(form: ProjectForm) -> operations.ProjectData:
    return operations.ProjectData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        description=form.description.data or "",
        bip_code=form.bip_code.data,
        amount_clp=form.amount_clp.data,
        axis=form.axis.data or "",
        sub_axis=form.sub_axis.data,
        commitment_ids=list(form.commitments.data or []),
        rate_status=form.rate_status.data,
        rate_date=form.rate_date.data,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        location_text=form.location_text.data,
    )


def _own_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id) or abort(404)
    if project.comuna_cut != current_user.comuna_cut:
        abort(403)
    return project


@role_required(Role.MUNICIPAL_STAFF)
def list_projects():
    projects = operations.comuna_projects(db.session(), acting_user())
    return render_template("projects/list.html", projects=projects, state_labels=labels.STATE_LABELS)


@role_required(Role.MUNICIPAL_STAFF)
def new_project():
    form = _form()
    if form.validate_on_submit():
        try:
            project = operations.create_project(db.session(), actor=acting_user(), data=_data(form))
        except operations.ProjectError as error:
            db.session.rollback()
            form.form_errors.append(str(MESSAGES[error.code]))
        else:
            db.session.commit()
            flash(_("Borrador guardado. Revíselo y envíelo cuando esté completo."), "success")
            return redirect(url_for("projects.show_project", project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=None, rules=labels.RULE_LABELS), status


@role_required(Role.MUNICIPAL_STAFF)
def edit_project(project_id: int):
    project = _own_project(project_id)
    form = _form(obj=project) if request.method == "GET" else _form()
    if request.method == "GET":
        form.commitments.data = [c.id for c in project.commitments]
    if form.validate_on_submit():
        try:
            operations.update_project(db.session(), actor=acting_user(), project=project, data=_data(form))
        except operations.ProjectError as error:
            db.session.rollback()
            form.form_errors.append(str(MESSAGES[error.code]))
        else:
            db.session.commit()
            flash(_("Cambios guardados."), "success")
            return redirect(url_for("projects.show_project", project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=project, rules=labels.RULE_LABELS), status


@role_required(Role.MUNICIPAL_STAFF)
def submit_project(project_id: int):
    project = _own_project(project_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.submit_project(db.session(), actor=acting_user(), project=project)
    except operations.ProjectError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
        return redirect(url_for("projects.show_project", project_id=project.id))
    project_id = project.id
    outbox.enqueue("projects.evaluate", project_id)
    db.session.commit()
    flash(_("Proyecto enviado. La revisión de admisibilidad se hace en segundo plano."), "success")
    return redirect(url_for("projects.show_project", project_id=project_id))


@role_required(Role.MUNICIPAL_STAFF)
def withdraw_project(project_id: int):
    project = _own_project(project_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.withdraw_project(db.session(), actor=acting_user(), project=project)
    except operations.ProjectError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Proyecto retirado."), "success")
    return redirect(url_for("projects.show_project", project_id=project.id))


@role_required(Role.MUNICIPAL_STAFF)
def add_attachment(project_id: int):
    project = _own_project(project_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            operations.add_attachment(
                db.session(),
                actor=acting_user(),
                project=project,
                stream=form.file.data.stream,
                filename=form.file.data.filename or "",
            )
        except operations.ProjectError as error:
            db.session.rollback()
            db.session.refresh(project)
            form.file.errors = [str(MESSAGES[error.code])]
            if error.code == "attachment_unavailable":
                return _show(project, attachment_form=form, status=503)
        else:
            db.session.commit()
            flash(_("Documento adjuntado."), "success")
            return redirect(url_for("projects.show_project", project_id=project.id))
    return _show(project, attachment_form=form, status=400)


def _show(project: Project, *, attachment_form: AttachmentForm | None = None, status: int = 200):
    actor = current_user if current_user.is_authenticated else None
    is_owner = bool(actor and actor.has_role(Role.MUNICIPAL_STAFF) and actor.comuna_cut == project.comuna_cut)
    decision = (
        operations.latest_decision(db.session(), project)
        if (is_owner or (actor and actor.has_role(*operations.GORE_ROLES)))
        else None
    )
    return render_template(
        "projects/show.html",
        project=project,
        is_owner=is_owner,
        decision=decision,
        attachment_form=attachment_form or AttachmentForm(),
        confirm_form=ConfirmForm(),
        labels=labels,
        map_tiles=current_app.config["MAP_TILE_URL"],
        map_attribution=current_app.config["MAP_ATTRIBUTION"],
        editable=project.state in rules.EDITABLE_STATES,
        submittable=project.state in rules.SUBMITTABLE_STATES,
    ), status


def show_project(project_id: int):
    project = db.session.get(Project, project_id) or abort(404)
    if not operations.can_view(current_user if current_user.is_authenticated else None, project):
        abort(404 if not current_user.is_authenticated else 403)
    return _show(project)


def download_attachment(project_id: int, attachment_id: int):
    attachment = db.session.get(ProjectAttachment, attachment_id) or abort(404)
    if attachment.project_id != project_id:
        abort(404)
    if not operations.can_view(current_user if current_user.is_authenticated else None, attachment.project):
        abort(404 if not current_user.is_authenticated else 403)
    return storage.send_document(operations.attachment_path(attachment), attachment.filename, attachment.content_type)


@role_required(Role.MANAGER, Role.CURATOR, Role.CERTIFIER, Role.ADMIN)
def list_all_projects():
    """GORE staff: every submitted project of every comuna, to open consultations on."""
    state = request.args.get("estado") or None
    try:
        projects = operations.submitted_projects(db.session(), actor=acting_user(), state=state)
    except operations.ProjectError:
        abort(403)
    return render_template("projects/all.html", projects=projects, state_labels=labels.STATE_LABELS, state=state)
