"""What certification's codes mean, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REFUSALS = {
    "not_in_certification": _l("Esta consulta no está esperando certificación."),
    "no_result": _l("Esta consulta todavía no tiene un resultado calculado."),
    "stale_result": _l(
        "El resultado cambió mientras revisaba (se recalculó): revise el resultado actual antes de decidir."
    ),
    "already_decided": _l("Usted ya aprobó o rechazó este resultado: la segunda firma debe ser de otra persona."),
    "conflict": _l("No puede certificar esta consulta: %(detail)s."),
    "reason_too_short": _l("Explique el motivo del rechazo (al menos 10 caracteres)."),
    "audit_not_sealed": _l(
        "El registro de auditoría todavía no sella el último evento de la consulta. Intente de nuevo en unos segundos."
    ),
    "certified": _l("La consulta está certificada: nada de lo que produjo su resultado se puede cambiar."),
}
CONFLICTS = {
    "managed": _l("usted gestionó esta consulta"),
    "facilitated": _l("usted registró votos presenciales en ella"),
    "voted": _l("usted votó en ella por una organización"),
    "not_certifier": _l("no tiene el rol de certificador"),
    "not_manager": _l("no tiene el rol de gestor de consultas"),
}
FLAGS = {
    "late_in_person": _l("Votos presenciales sincronizados después del término de su sesión (aceptados en el plazo)"),
    "sync_conflict": _l("Votos presenciales reenviados por una tableta con un contenido distinto (rechazados)"),
    "acta_unsettled": _l("Sesiones presenciales sin acta firmada, o cuya acta no cuadra"),
    "channel_conflict": _l("Votos en línea reemplazados por un voto presencial de la misma organización"),
    "not_authorised": _l("Votos de personas que no representaban a la organización al votar"),
    "unique_weights": _l(
        "Organizaciones con un peso que ninguna otra tiene en el padrón (el total de una opción puede delatarlas)"
    ),
    "revealed_totals": _l("Totales que delatan quiénes eligieron una opción"),
    "power": _l("Organizaciones que deciden solas o pueden vetar (índice de poder)"),
}
DECISIONS = {"approve": _l("Aprobó"), "refuse": _l("Rechazó")}
CHECKS = {
    "result": _l("Huella del resultado (SHA-256 de resultado.json)"),
    "result_names": _l("Huellas del padrón y de los comprobantes escritas en el resultado"),
    "roll": _l("Huella del padrón, recalculada desde el padrón"),
    "trackers": _l("Huella de los comprobantes, recalculada desde la lista publicada"),
    "audit_block": _l("Bloque del registro de auditoría, en la cadena sellada"),
}
BLOCK_PROBLEMS = {
    "missing": _l("el bloque ya no existe en la cadena"),
    "hash_differs": _l("el bloque tiene otra huella que la del certificado"),
    "broken": _l("los eventos del bloque, su huella o su enlace con el anterior no coinciden"),
    "unlinked": _l("el bloque siguiente no enlaza con este"),
}
OUTCOMES = {
    "approved": _l("Aprobado"),
    "rejected": _l("Rechazado"),
    "consulted": _l("Consultado (resultado no vinculante)"),
}
