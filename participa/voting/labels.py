"""What voting's codes mean, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHOICE_LABELS = {"approve": _l("Aprobar"), "reject": _l("Rechazar"), "abstain": _l("Abstenerse")}
CHANNEL_LABELS = {"online": _l("En línea"), "in_person": _l("Presencial")}
STATUS_LABELS = {
    "counted": _l("Contado"),
    "superseded": _l("Reemplazado"),
    "not_admitted": _l("No admitido"),
    "received": _l("Recibido (se revisa al cierre)"),
}
REASON_LABELS = {
    "superseded": _l("la organización votó de nuevo después"),
    "outside_window": _l("se emitió fuera del plazo de votación"),
    "not_on_roll": _l("la organización no está en el padrón"),
    "not_authorised": _l("quien votó no estaba autorizado por la organización en ese momento"),
    "overridden_in_person": _l("la organización votó en forma presencial"),
    "not_admitted": _l("no cumple las reglas de admisibilidad"),
}
