"""The open-data catalogue page and the data package."""

from __future__ import annotations

from flask import jsonify, render_template

from participa.core import db
from participa.core.ratelimit import api_limit, download_limit
from participa.opendata import api
from participa.opendata import catalogue as data


def catalogue():
    """Every public dataset in clear Spanish: what it holds, its columns, licence and files."""
    return render_template("opendata/catalogue.html", datasets=data.datasets(db.session()), licence=data.LICENCE)


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
