"""How consultation phases and weight schemes are named to people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from participa.consultations.rules import Phase

PHASE_LABELS = {
    Phase.DRAFT: _l("Borrador"),
    Phase.INFORMATION: _l("Información"),
    Phase.PROPOSALS: _l("Propuestas"),
    Phase.VOTING: _l("Votación"),
    Phase.COUNTING: _l("Conteo"),
    Phase.CERTIFICATION: _l("Certificación"),
    Phase.PUBLISHED: _l("Publicada"),
}

WEIGHT_BASE_LABELS = {
    "equal": _l("Igual: 1 por organización"),
    "by_type": _l("Según tipo de organización"),
    "membership_bands": _l("Según tramos de socios"),
    "sqrt_members": _l("Raíz cuadrada del número de socios (regla de Penrose)"),
}
