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


def majority_words(numerator: int, denominator: int, strict: bool) -> str:
    """A majority as a sentence says it: "más de la mitad", "al menos dos tercios"."""
    from flask_babel import gettext as _

    named = {(1, 2): _("la mitad"), (2, 3): _("dos tercios"), (3, 5): _("tres quintos")}
    share = named.get((numerator, denominator)) or f"{numerator}/{denominator}"
    return _("más de %(share)s", share=share) if strict else _("al menos %(share)s", share=share)
