"""The open-data catalogue, the tables' downloads, the data package, data requests and the API."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, flash, jsonify, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participa.core import db
from participa.core.db import utcnow
from participa.core.ratelimit import api_limit, download_limit
from participa.core.security import acting_user, role_required, second_factor_passed
from participa.core.tabular import canonical_chunks, csv_chunks
from participa.opendata import api, tables
from participa.opendata import catalogue as data
from participa.opendata import requests as data_requests
from participa.opendata.forms import AnswerRequestForm, DataRequestForm, SupportRequestForm
from participa.opendata.models import DataRequest

MESSAGES = {
    "title_length": _l("El título debe tener entre 5 y 150 caracteres."),
    "body_length": _l("La explicación debe tener entre 20 y 2000 caracteres."),
    "not_open": _l("Esta solicitud ya fue respondida: no recibe más apoyos."),
    "own_request": _l("Usted hizo esta solicitud: la apoyan otras personas."),
    "already_supported": _l("Usted ya apoya esta solicitud."),
    "forbidden": _l("No tiene permiso para responder solicitudes de datos."),
    "bad_status": _l("Elija una respuesta."),
    "link_required": _l(
        "Para «Publicada», escriba el enlace a los datos: una dirección web (https://…) o una ruta de "
        "este sitio (/datos/…)."
    ),
    "link_only_when_published": _l("El enlace va solo cuando la respuesta es «Publicada»."),
    "reason_required": _l("Escriba por qué no es posible (entre 3 y 2000 caracteres)."),
    "answer_length": _l("La explicación debe tener entre 3 y 2000 caracteres."),
}
# The column types of the data package (Frictionless), in words.
TYPE_LABELS = {
    "string": _l("texto"),
    "integer": _l("número entero"),
    "number": _l("número decimal"),
    "date": _l("fecha"),
    "datetime": _l("fecha y hora"),
    "boolean": _l("sí o no"),
}
STATUS_LABELS = {
    data_requests.OPEN: _l("Abierta"),
    data_requests.PLANNED: _l("Planificada"),
    data_requests.PUBLISHED: _l("Publicada"),
    data_requests.REFUSED: _l("No es posible"),
}


def catalogue():
    """Every public dataset in clear Spanish: what it holds, its columns, size, last change,
    licence and files."""
    session = db.session()
    found = data.datasets(session)
    stats = {dataset.name: dataset.stats(session) for dataset in found if dataset.stats is not None}
    return render_template(
        "opendata/catalogue.html",
        datasets=found,
        stats=stats,
        licence=data.LICENCE,
        types=TYPE_LABELS,
        requests=data_requests.most_supported(session),
    )


# --- data requests ------------------------------------------------------------------------------


def list_requests(form: DataRequestForm | None = None, status: int = 200):
    """Every request: open ones by support, answered ones with their answer; the form to ask."""
    found = data_requests.listing(db.session())
    return render_template(
        "opendata/requests.html", listing=found, form=form or DataRequestForm(), labels=STATUS_LABELS
    ), status


@login_required
def file_request():
    form = DataRequestForm()
    if not form.validate_on_submit():
        return list_requests(form, 400)
    try:
        made = data_requests.file_request(
            db.session(), actor=acting_user(), title=form.title.data, body=form.body.data, now=utcnow()
        )
    except data_requests.RequestError as error:
        db.session.rollback()
        form.title.errors = [str(MESSAGES[error.code])]
        return list_requests(form, 400)
    db.session.commit()
    flash(_("Solicitud publicada. Otras personas pueden apoyarla."), "success")
    return redirect(url_for("opendata.show_request", request_id=made.id))


def show_request(request_id: int, answer_form: AnswerRequestForm | None = None, status: int = 200):
    found = db.session.get(DataRequest, request_id) or abort(404)
    user = current_user if current_user.is_authenticated else None
    can_answer = user is not None and user.has_role(*data_requests.ANSWER_ROLES) and second_factor_passed()
    form = answer_form or AnswerRequestForm(
        status=found.status if found.status != data_requests.OPEN else data_requests.PLANNED,
        answer=found.answer,
        link=found.link,
    )
    return render_template(
        "opendata/request.html",
        request_=found,
        labels=STATUS_LABELS,
        support_form=SupportRequestForm(),
        answer_form=form if can_answer else None,
        supported=data_requests.has_supported(db.session(), user, found),
        own=user is not None and found.requested_by_id == user.id,
    ), status


@login_required
def support_request(request_id: int):
    found = db.session.get(DataRequest, request_id) or abort(404)
    if not SupportRequestForm().validate_on_submit():
        abort(400)
    try:
        data_requests.support_request(db.session(), actor=acting_user(), request=found, now=utcnow())
    except data_requests.RequestError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Apoyo registrado."), "success")
    return redirect(url_for("opendata.show_request", request_id=request_id))


@role_required(*data_requests.ANSWER_ROLES)
def answer_request(request_id: int):
    found = db.session.get(DataRequest, request_id) or abort(404)
    form = AnswerRequestForm()
    if not form.validate_on_submit():
        return show_request(request_id, form, 400)
    try:
        data_requests.answer_request(
            db.session(),
            actor=acting_user(),
            request=found,
            status=form.status.data,
            answer=form.answer.data,
            link=form.link.data or "",
            now=utcnow(),
        )
    except data_requests.RequestError as error:
        db.session.rollback()
        target = form.link if error.code in ("link_required", "link_only_when_published") else form.answer
        target.errors = [str(MESSAGES[error.code])]
        return show_request(request_id, form, 400)
    db.session.commit()
    flash(_("Respuesta publicada."), "success")
    return redirect(url_for("opendata.show_request", request_id=request_id))


@download_limit
def download(name: str, extension: str):
    """A public table as CSV (for spreadsheets) or canonical JSON, streamed: memory stays flat
    whatever its size."""
    table = tables.TABLES.get(name) or abort(404)

    def chunks() -> Iterator[bytes]:
        session = db.session()
        if extension == "csv":
            yield from csv_chunks(table.names, table.csv_rows(session))
        else:
            head = {"dataset": table.name, "licence": data.LICENCE["name"]}
            yield from canonical_chunks(head, "items", table.items(session))

    mimetype = "text/csv; charset=utf-8" if extension == "csv" else "application/json"
    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{table.name}.{extension}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@download_limit
def datapackage():
    """The Frictionless data package describing every public CSV with its Table Schema."""
    response = jsonify(data.datapackage(db.session()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@download_limit
def dcat():
    """The catalogue as DCAT JSON-LD, for the national open-data portal's harvester."""
    response = jsonify(data.dcat(db.session()))
    response.mimetype = "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- the JSON API -------------------------------------------------------------------------------


def _api_view(operation):
    def view(**path):
        return api.respond(operation, db.session(), **path)

    view.__name__ = f"api_{operation.endpoint}"
    return api_limit(view)


API_VIEWS = {operation.endpoint: _api_view(operation) for operation in api.OPERATIONS}


def openapi():
    return api.json_answer(api.openapi())


def api_docs():
    """The API in words: each operation with its parameters, from the same declarations."""
    return render_template("opendata/api.html", operations=api.OPERATIONS)
