from __future__ import annotations

from flask import Blueprint

from participa.projects import views

bp = Blueprint("projects", __name__)

bp.add_url_rule("/comuna/proyectos", "list_projects", views.list_projects)
bp.add_url_rule("/comuna/proyectos/nuevo", "new_project", views.new_project, methods=["GET", "POST"])
bp.add_url_rule(
    "/comuna/proyectos/<int:project_id>/editar", "edit_project", views.edit_project, methods=["GET", "POST"]
)
bp.add_url_rule("/comuna/proyectos/<int:project_id>/enviar", "submit_project", views.submit_project, methods=["POST"])
bp.add_url_rule(
    "/comuna/proyectos/<int:project_id>/retirar", "withdraw_project", views.withdraw_project, methods=["POST"]
)
bp.add_url_rule("/comuna/proyectos/<int:project_id>/adjuntos", "add_attachment", views.add_attachment, methods=["POST"])
bp.add_url_rule("/gore/proyectos", "list_all_projects", views.list_all_projects)
bp.add_url_rule("/proyectos/<int:project_id>", "show_project", views.show_project)
bp.add_url_rule(
    "/proyectos/<int:project_id>/adjuntos/<int:attachment_id>", "download_attachment", views.download_attachment
)
