from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import TextInput

from participa.core.forms import REQUIRED, DocumentUploadForm
from participa.projects.labels import RATE_LABELS

_required = REQUIRED


class PesosField(IntegerField):
    """Whole pesos as people type them: 180.000.000, $ 180.000.000 or 180000000. Anything else
    gets one message, in the reader's language (not WTForms' "Not a valid integer value").
    A text input with a numeric keyboard: a number input refuses the thousands dots people type."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        digits = valuelist[0].replace("$", "").replace(".", "").replace(" ", "").strip()
        if not (digits.isascii() and digits.isdigit()) or int(digits) > 10**13:
            self.data = None
            raise ValueError(_l("Escriba un monto en pesos, sin decimales: por ejemplo 180.000.000."))
        self.data = int(digits)


class ProjectForm(FlaskForm):
    title = StringField(_l("Título"), validators=[_required, Length(max=200)])
    summary = TextAreaField(
        _l("Resumen en lenguaje claro"),
        description=_l(
            "Qué se hará, dónde y para quién, en pocas frases que cualquier vecino entienda (máximo 600 caracteres)."
        ),
        validators=[_required, Length(max=600, message=_l("Máximo 600 caracteres."))],
    )
    description = TextAreaField(_l("Descripción"), validators=[_required, Length(max=10000)])
    bip_code = StringField(
        _l("Código BIP"), description=_l("Por ejemplo 40012345-6."), validators=[Optional(), Length(max=12)]
    )
    amount_clp = PesosField(
        _l("Monto solicitado (pesos)"),
        description=_l("En pesos chilenos, sin decimales: 180.000.000 o 180000000."),
        validators=[Optional()],
    )
    axis = SelectField(_l("Eje del programa"), validators=[_required])
    sub_axis = StringField(_l("Sub-eje"), validators=[Optional(), Length(max=160)])
    commitments = SelectMultipleField(_l("Compromisos del programa vinculados"), coerce=int, validators=[Optional()])
    rate_status = SelectField(
        _l("Evaluación técnica (RATE)"), choices=[SelectChoice(r.value, label) for r, label in RATE_LABELS.items()]
    )
    rate_date = DateField(_l("Fecha de la evaluación técnica"), validators=[Optional()])
    location_text = StringField(
        _l("Dirección o lugar"),
        description=_l("Por ejemplo «Pasaje Los Aromos con Avenida Central» o «Plaza Villa Esperanza»."),
        validators=[Optional(), Length(max=250)],
    )
    latitude = DecimalField(_l("Latitud (opcional)"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = DecimalField(
        _l("Longitud (opcional)"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    submit = SubmitField(_l("Guardar borrador"))


class AttachmentForm(DocumentUploadForm):
    """A project's attachment."""


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirmar"))
