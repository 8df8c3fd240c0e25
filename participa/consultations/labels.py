"""How consultation phases are named to people."""

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
