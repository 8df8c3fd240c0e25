"""What the commitment record's codes mean, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "not_started": _l("No iniciado"),
    "in_progress": _l("En curso"),
    "fulfilled": _l("Cumplido"),
    "deprioritised": _l("Despriorizado"),
}
CRITERION_LABELS = {
    "investment": _l("Inversión aprobada"),
    "action": _l("Acción realizada"),
}
FIELD_LABELS = {
    "description": _l("Descripción"),
    "criterion": _l("Criterio de cumplimiento"),
    "division": _l("División responsable"),
    "status": _l("Estado"),
    "milestones": _l("Hitos"),
    "approved_investment_clp": _l("Inversión aprobada"),
    "beneficiaries": _l("Personas beneficiarias"),
    "comunas": _l("Comunas"),
    "links": _l("Enlaces"),
    "documents": _l("Documentos"),
    "evidence": _l("Resultados certificados"),
    "projects": _l("Proyectos vinculados"),
    "title": _l("Título"),
    "sub_axis": _l("Sub-eje"),
    "axis": _l("Eje"),
    "number": _l("Número"),
    "programme": _l("Programa"),
    "commitment": _l("Compromiso"),
}
OUTCOME_LABELS = {
    "approved": _l("aprobado"),
    "rejected": _l("rechazado"),
    "consulted": _l("consultado (no vinculante)"),
}
MESSAGES = {
    "forbidden": _l("Solo el equipo del programa de gobierno puede cambiar el registro de compromisos."),
    "reason_required": _l("Escriba el motivo del cambio: queda en el historial público."),
    "nothing_changed": _l("No cambió nada: el registro sigue igual."),
    "bad_status": _l("El estado no es válido: no iniciado, en curso, cumplido o despriorizado."),
    "bad_criterion": _l("El criterio no es válido: inversión aprobada o acción realizada."),
    "bad_number": _l("Las cifras deben ser números enteros desde 0, sin decimales."),
    "unknown_comuna": _l("Una de las comunas no existe en la Región Metropolitana."),
    "unknown_field": _l("Ese dato no se puede cambiar aquí."),
    "unknown_commitment": _l("No hay un compromiso con ese eje y número."),
    "title_required": _l("Escriba un título para el documento."),
    "document_too_large": _l("El documento supera los 10 MB."),
    "document_empty": _l("El archivo está vacío."),
    "document_type": _l(
        "El documento debe ser un PDF o una imagen (PNG o JPEG); se revisa su contenido, no su nombre."
    ),
    "document_unavailable": _l("No se pudo guardar el documento en este momento. Inténtelo de nuevo."),
    "milestone_format": _l("Línea %(line)s de los hitos: escriba «AAAA-MM-DD | qué | hecho o pendiente»."),
    "milestone_date": _l("Línea %(line)s de los hitos: la fecha no existe."),
    "milestone_state": _l("Línea %(line)s de los hitos: al final va «hecho» o «pendiente»."),
    "link_format": _l("Línea %(line)s de los enlaces: escriba «título | https://…»."),
    # The bulk file as a whole.
    "too_large": _l("El archivo supera 1 MB."),
    "not_csv": _l("No es un archivo CSV: guárdelo como «CSV (delimitado por punto y coma)» y súbalo de nuevo."),
    "missing_columns": _l("Faltan columnas obligatorias: %(detail)s."),
    "empty": _l("El archivo no tiene filas."),
}
VERIFICATION_LABELS = {
    "current": _l("Es la versión vigente del registro."),
    "earlier": _l("Es una versión anterior del registro."),
    "unknown": _l("No corresponde a ninguna versión del registro de compromisos."),
}
