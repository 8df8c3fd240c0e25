"""The open-data catalogue page and the data package."""

from __future__ import annotations

from flask import jsonify, render_template

from participa.core import db
from participa.opendata import catalogue as data


def catalogue():
    """Every public dataset in clear Spanish: what it holds, its columns, licence and files."""
    return render_template("opendata/catalogue.html", datasets=data.datasets(db.session()), licence=data.LICENCE)


def datapackage():
    """The Frictionless data package describing every public CSV with its Table Schema."""
    response = jsonify(data.datapackage(db.session()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def dcat():
    """The catalogue as DCAT JSON-LD, for the national open-data portal's harvester."""
    response = jsonify(data.dcat(db.session()))
    response.mimetype = "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
