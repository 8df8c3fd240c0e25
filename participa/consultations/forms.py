from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participa.consultations.labels import WEIGHT_BASE_LABELS
from participa.core.forms import REQUIRED

_required = REQUIRED
_when = _l("Fecha y hora de Santiago.")


class ConsultationForm(FlaskForm):
    title = StringField(_l("Título"), validators=[_required, Length(max=200)])
    description = TextAreaField(_l("Descripción en lenguaje claro"), validators=[Optional(), Length(max=5000)])
    participation_level = SelectField(
        _l("Nivel de participación"),
        choices=[
            SelectChoice("binding", _l("Decisión vinculante")),
            SelectChoice("consultation", _l("Consulta (no vinculante)")),
            SelectChoice("information", _l("Información")),
        ],
    )
    projects = SelectMultipleField(
        _l("Proyectos admisibles en consulta"),
        coerce=int,
        validators=[DataRequired(message=_l("Elija al menos un proyecto."))],
    )
    information_at = DateTimeLocalField(
        _l("Inicio de la etapa de información"), description=_when, validators=[_required]
    )
    proposals_at = DateTimeLocalField(_l("Inicio de la etapa de propuestas"), description=_when, validators=[_required])
    voting_at = DateTimeLocalField(_l("Apertura de la votación"), description=_when, validators=[_required])
    voting_ends_at = DateTimeLocalField(_l("Cierre de la votación"), description=_when, validators=[_required])
    electorate_comunas = SelectMultipleField(
        _l("Comunas cuyas organizaciones votan"),
        coerce=int,
        description=_l("Si no elige ninguna, votan las de las comunas de los proyectos."),
        validators=[Optional()],
    )
    electorate_types = SelectMultipleField(
        _l("Tipos de organización que votan"),
        description=_l("Si no elige ninguno, votan todos los tipos."),
        validators=[Optional()],
    )
    cutoff_date = DateField(
        _l("Fecha de corte del padrón"),
        description=_l("El directorio debe estar vigente en esta fecha."),
        validators=[_required],
    )
    weight_base = SelectField(
        _l("Ponderación base"),
        choices=[SelectChoice(value, label) for value, label in WEIGHT_BASE_LABELS.items()],
    )
    type_table = TextAreaField(
        _l("Pesos por tipo"),
        description=_l("Una línea por tipo: tipo = peso (por ejemplo junta_vecinos = 2)."),
        validators=[Optional(), Length(max=2000)],
    )
    bands = TextAreaField(
        _l("Tramos de socios"),
        description=_l("Una línea por tramo: desde cuántos socios = peso (el primero desde 0)."),
        validators=[Optional(), Length(max=2000)],
    )
    territorial_home = DecimalField(
        _l("Factor para organizaciones de la comuna del proyecto"),
        places=6,
        validators=[Optional(), NumberRange(min=0)],
    )
    territorial_elsewhere = DecimalField(
        _l("Factor para organizaciones de otras comunas"), places=6, validators=[Optional(), NumberRange(min=0)]
    )
    cap_percent = DecimalField(
        _l("Tope por organización, en porcentaje del peso total"),
        places=2,
        validators=[Optional(), NumberRange(min=0.01, max=100)],
    )
    quorum_percent = DecimalField(
        _l("Quórum: porcentaje del peso del padrón que debe participar"),
        places=2,
        validators=[_required, NumberRange(min=0, max=100)],
    )
    majority = SelectField(
        _l("Mayoría requerida"),
        choices=[
            SelectChoice("simple", _l("Más de la mitad (mayoría simple)")),
            SelectChoice("three_fifths", _l("Al menos tres quintos")),
            SelectChoice("two_thirds", _l("Al menos dos tercios")),
        ],
    )
    abstentions_in_majority = BooleanField(_l("Contar las abstenciones en el cálculo de la mayoría"))
    revote_policy = SelectField(
        _l("Si una organización vota dos veces"),
        choices=[
            SelectChoice("last", _l("Cuenta el último voto emitido antes del cierre")),
            SelectChoice("first", _l("Cuenta el primer voto; no se puede cambiar")),
        ],
    )
    secrecy = SelectField(
        _l("Secreto del voto"),
        choices=[
            SelectChoice("secret", _l("Secreto: se publican los totales, nunca la opción de cada organización")),
            SelectChoice("named", _l("Nominal: la opción de cada organización es pública")),
        ],
    )
    submit = SubmitField(_l("Guardar"))


class PhaseForm(FlaskForm):
    # The phase the confirmation page offered: a second click, or a page left open while the
    # schedule moved the consultation on, changes nothing.
    target = HiddenField()
    submit = SubmitField(_l("Confirmar"))


class PublicFilterForm(FlaskForm):
    """Search of the public list of consultations (a GET form: it changes nothing, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Buscar"), description=_l("Palabras del título o la descripción."), validators=[Optional(), Length(max=120)]
    )
    etapa = SelectField(_l("Etapa"), validators=[Optional()])
    comuna = SelectField(_l("Comuna que vota"), validators=[Optional()])
