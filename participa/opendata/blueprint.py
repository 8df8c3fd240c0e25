from __future__ import annotations

from flask import Blueprint

from participa.opendata import views

bp = Blueprint("opendata", __name__)

bp.add_url_rule("/datos", "catalogue", views.catalogue)
bp.add_url_rule("/datos/datapackage.json", "datapackage", views.datapackage)
bp.add_url_rule("/datos/catalogo.jsonld", "dcat", views.dcat)
