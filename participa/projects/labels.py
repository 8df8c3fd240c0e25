"""How project codes are named to people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from participa.projects.rules import ProjectState, RateStatus

STATE_LABELS = {
    ProjectState.DRAFT: _l("Borrador"),
    ProjectState.SUBMITTED: _l("Enviado: en revisión de admisibilidad"),
    ProjectState.ADMISSIBLE: _l("Admisible"),
    ProjectState.INADMISSIBLE: _l("Inadmisible: requiere correcciones"),
    ProjectState.IN_CONSULTATION: _l("En consulta"),
    ProjectState.CONSULTED: _l("Consultado"),
    ProjectState.APPROVED: _l("Aprobado por resultado vinculante"),
    ProjectState.REJECTED: _l("Rechazado por resultado vinculante"),
    ProjectState.WITHDRAWN: _l("Retirado"),
}

RATE_LABELS = {
    RateStatus.RS: _l("RS: recomendado satisfactoriamente"),
    RateStatus.FI: _l("FI: falta información"),
    RateStatus.OT: _l("OT: objetado técnicamente"),
    RateStatus.NV: _l("NV: no vigente"),
    RateStatus.IN: _l("IN: incumplimiento de normativa"),
    RateStatus.NONE: _l("Sin evaluación técnica"),
}

RULE_LABELS = {
    "required_fields": _l("Datos obligatorios completos"),
    "bip_format": _l("Código BIP con formato válido (8 dígitos, guion y dígito)"),
    "amount_bounds": _l("Monto dentro de los límites del fondo"),
    "technical_status": _l("Evaluación técnica RS vigente"),
    "comuna_matches_submitter": _l("La comuna del proyecto es la de quien lo presenta"),
    "commitment_linked": _l("Vinculado a compromisos del programa que existen"),
}

REASON_LABELS = {
    "missing": _l("Faltan: %(detail)s"),
    "bad_format": _l("El código «%(detail)s» no tiene el formato 12345678-9."),
    "out_of_bounds": _l("El monto debe estar entre %(detail)s pesos."),
    "not_rs": _l("La evaluación técnica es «%(detail)s»; se requiere RS."),
    "rs_date_invalid": _l("Falta la fecha de la RS o es futura."),
    "rs_expired": _l("La RS del %(detail)s ya no está vigente."),
    "other_comuna": _l("La comuna no coincide con la de su cuenta."),
    "none_linked": _l("Vincule al menos un compromiso del programa."),
    "unknown": _l("Compromisos inexistentes: %(detail)s"),
}

FIELD_NAMES = {
    "title": _l("Título"),
    "summary": _l("Resumen en lenguaje claro"),
    "description": _l("Descripción"),
    "axis": _l("Eje del programa"),
    "bip_code": _l("Código BIP"),
    "amount_clp": _l("Monto solicitado"),
}


def reason_text(verdict: dict) -> str:  # type: ignore[type-arg]
    reason = verdict.get("reason")
    if not reason:
        return ""
    detail = verdict.get("detail") or ""
    if reason == "missing":
        detail = ", ".join(str(FIELD_NAMES.get(name.strip(), name)) for name in detail.split(","))
    if reason == "out_of_bounds" and ".." in detail:
        low, high = detail.split("..")
        detail = f"{int(low):,} – {int(high):,}".replace(",", ".")
    template = REASON_LABELS.get(reason)
    return str(template) % {"detail": detail} if template else reason
