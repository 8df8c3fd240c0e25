"""Registry pages: each view parses the request, calls one operation or read (queries.py) with
the acting person, commits once when it wrote, and renders or redirects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.exceptions import Forbidden
from wtforms.fields import SelectChoice

from participa.accounts.rules import Role
from participa.core import background, db, outbox, storage
from participa.core.ratelimit import download_limit
from participa.core.security import acting_user, role_required
from participa.core.tabular import csv_chunks
from participa.core.web import page_number
from participa.registry import labels, operations, queries
from participa.registry.forms import (
    CuratorFilterForm,
    DecisionForm,
    ImportForm,
    PublicFilterForm,
    RepresentationForm,
    RevokeForm,
    StatusForm,
)
from participa.registry.models import Organisation
from participa.registry.queries import PUBLIC_FIELDS
from participa.registry.rules import CuratorAction, StructureError
from participa.territory.operations import list_comunas

PAGE_SIZE = 50
REPORT_PREVIEW = 200

MESSAGES = {
    "reason_required": _l("Escriba el motivo (al menos 3 caracteres)."),
    "transition_not_allowed": _l("Esa acción no es posible en el estado actual de la organización."),
    "invalid_rut": _l("El RUT no es válido: revise el dígito verificador."),
    "invalid_rut_format": _l("Escriba un RUT, por ejemplo 65.123.456-7."),
    "organisation_not_found": _l(
        "No hay una organización con ese RUT en el catastro. Si es nueva, pida a su "
        "municipalidad que la incluya en su próxima nómina."
    ),
    "organisation_dissolved": _l("La organización figura como disuelta."),
    "already_requested": _l("Ya tiene una solicitud en revisión o aprobada para esa organización."),
    "document_too_large": _l("El documento supera los 10 MB."),
    "document_unavailable": _l(
        "No pudimos guardar el archivo por un problema de nuestro servidor. No se guardó ningún cambio: "
        "inténtelo de nuevo en unos minutos."
    ),
    "document_empty": _l("El documento está vacío."),
    "document_type": _l("El documento debe ser PDF, JPG o PNG."),
    "not_pending": _l("La solicitud ya fue resuelta."),
    "not_approved": _l("Solo se puede revocar una representación aprobada."),
    "own_request": _l("No puede resolver una solicitud propia: otra persona del equipo debe hacerlo."),
}


def _comuna_choices(empty_label: str) -> list[SelectChoice]:
    return [SelectChoice("", empty_label)] + [SelectChoice(str(c.cut), c.name) for c in list_comunas(db.session())]


def _page() -> int:
    return page_number()


def refused(error: operations.RegistryError):
    """A read or an operation that refuses the acting person answers 403, as the decorators do;
    any other registry error raised this far is a fault."""
    if error.code != "forbidden":
        raise error
    return current_app.handle_http_exception(Forbidden())


# --- imports (curators) ---------------------------------------------------------------------


@role_required(Role.CURATOR)
def list_imports():
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = operations.start_import(
                db.session(), actor=acting_user(), stream=upload.stream, filename=upload.filename or ""
            )
        except StructureError as error:
            db.session.rollback()
            message = labels.STRUCTURE_MESSAGES.get(error.code, labels.STRUCTURE_MESSAGES["malformed"])
            detail = labels.column_names(error.detail) if error.code == "missing_columns" else error.detail
            form.file.errors = [str(message) % {"detail": detail}]
            status = 503 if error.code == "unavailable" else 400
        else:
            # Published once the batch is committed; if the broker is down just then, as soon as
            # it is back: the batch page shows it queued meanwhile.
            outbox.enqueue("registry.import_batch", batch.id)
            db.session.commit()
            return redirect(url_for("registry.show_import", batch_id=batch.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "registry/imports.html",
        form=form,
        batches=queries.recent_imports(db.session(), actor=acting_user()),
        aliases=sorted(operations.rules.COLUMN_ALIASES.items()),
        required=operations.rules.REQUIRED_COLUMNS,
        field_labels=labels.FIELD_LABELS,
        batch_labels=labels.BATCH_STATUS_LABELS,
    ), status


@role_required(Role.CURATOR)
def show_import(batch_id: int):
    actor = acting_user()
    batch = queries.import_batch(db.session(), actor=actor, batch_id=batch_id) or abort(404)
    _keep_going(batch)
    return render_template(
        "registry/import.html",
        batch=batch,
        state=queries.batch_progress(batch),
        rejected=queries.rejected_rows(db.session(), actor=actor, batch=batch, limit=REPORT_PREVIEW),
        preview=REPORT_PREVIEW,
        reason_labels=labels.REJECTION_LABELS,
        field_labels=labels.FIELD_LABELS,
        rut_problems=labels.RUT_PROBLEM_LABELS,
    )


@role_required(Role.CURATOR)
def import_status(batch_id: int):
    batch = queries.import_batch(db.session(), actor=acting_user(), batch_id=batch_id) or abort(404)
    _keep_going(batch)
    return jsonify(queries.batch_progress(batch))


def _keep_going(batch) -> None:
    """On the embedded default, an unfinished import whose process stopped is taken up again by
    this one when someone looks at it (participa.core.background)."""
    if batch.status in ("queued", "running"):
        background.ensure("registry.import_batch", batch.id)


@role_required(Role.CURATOR)
def import_report(batch_id: int):
    """The per-row report as CSV, streamed from the database in pages."""
    actor = acting_user()
    batch = queries.import_batch(db.session(), actor=actor, batch_id=batch_id) or abort(404)
    report = queries.report_rows(db.session(), actor=actor, batch=batch)

    def rows() -> Iterator[list[object]]:
        for row in report:
            detail = (
                row.detail
                if isinstance(row.detail, str) or row.detail is None
                else json.dumps(row.detail, ensure_ascii=False)
            )
            if row.reason == "invalid_rut":
                detail = labels.label(labels.RUT_PROBLEM_LABELS, detail)
            yield [
                row.row_number,
                row.rut or "",
                labels.label(labels.OUTCOME_LABELS, row.outcome),
                labels.label(labels.REJECTION_LABELS, row.reason),
                detail or "",
            ]

    # Every cell from the uploaded file is shown, never run: a spreadsheet would run "=1+1".
    header = ["fila", "rut", "resultado", "motivo", "detalle"]
    response = Response(stream_with_context(csv_chunks(header, rows())), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="informe-importacion-{batch.id}.csv"'
    return response


# --- organisations (curators) ---------------------------------------------------------------


def _search(form: PublicFilterForm, actor: Any, **more: Any) -> tuple[list[Organisation], int, int]:
    """The page of organisations a filter form asks for, how many match in all, and the status
    to answer with: 400, and an empty list, for a form that does not validate. ``more`` adds
    criteria beyond the public form's."""
    form.comuna.choices = _comuna_choices(_("Todas"))
    if not form.validate():
        return [], 0, 400
    criteria = queries.OrgFilter(
        text=form.q.data or "",
        comuna_cut=int(form.comuna.data) if form.comuna.data else None,
        org_type=form.tipo.data or None,
        **more,
    )
    organisations, total = queries.search_organisations(
        db.session(), actor=actor, criteria=criteria, page=_page(), page_size=PAGE_SIZE
    )
    return organisations, total, 200


