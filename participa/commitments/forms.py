from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from participa.commitments.labels import CRITERION_LABELS, STATUS_LABELS
from participa.core.forms import REQUIRED

_required = REQUIRED


class CommitmentForm(FlaskForm):
    status = SelectField(_l("Estado"), choices=list(STATUS_LABELS.items()))
    description = TextAreaField(
        _l("Descripción en lenguaje claro"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Qué se prometió y qué significa para las personas, sin siglas."),
    )
    criterion = SelectField(
        _l("Criterio de cumplimiento"), choices=[("", _l("Sin definir")), *CRITERION_LABELS.items()]
    )
    division = StringField(_l("División responsable"), validators=[Optional(), Length(max=160)])
    approved_investment_clp = IntegerField(
        _l("Inversión aprobada (pesos)"),
        validators=[Optional(), NumberRange(min=0, message=_l("Un número entero desde 0."))],
        description=_l("Solo números, sin puntos ni signo $."),
    )
    beneficiaries = IntegerField(
        _l("Personas beneficiarias"),
        validators=[Optional(), NumberRange(min=0, message=_l("Un número entero desde 0."))],
    )
    comunas = SelectMultipleField(
        _l("Comunas a las que llega"), coerce=int, description=_l("Ninguna: el compromiso es regional.")
    )
    milestones = TextAreaField(
        _l("Hitos"),
        validators=[Optional(), Length(max=10000)],
        description=_l("Uno por línea: «2026-03-31 | Licitación adjudicada | hecho» (o «pendiente»)."),
    )
    links = TextAreaField(
        _l("Enlaces"),
        validators=[Optional(), Length(max=10000)],
        description=_l("Uno por línea: «Decreto de aprobación | https://…»."),
    )
    reason = TextAreaField(
        _l("Motivo del cambio"),
        validators=[_required, Length(max=1000)],
        description=_l("Queda en el historial público del compromiso."),
    )
    submit = SubmitField(_l("Guardar una nueva versión"))


class DocumentForm(FlaskForm):
    title = StringField(_l("Título del documento"), validators=[_required, Length(max=200)])
    file = FileField(
        _l("Archivo (PDF, PNG o JPEG, hasta 10 MB)"),
        validators=[FileRequired(_l("Elija un archivo."))],
        description=_l("El documento queda público en la ficha del compromiso: no suba datos personales."),
    )
    submit = SubmitField(_l("Agregar el documento"))


class BulkForm(FlaskForm):
    file = FileField(_l("Archivo CSV"), validators=[FileRequired(_l("Elija un archivo."))])
    submit = SubmitField(_l("Revisar y aplicar"))


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a GET lookup changes nothing

    huella = StringField(
        _l("Huella digital (SHA-256)"),
        validators=[_required, Length(max=100)],
        description=_l("Los 64 caracteres impresos en la ficha, con o sin espacios."),
    )
