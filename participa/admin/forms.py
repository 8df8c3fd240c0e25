from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Optional

from participa.accounts.labels import ROLE_LABELS


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Buscar por nombre o correo"), validators=[Optional()])


class AssignRoleForm(FlaskForm):
    role = SelectField(
        _l("Rol"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired(message=_l("Elija un rol."))],
    )
    comuna = SelectField(
        _l("Comuna (solo funcionarios municipales)"),
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        validators=[Optional()],
    )
    submit = SubmitField(_l("Asignar rol"))


class RevokeRoleForm(FlaskForm):
    role = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Quitar"))