@role_required(Role.CURATOR)
def list_organisations():
    form = CuratorFilterForm(request.args)
    organisations, total, status = _search(
        form, acting_user(), status=form.estado.data or None, board_expiring_days=form.vence.data
    )
    return render_template(
        "registry/organisations.html",
        form=form,
        organisations=organisations,
        total=total,
        page=_page(),
        page_size=PAGE_SIZE,
        type_labels=labels.TYPE_LABELS,
        status_labels=labels.STATUS_LABELS,
        label=labels.label,
    ), status


def _org_page(organisation: Organisation, form: StatusForm, status: int = 200):
    actor = acting_user()
    return render_template(
        "registry/organisation.html",
        org=organisation,
        form=form,
        history=queries.organisation_history(db.session(), actor=actor, organisation=organisation),
        representations=queries.organisation_representations(db.session(), actor=actor, organisation=organisation),
        label=labels.label,
        labels=labels,
    ), status


@role_required(Role.CURATOR)
def show_organisation(org_id: int):
    organisation = queries.organisation(db.session(), actor=acting_user(), org_id=org_id) or abort(404)
    return _org_page(organisation, StatusForm())


@role_required(Role.CURATOR)
def change_status(org_id: int):
    organisation = queries.organisation(db.session(), actor=acting_user(), org_id=org_id) or abort(404)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            operations.change_status(
                db.session(),
                actor=acting_user(),
                organisation=organisation,
                action=CuratorAction(form.action.data),
                reason=form.reason.data,
            )
        except operations.RegistryError as error:
            db.session.rollback()
            db.session.refresh(organisation)
            form.action.errors = [*form.action.errors, str(MESSAGES[error.code])]
            return _org_page(organisation, form, 400)
        db.session.commit()
        flash(
            _("Estado actualizado: %(status)s.", status=labels.label(labels.STATUS_LABELS, organisation.status)),
            "success",
        )
        return redirect(url_for("registry.show_organisation", org_id=organisation.id))
    return _org_page(organisation, form, 400)


