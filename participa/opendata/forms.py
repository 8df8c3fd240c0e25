from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length

from participa.core.forms import REQUIRED
from participa.opendata import requests as rules

_required = REQUIRED


class DataRequestForm(FlaskForm):
    title = StringField(
        _l("¿Qué datos necesita?"),
        description=_l("En pocas palabras, por ejemplo: «Montos de los proyectos aprobados por comuna»."),
        validators=[
            _required,
            Length(
                min=rules.TITLE_MIN,
                max=rules.TITLE_MAX,
                message=_l("Escriba entre %(min)d y %(max)d caracteres.", min=rules.TITLE_MIN, max=rules.TITLE_MAX),
            ),
        ],
    )
    body = TextAreaField(
        _l("¿Para qué los usaría?"),
        description=_l(
            "Cuente qué información busca y para qué: ayuda a decidir qué publicar primero. No escriba datos "
            "personales: la solicitud es pública."
        ),
        validators=[
            _required,
            Length(
                min=rules.BODY_MIN,
                max=rules.BODY_MAX,
                message=_l("Escriba entre %(min)d y %(max)d caracteres.", min=rules.BODY_MIN, max=rules.BODY_MAX),
            ),
        ],
    )
    submit = SubmitField(_l("Enviar solicitud de datos"))


class SupportRequestForm(FlaskForm):
    submit = SubmitField(_l("Apoyar esta solicitud"))


class AnswerRequestForm(FlaskForm):
    status = SelectField(
        _l("Respuesta"),
        choices=[
            SelectChoice(rules.PLANNED, _l("Planificada: se publicará")),
            SelectChoice(rules.PUBLISHED, _l("Publicada")),
            SelectChoice(rules.REFUSED, _l("No es posible")),
        ],
    )
    answer = TextAreaField(
        _l("Explicación"),
        description=_l("Cuándo se publicará, dónde está o por qué no es posible, en lenguaje claro."),
        validators=[_required, Length(max=rules.ANSWER_MAX)],
    )
    link = StringField(
        _l("Enlace a los datos publicados"),
        description=_l("Solo si la respuesta es «Publicada»: una dirección web o una ruta de este sitio (/datos/…)."),
        validators=[Length(max=rules.LINK_MAX)],
    )
    submit = SubmitField(_l("Guardar respuesta"))
