from __future__ import annotations

from flask import Blueprint

from participa.registry import views
from participa.registry.operations import RegistryError

bp = Blueprint("registry", __name__)
bp.register_error_handler(RegistryError, views.refused)

# Curators
bp.add_url_rule("/catastro/importaciones", "list_imports", views.list_imports, methods=["GET", "POST"])
bp.add_url_rule("/catastro/importaciones/<int:batch_id>", "show_import", views.show_import)
bp.add_url_rule("/catastro/importaciones/<int:batch_id>/estado", "import_status", views.import_status)
bp.add_url_rule("/catastro/importaciones/<int:batch_id>/informe.csv", "import_report", views.import_report)
bp.add_url_rule("/catastro/organizaciones", "list_organisations", views.list_organisations)
bp.add_url_rule("/catastro/organizaciones/<int:org_id>", "show_organisation", views.show_organisation)
bp.add_url_rule("/catastro/organizaciones/<int:org_id>/estado", "change_status", views.change_status, methods=["POST"])
bp.add_url_rule("/catastro/representantes", "list_representations", views.list_representations)
bp.add_url_rule(
    "/catastro/representantes/<int:rep_id>/decision",
    "decide_representation",
    views.decide_representation,
    methods=["POST"],
)
bp.add_url_rule(
    "/catastro/representantes/<int:rep_id>/revocar",
    "revoke_representation",
    views.revoke_representation,
    methods=["POST"],
)
# Signed-in people
bp.add_url_rule("/mis-organizaciones", "my_organisations", views.my_organisations, methods=["GET", "POST"])
bp.add_url_rule("/representaciones/<int:rep_id>/documento", "representation_document", views.representation_document)
# Public
bp.add_url_rule("/organizaciones", "public_list", views.public_list)
bp.add_url_rule("/organizaciones/<rut>", "public_organisation", views.public_organisation)
bp.add_url_rule("/datos/organizaciones.csv", "public_csv", views.public_csv)
bp.add_url_rule("/datos/organizaciones.json", "public_json", views.public_json)
