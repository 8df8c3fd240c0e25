from __future__ import annotations

from flask import Blueprint

from participa.opendata import views

bp = Blueprint("opendata", __name__)

bp.add_url_rule("/datos", "catalogue", views.catalogue)
bp.add_url_rule("/datos/datapackage.json", "datapackage", views.datapackage)
bp.add_url_rule("/datos/catalogo.jsonld", "dcat", views.dcat)
# The read-only JSON API
bp.add_url_rule("/api/v1/", "api_docs", views.api_docs)
bp.add_url_rule("/api/v1/openapi.json", "openapi", views.openapi)
for operation in views.api.OPERATIONS:
    bp.add_url_rule(operation.rule, f"api_{operation.endpoint}", views.API_VIEWS[operation.endpoint])
