"""The commitment record on the web: the public dashboard, each commitment's ficha ciudadana (page,
PDF, QR), the fingerprint's verification and the downloads; the programme staff's edits, documents
and bulk updates (issue #14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from participa.accounts.rules import Role
from participa.commitments import bulk, downloads, operations, rules
from participa.commitments.forms import BulkForm, CommitmentForm, DocumentForm, VerifyForm
from participa.commitments.labels import (
    CRITERION_LABELS,
    FIELD_LABELS,
    MESSAGES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    VERIFICATION_LABELS,
)
from participa.commitments.models import Commitment, CommitmentDocument
from participa.core import db, pdf, storage
from participa.core.db import SANTIAGO, utcnow
from participa.core.ratelimit import download_limit
from participa.core.security import acting_user, role_required
from participa.core.web import external_url
from participa.projects.models import Project
from participa.territory.operations import list_comunas

LABELS = {
    "statuses": STATUS_LABELS,
    "criteria": CRITERION_LABELS,
    "fields": FIELD_LABELS,
    "outcomes": OUTCOME_LABELS,
}


def _message(code: str, detail: str = "", line: int | None = None) -> str:
    return str(MESSAGES.get(code, code)) % {"detail": detail, "line": line}


# --- public ---------------------------------------------------------------------------------------


def _filters() -> operations.Filters:
    """The dashboard's filters from the address; anything unknown is ignored, never an error."""
    args = request.args
    status = args.get("estado") if args.get("estado") in rules.STATUSES else None
    comuna = args.get("comuna", type=int)
    at = None
    if args.get("fecha"):
        try:
            day = date.fromisoformat(args["fecha"])
            at = datetime.combine(day, time.max, tzinfo=SANTIAGO).astimezone(UTC)
        except ValueError:
            at = None
    return operations.Filters(
        axis=args.get("eje") or None,
        status=status,
        comuna=comuna if comuna and 0 < comuna < 2**31 else None,
        words=(args.get("q") or "")[:200],
        at=at if at is None or at <= utcnow() else None,
    )


def dashboard():
    """Where the programme stands, now or at a past date, by axis and status, with the list."""
    filters = _filters()
    board = operations.dashboard(db.session(), filters, utcnow())
    axes = [
        (axis.capitalize(), figures, url_for("commitments.dashboard", eje=axis, _anchor="lista"))
        for axis, figures in board.standing.by_axis.items()
    ]
    months = [
        (
            format_date(moment.astimezone(SANTIAGO), "MMM y"),
            figures,
            url_for("commitments.dashboard", fecha=moment.astimezone(SANTIAGO).date().isoformat(), _anchor="lista"),
        )
        for moment, figures in board.history
    ]
    return render_template(
        "commitments/dashboard.html",
        board=board,
        filters=filters,
        labels=LABELS,
        statuses=rules.STATUSES,
        axis_rows=axes,
        history_rows=months,
    )


def _ficha_context(commitment_id: int) -> dict[str, Any]:
    session = db.session()
    commitment = session.get(Commitment, commitment_id) or abort(404)
    verify_url = external_url("commitments.verify_fingerprint", fingerprint=commitment.fingerprint or "0")
    project_ids = operations.linked_project_ids(session, commitment.id)
    projects = [session.get(Project, pid) for pid in project_ids]
    return {
        "commitment": commitment,
        "versions": operations.versions_of(session, commitment.id),
        "evidence": operations.evidence_of(session, commitment.id),
        "projects": [p for p in projects if p is not None],
        "comunas": {c.cut: c.name for c in list_comunas(session)},
        "verify_url": verify_url,
        "qr": pdf.qr_data_uri(verify_url),
        "labels": LABELS,
    }


def ficha(commitment_id: int):
    """A commitment's ficha ciudadana: what was promised and what has been done, printable."""
    return render_template("commitments/ficha.html", **_ficha_context(commitment_id))


def ficha_pdf(commitment_id: int):
    html = render_template("commitments/ficha_pdf.html", **_ficha_context(commitment_id))
    try:
        data = pdf.cached_pdf(html, "fichas")
    except pdf.RenderBusy:
        return render_template(
            "errors.html",
            status=503,
            title=_("Muchas fichas a la vez"),
            message=_("Se están preparando muchos documentos en este momento. Intente de nuevo en un minuto."),
        ), 503
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="ficha-compromiso-{commitment_id}.pdf"'
    return response


def document(commitment_id: int, document_id: int):
    found = db.session.get(CommitmentDocument, document_id)
    if found is None or found.commitment_id != commitment_id:
        abort(404)
    return storage.send_document(operations.document_path(found), found.filename, found.content_type)


def find_fingerprint():
    """The form: a fingerprint typed (or read from a printed ficha) leads to its verification."""
    form = VerifyForm(request.args)
    if not request.args:
        return render_template("commitments/verify.html", form=form, result=None, labels=LABELS)
    if not form.validate():
        return render_template("commitments/verify.html", form=form, result=None, labels=LABELS), 400
    fingerprint = "".join(form.huella.data.split()).lower()
    return redirect(url_for("commitments.verify_fingerprint", fingerprint=fingerprint))


