from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class BallotForm(FlaskForm):
    """The CSRF token and buttons of the ballot. The answers are radio groups named q-<id>,
    read and checked one by one in the view: their number depends on the consultation."""

    submit = SubmitField(_l("Revisar mi voto"))


class ReceiptForm(FlaskForm):
    """The receipt lookup: the code is posted (with the form's CSRF token), never put in the
    address, where access logs and browser histories would keep it."""

    codigo = StringField(
        _l("Código del comprobante"), validators=[DataRequired(message=_l("Escriba el código.")), Length(max=40)]
    )
    submit = SubmitField(_l("Verificar"))