# --- representatives ------------------------------------------------------------------------


@login_required
def my_organisations():
    form = RepresentationForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.request_representation(
                db.session(),
                actor=acting_user(),
                org_rut=form.rut.data,
                position=form.position.data,
                stream=form.document.data.stream,
                filename=form.document.data.filename or "",
            )
        except operations.RegistryError as error:
            db.session.rollback()
            field = form.document if error.code.startswith("document_") else form.rut
            field.errors = [*field.errors, str(MESSAGES[error.code])]
            status = 503 if error.code == "document_unavailable" else 400
        else:
            db.session.commit()
            flash(_("Solicitud enviada. El equipo del catastro la revisará y le avisaremos por correo."), "success")
            return redirect(url_for("registry.my_organisations"))
    elif request.method == "POST":
        status = 400
    mine = queries.own_representations(db.session(), actor=acting_user())
    return render_template(
        "registry/my_organisations.html", form=form, representations=mine, labels=labels, label=labels.label
    ), status


@role_required(Role.CURATOR)
def list_representations():
    actor = acting_user()
    return render_template(
        "registry/representations.html",
        pending=queries.pending_representations(db.session(), actor=actor),
        recent=queries.recent_decisions(db.session(), actor=actor),
        decision_form=DecisionForm(),
        revoke_form=RevokeForm(),
        labels=labels,
        label=labels.label,
    )


@role_required(Role.CURATOR)
def decide_representation(rep_id: int):
    representation = queries.representation(db.session(), actor=acting_user(), rep_id=rep_id) or abort(404)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        abort(400)
    try:
        operations.decide_representation(
            db.session(),
            actor=acting_user(),
            representation=representation,
            approve=form.decision.data == "approve",
            reason=form.reason.data or "",
        )
    except operations.RegistryError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
        return redirect(url_for("registry.list_representations")), 303
    db.session.commit()
    flash(_("Solicitud resuelta."), "success")
    return redirect(url_for("registry.list_representations"))


@role_required(Role.CURATOR)
def revoke_representation(rep_id: int):
    representation = queries.representation(db.session(), actor=acting_user(), rep_id=rep_id) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(str(MESSAGES["reason_required"]), "error")
        return redirect(url_for("registry.show_organisation", org_id=representation.organisation_id))
    try:
        operations.revoke_representation(
            db.session(), actor=acting_user(), representation=representation, reason=form.reason.data
        )
    except operations.RegistryError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Representación revocada."), "success")
    return redirect(url_for("registry.show_organisation", org_id=representation.organisation_id))


@login_required
def representation_document(rep_id: int):
    representation, path = queries.document(db.session(), actor=acting_user(), rep_id=rep_id) or abort(404)
    return storage.send_document(path, representation.document_name, representation.document_type, private=True)


# --- public directory -----------------------------------------------------------------------


def public_list():
    form = PublicFilterForm(request.args)
    organisations, total, status = _search(form, None, public=True)
    return render_template(
        "registry/public_list.html",
        form=form,
        organisations=organisations,
        total=total,
        page=_page(),
        page_size=PAGE_SIZE,
        labels=labels,
        label=labels.label,
    ), status


def public_organisation(rut: str):
    organisation = queries.public_organisation(db.session(), rut) or abort(404)
    return render_template("registry/public_organisation.html", org=organisation, labels=labels, label=labels.label)


@download_limit
def public_csv():
    """The public directory as CSV for a Spanish-locale spreadsheet, safe from formula injection
    (participa/core/tabular.py)."""

    def chunks() -> Iterator[bytes]:
        yield from queries.public_csv_chunks(db.session())

    response = Response(stream_with_context(chunks()), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="organizaciones.csv"'
    return response


@download_limit
def public_json():
    def chunks() -> Iterator[str]:
        yield '{"fields": ' + json.dumps(PUBLIC_FIELDS) + ', "organisations": ['
        for count, row in enumerate(queries.public_rows(db.session())):
            yield ("," if count else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    return Response(stream_with_context(chunks()), mimetype="application/json")