def verify_fingerprint(fingerprint: str):
    """Whether a fingerprint is the record's current version, an earlier one, or unknown."""
    result = operations.verify(db.session(), fingerprint)
    form = VerifyForm(formdata=None, huella=fingerprint[:100])
    status = 404 if result.state == "unknown" else 200
    return render_template(
        "commitments/verify.html", form=form, result=result, labels=LABELS, verdicts=VERIFICATION_LABELS
    ), status


@download_limit
def download(dataset: str, extension: str):
    """The record, its versions and the compliance figures as CSV or JSON."""
    if dataset not in downloads.DATASETS or extension not in ("csv", "json"):
        abort(404)
    body, mimetype = downloads.render(db.session(), dataset, extension, utcnow())
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{dataset}.{extension}"'
    return response


# --- GORE programme staff -------------------------------------------------------------------------


@role_required(Role.PROGRAMME_STAFF)
def manage():
    """Every commitment with its status and version, and the bulk update form."""
    return render_template(
        "commitments/manage.html",
        commitments=operations.list_commitments(db.session()),
        form=BulkForm(),
        report=None,
        labels=LABELS,
    )


def _form_for(commitment: Commitment) -> CommitmentForm:
    form = CommitmentForm(
        formdata=request.form if request.method == "POST" else None,
        status=commitment.status,
        description=commitment.description,
        criterion=commitment.criterion or "",
        division=commitment.division,
        approved_investment_clp=commitment.approved_investment_clp,
        beneficiaries=commitment.beneficiaries,
        comunas=list(commitment.comunas or []),
        milestones=rules.milestones_text(commitment.milestones or []),
        links=rules.links_text(commitment.links or []),
    )
    form.comunas.choices = [(c.cut, c.name) for c in list_comunas(db.session())]
    return form


def _change_from(form: CommitmentForm) -> dict[str, Any]:
    """The edit the form asks for; raises rules.LineError for a bad milestone or link line."""
    return {
        "status": form.status.data,
        "description": form.description.data or "",
        "criterion": form.criterion.data or None,
        "division": form.division.data or "",
        "approved_investment_clp": form.approved_investment_clp.data,
        "beneficiaries": form.beneficiaries.data,
        "comunas": list(form.comunas.data or []),
        "milestones": rules.parse_milestones(form.milestones.data or ""),
        "links": rules.parse_links(form.links.data or ""),
    }


@role_required(Role.PROGRAMME_STAFF)
def edit(commitment_id: int):
    """Change a commitment's record: a new version, with its reason."""
    commitment = db.session.get(Commitment, commitment_id) or abort(404)
    form = _form_for(commitment)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                operations.update_commitment(
                    db.session(),
                    actor=acting_user(),
                    commitment=commitment,
                    change=_change_from(form),
                    reason=form.reason.data,
                    now=utcnow(),
                )
            except rules.LineError as error:
                db.session.rollback()
                form.form_errors.append(_message(error.code, line=error.line))
            except operations.CommitmentError as error:
                db.session.rollback()
                form.form_errors.append(_message(error.code, error.detail))
            else:
                db.session.commit()
                flash(_("Se guardó la versión %(n)s del compromiso.", n=commitment.version), "success")
                return redirect(url_for("commitments.ficha", commitment_id=commitment.id))
    return render_template(
        "commitments/edit.html", commitment=commitment, form=form, document_form=DocumentForm(), labels=LABELS
    ), status


@role_required(Role.PROGRAMME_STAFF)
def add_document(commitment_id: int):
    commitment = db.session.get(Commitment, commitment_id) or abort(404)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            operations.add_document(
                db.session(),
                actor=acting_user(),
                commitment=commitment,
                stream=form.file.data.stream,
                filename=form.file.data.filename or "",
                title=form.title.data,
                now=utcnow(),
            )
        except operations.CommitmentError as error:
            db.session.rollback()
            form.file.errors = [_message(error.code)]
        else:
            db.session.commit()
            flash(_("Documento agregado al registro."), "success")
            return redirect(url_for("commitments.ficha", commitment_id=commitment.id))
    db.session.refresh(commitment)
    return render_template(
        "commitments/edit.html", commitment=commitment, form=_form_for(commitment), document_form=form, labels=LABELS
    ), 400


@role_required(Role.PROGRAMME_STAFF)
def bulk_update():
    """A CSV of changes, checked whole: applied only when every row is good, reported row by row."""
    form = BulkForm()
    report, applied, status = None, False, 400
    if form.validate_on_submit():
        try:
            applied, report = bulk.bulk_update(
                db.session(), actor=acting_user(), data=form.file.data.read(), now=utcnow()
            )
        except bulk.BulkFileError as error:
            db.session.rollback()
            form.file.errors = [_message(error.code, error.detail)]
        else:
            if applied:
                db.session.commit()
                status = 200
            else:
                db.session.rollback()
    return render_template(
        "commitments/manage.html",
        commitments=operations.list_commitments(db.session()),
        form=form,
        report=report,
        applied=applied,
        messages=MESSAGES,
        labels=LABELS,
    ), status
