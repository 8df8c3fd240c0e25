"""How roles are named to people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from participa.accounts.rules import Role

ROLE_LABELS = {
    Role.REPRESENTATIVE: _l("Representante de organización"),
    Role.MUNICIPAL_STAFF: _l("Funcionario/a municipal"),
    Role.FACILITATOR: _l("Facilitador/a de sesiones presenciales"),
    Role.CURATOR: _l("Curador/a del catastro (GORE)"),
    Role.MANAGER: _l("Gestor/a de consultas (GORE)"),
    Role.CERTIFIER: _l("Certificador/a (GORE)"),
    Role.PROGRAMME_STAFF: _l("Equipo del programa de gobierno (GORE)"),
    Role.NETWORK_STAFF: _l("Equipo de la Red Regional de Gobierno Abierto (GORE)"),
    Role.ADMIN: _l("Administrador/a de la plataforma"),
}


def role_label(role: str) -> str:
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role
