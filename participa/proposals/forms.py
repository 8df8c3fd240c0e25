from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

from participa.core.forms import REQUIRED
from participa.proposals.rules import BODY_MAX, BODY_MIN, TITLE_MAX

_required = REQUIRED


class ProposalForm(FlaskForm):
    organisation = SelectField(_l("Organización"), coerce=int, validators=[_required])
    question = SelectField(_l("Proyecto"), coerce=int, validators=[_required])
    kind = SelectField(
        _l("Tipo"), choices=[SelectChoice("proposal", _l("Propuesta")), SelectChoice("observation", _l("Observación"))]
    )
    title = StringField(_l("Título"), validators=[_required, Length(max=TITLE_MAX)])
    body = TextAreaField(
        _l("Texto"),
        description=_l("Entre %(min)d y %(max)d caracteres. Sin enlaces ni formato.", min=BODY_MIN, max=BODY_MAX),
        validators=[
            _required,
            Length(
                min=BODY_MIN,
                max=BODY_MAX,
                message=_l("Escriba entre %(min)d y %(max)d caracteres.", min=BODY_MIN, max=BODY_MAX),
            ),
        ],
    )
    submit = SubmitField(_l("Enviar"))


class SupportForm(FlaskForm):
    organisation = SelectField(_l("Apoyar como"), coerce=int)
    submit = SubmitField(_l("Apoyar"))


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Respuesta de la comuna"), validators=[_required, Length(min=3, max=BODY_MAX)])
    submit = SubmitField(_l("Responder"))


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Motivo para ocultar"), validators=[_required, Length(min=3, max=2000)])
    submit = SubmitField(_l("Ocultar"))


class ProposalFilterForm(FlaskForm):
    """Search of a consultation's proposals (a GET form: it changes nothing, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Buscar"), description=_l("Palabras del título o del texto."), validators=[Optional(), Length(max=120)]
    )
    proyecto = SelectField(_l("Proyecto"), validators=[Optional()])
    tipo = SelectField(
        _l("Tipo"),
        choices=[
            SelectChoice("", _l("Todos")),
            SelectChoice("proposal", _l("Propuestas")),
            SelectChoice("observation", _l("Observaciones")),
        ],
        validators=[Optional()],
    )
    respuesta = SelectField(
        _l("Respuesta de la comuna"),
        choices=[
            SelectChoice("", _l("Todas")),
            SelectChoice("con", _l("Con respuesta")),
            SelectChoice("sin", _l("Sin respuesta")),
        ],
        validators=[Optional()],
    )
