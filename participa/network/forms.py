from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

from participa.core.forms import REQUIRED, DocumentUploadForm
from participa.network import rules
from participa.network.labels import KIND_LABELS, MEMBER_STATUS_LABELS, PILLAR_LABELS

_required = REQUIRED


def _text(label, description=None, low=rules.TEXT_MIN, high=rules.TEXT_MAX):
    return TextAreaField(
        label,
        description=description,
        validators=[
            _required,
            Length(min=low, max=high, message=_l("Escriba entre %(min)d y %(max)d caracteres.", min=low, max=high)),
        ],
    )


class PracticeForm(FlaskForm):
    member = SelectField(_l("Miembro de la red"), coerce=int, validators=[_required])
    title = StringField(_l("Título"), validators=[_required, Length(max=rules.TITLE_MAX)])
    pillar = SelectField(
        _l("Pilar"), choices=[SelectChoice(k, v) for k, v in PILLAR_LABELS.items()], validators=[_required]
    )
    summary = _text(_l("Resumen en lenguaje claro"), _l("Qué se hizo, para quién y por qué, en pocas frases."))
    results = _text(_l("Resultados"), _l("Qué cambió: cifras, testimonios, lo aprendido."))
    how_to_replicate = _text(_l("Cómo replicarla"), _l("Qué necesita otra comuna para hacerlo: pasos, equipo, costos."))
    submit = SubmitField(_l("Enviar a revisión"))


class ReviewForm(FlaskForm):
    decision = SelectField(
        _l("Decisión"),
        choices=[SelectChoice("publish", _l("Publicar")), SelectChoice("refuse", _l("No publicar"))],
        validators=[_required],
    )
    reason = TextAreaField(
        _l("Motivo (obligatorio para no publicar)"), validators=[Optional(), Length(max=rules.TEXT_MAX)]
    )
    submit = SubmitField(_l("Guardar revisión"))


class ReplicationForm(FlaskForm):
    member = SelectField(_l("Como"), coerce=int, validators=[_required])
    note = _text(_l("Cómo la replicaron"), None, rules.NOTE_MIN, rules.NOTE_MAX)
    submit = SubmitField(_l("La replicamos"))


class MemberForm(FlaskForm):
    kind = SelectField(_l("Tipo"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    comuna = SelectField(_l("Comuna"), validators=[Optional()])
    name = StringField(_l("Nombre (para el consejo o una organización)"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Estado"),
        choices=[SelectChoice(k, MEMBER_STATUS_LABELS[k]) for k in ("pilot", "member")],
    )
    joined_on = DateField(_l("Fecha de ingreso"), validators=[_required])
    submit = SubmitField(_l("Agregar a la red"))


class MemberStatusForm(FlaskForm):
    status = SelectField(_l("Nuevo estado"), choices=[SelectChoice(k, v) for k, v in MEMBER_STATUS_LABELS.items()])
    on = DateField(_l("Desde"), validators=[_required])
    submit = SubmitField(_l("Cambiar estado"))


class LiaisonForm(FlaskForm):
    email = StringField(
        _l("Correo de la persona de enlace"),
        description=_l("La cuenta de quien hablará por el miembro. Vacío: sin enlace."),
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField(_l("Guardar enlace"))


class LibraryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Buscar"), validators=[Optional(), Length(max=120)])
    pilar = SelectField(
        _l("Pilar"), choices=[SelectChoice("", _l("Todos"))] + [SelectChoice(k, v) for k, v in PILLAR_LABELS.items()],
        validators=[Optional()],
    )  # fmt: skip
    comuna = SelectField(_l("Comuna"), validators=[Optional()])


class MeetingForm(FlaskForm):
    title = StringField(_l("Título"), validators=[_required, Length(max=rules.TITLE_MAX)])
    kind = SelectField(
        _l("Tipo"), choices=[SelectChoice("training", _l("Formación")), SelectChoice("exchange", _l("Intercambio"))]
    )
    starts_at = DateTimeLocalField(
        _l("Fecha y hora (hora de Santiago)"), format="%Y-%m-%dT%H:%M", validators=[_required]
    )
    place = StringField(_l("Lugar"), validators=[Optional(), Length(max=250)])
    link = StringField(_l("Enlace para conectarse"), description=_l("Si es en línea: https://…"),
                       validators=[Optional(), Length(max=500)])  # fmt: skip
    agenda = _text(_l("Programa"), _l("Los temas, en orden, y quién los presenta."))
    submit = SubmitField(_l("Convocar"))


class RegistrationForm(FlaskForm):
    member = SelectField(_l("Inscribir a"), coerce=int, validators=[_required])
    submit = SubmitField(_l("Inscribir"))


class MinutesForm(FlaskForm):
    minutes = _text(_l("Acta"), _l("Lo conversado, los acuerdos y los materiales, en lenguaje claro."))
    submit = SubmitField(_l("Publicar el acta"))


class DocumentForm(DocumentUploadForm):
    """A practice's document."""
