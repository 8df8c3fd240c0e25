from __future__ import annotations

from flask import Blueprint

from participa.opendata import views

bp = Blueprint("opendata", __name__)

bp.add_url_rule("/datos", "catalogue", views.catalogue)
bp.add_url_rule("/datos/datapackage.json", "datapackage", views.datapackage)
bp.add_url_rule("/datos/catalogo.jsonld", "dcat", views.dcat)
_TABLES = ", ".join(f"'{name}'" for name in views.tables.TABLES)
bp.add_url_rule(f"/datos/<any({_TABLES}):name>.<any(csv, json):extension>", "download", views.download)
# Data requests
bp.add_url_rule("/datos/solicitudes", "list_requests", views.list_requests)
bp.add_url_rule("/datos/solicitudes", "file_request", views.file_request, methods=["POST"])
bp.add_url_rule("/datos/solicitudes/<int:request_id>", "show_request", views.show_request)
bp.add_url_rule(
    "/datos/solicitudes/<int:request_id>/apoyar", "support_request", views.support_request, methods=["POST"]
)
bp.add_url_rule(
    "/datos/solicitudes/<int:request_id>/responder", "answer_request", views.answer_request, methods=["POST"]
)
# The read-only JSON API
bp.add_url_rule("/api/v1/", "api_docs", views.api_docs)
bp.add_url_rule("/api/v1/openapi.json", "openapi", views.openapi)
for operation in views.api.OPERATIONS:
    bp.add_url_rule(operation.rule, f"api_{operation.endpoint}", views.API_VIEWS[operation.endpoint])
