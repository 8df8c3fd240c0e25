from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField
from wtforms.validators import Length

from participa.core.forms import REQUIRED

_required = REQUIRED
_when = _l("Fecha y hora de Santiago.")


class SessionForm(FlaskForm):
    place = StringField(
        _l("Lugar"),
        validators=[_required, Length(max=200)],
        description=_l("Dónde se vota: sede, gimnasio, plaza, con su dirección."),
    )
    comuna = SelectField(
        _l("Comuna que atiende"),
        coerce=int,
        description=_l(
            "Solo votan allí las organizaciones del padrón de esa comuna. «Todas» atiende el padrón completo."
        ),
    )
    starts_at = DateTimeLocalField(_l("Comienza"), validators=[_required], description=_when)
    ends_at = DateTimeLocalField(_l("Termina"), validators=[_required], description=_when)
    facilitator = SelectField(_l("Facilitador o facilitadora"), coerce=int, validators=[_required])
    submit = SubmitField(_l("Programar la sesión"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revocar la tableta"))
