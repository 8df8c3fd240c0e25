"""How registry codes are named to people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from participa.registry.rules import CuratorAction, OrgStatus, OrgType

TYPE_LABELS = {
    OrgType.JUNTA_VECINOS: _l("Junta de vecinos"),
    OrgType.FUNCIONAL: _l("Organización comunitaria funcional"),
    OrgType.UNION_COMUNAL: _l("Unión comunal"),
    OrgType.ASOCIACION: _l("Asociación"),
    OrgType.FUNDACION: _l("Fundación"),
    OrgType.CORPORACION: _l("Corporación"),
    OrgType.OTRA: _l("Otra entidad de ley especial"),
}

STATUS_LABELS = {
    OrgStatus.PENDING: _l("Pendiente de verificación"),
    OrgStatus.VERIFIED: _l("Verificada"),
    OrgStatus.SUSPENDED: _l("Suspendida"),
    OrgStatus.DISSOLVED: _l("Disuelta"),
}

BATCH_STATUS_LABELS = {
    "queued": _l("En espera"),
    "running": _l("Importando"),
    "done": _l("Terminada"),
    "failed": _l("Falló"),
}
ACTION_LABELS = {
    CuratorAction.VERIFY: _l("Verificar"),
    CuratorAction.SUSPEND: _l("Suspender"),
    CuratorAction.REINSTATE: _l("Rehabilitar"),
    CuratorAction.DISSOLVE: _l("Marcar como disuelta"),
}

REJECTION_LABELS = {
    "invalid_rut": _l("RUT inválido"),
    "missing_field": _l("Falta un dato obligatorio"),
    "unknown_type": _l("Tipo de organización desconocido"),
    "unknown_comuna": _l("Comuna desconocida"),
    "bad_number": _l("Número de socios inválido"),
    "bad_date": _l("Fecha inválida"),
    "duplicate_in_file": _l("RUT repetido en el archivo"),
}

RUT_PROBLEM_LABELS = {
    "check_digit": _l("el dígito verificador no corresponde"),
    "format": _l("no tiene forma de RUT"),
}

OUTCOME_LABELS = {
    "accepted": _l("Nueva"),
    "updated": _l("Actualizada"),
    "unchanged": _l("Sin cambios"),
    "rejected": _l("Rechazada"),
}

FIELD_LABELS = {
    "rut": _l("RUT"),
    "legal_name": _l("Nombre"),
    "registry_number": _l("N° de registro"),
    "org_type": _l("Tipo"),
    "comuna": _l("Comuna"),
    "comuna_cut": _l("Comuna"),
    "address": _l("Dirección"),
    "members_count": _l("N° de socios"),
    "board_term_start": _l("Inicio del directorio"),
    "board_term_end": _l("Término del directorio"),
}

POSITION_LABELS = {
    "presidente": _l("Presidente/a"),
    "vicepresidente": _l("Vicepresidente/a"),
    "secretario": _l("Secretario/a"),
    "tesorero": _l("Tesorero/a"),
    "director": _l("Director/a"),
    "delegado": _l("Delegado/a con poder del directorio"),
}

REPRESENTATION_STATUS_LABELS = {
    "requested": _l("En revisión"),
    "approved": _l("Aprobada"),
    "rejected": _l("Rechazada"),
    "revoked": _l("Revocada"),
}

STRUCTURE_MESSAGES = {
    "empty": _l("El archivo está vacío."),
    "too_large": _l("El archivo es demasiado grande."),
    "unavailable": _l(
        "No pudimos guardar el archivo por un problema de nuestro servidor. No se guardó ningún cambio: "
        "inténtelo de nuevo en unos minutos."
    ),
    "encoding": _l("No se pudo leer el archivo: guárdelo como CSV en UTF-8 o Windows-1252."),
    "not_csv": _l(
        "No es un archivo CSV: en la planilla, use «Guardar como» y elija «CSV (delimitado por punto y "
        "coma)», y súbalo de nuevo."
    ),
    "no_delimiter": _l("No se encontraron columnas: el archivo debe ser CSV separado por punto y coma o por comas."),
    "missing_columns": _l("Faltan columnas obligatorias: %(detail)s. Revise los nombres de la primera fila."),
    "duplicate_column": _l("La columna «%(detail)s» aparece dos veces."),
    "no_rows": _l("El archivo tiene encabezado pero ninguna fila de datos."),
    "malformed": _l("El archivo no es un CSV válido a partir de la fila %(detail)s (revise comillas sin cerrar)."),
}


def column_names(detail: str) -> str:
    """Internal field names (``rut, org_type``) as the columns are called (RUT, Tipo)."""
    return ", ".join(str(FIELD_LABELS.get(name.strip(), name.strip())) for name in detail.split(",") if name.strip())


def label(mapping: dict, value: str | None) -> str:  # type: ignore[type-arg]
    """The reader's words for a stored code, or the code itself when it has no label."""
    if value is None:
        return ""
    for key, text in mapping.items():
        if key == value:
            return str(text)
    return value
