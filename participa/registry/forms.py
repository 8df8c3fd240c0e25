from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from participa.core.forms import REQUIRED
from participa.registry.labels import ACTION_LABELS, POSITION_LABELS, STATUS_LABELS, TYPE_LABELS

_required = REQUIRED


def _any(label: str | object) -> list[SelectChoice]:
    return [SelectChoice("", label)]


class ImportForm(FlaskForm):
    file = FileField(
        _l("Archivo CSV del catastro"),
        description=_l("CSV en UTF-8 o Windows-1252, separado por punto y coma o por comas, con encabezados."),
        validators=[FileRequired(message=_l("Elija un archivo."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField(_l("Subir e importar"))


class StatusForm(FlaskForm):
    action = SelectField(
        _l("Acción"),
        choices=[SelectChoice(a.value, label) for a, label in ACTION_LABELS.items()],
        validators=[_required],
    )
    reason = TextAreaField(
        _l("Motivo"),
        description=_l("Queda en el registro de auditoría y se muestra junto al estado."),
        validators=[_required, Length(min=3, max=2000, message=_l("Escriba entre 3 y 2000 caracteres."))],
    )
    submit = SubmitField(_l("Aplicar"))


class PublicFilterForm(FlaskForm):
    """Search of the public directory (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Nombre o RUT"), validators=[Optional(), Length(max=120)])
    comuna = SelectField(_l("Comuna"), validators=[Optional()])
    tipo = SelectField(
        _l("Tipo"),
        choices=_any(_l("Todos")) + [SelectChoice(t.value, label) for t, label in TYPE_LABELS.items()],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Buscar"))


class CuratorFilterForm(PublicFilterForm):
    """The curator's list: the public filters plus status and board expiry."""

    estado = SelectField(
        _l("Estado"),
        choices=_any(_l("Todos")) + [SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    vence = IntegerField(
        _l("Directorio vence en los próximos (días)"),
        validators=[Optional(), NumberRange(min=0, max=3650, message=_l("Escriba un número de días entre 0 y 3650."))],
    )
    submit = SubmitField(_l("Filtrar"))


class RepresentationForm(FlaskForm):
    rut = StringField(
        _l("RUT de la organización"),
        description=_l("Con o sin puntos, por ejemplo 65.123.456-7."),
        validators=[_required, Length(max=20)],
    )
    position = SelectField(
        _l("Su cargo en el directorio"),
        # A required list starts empty: nothing is chosen for the person (HTML's rule, and theirs).
        choices=[SelectChoice("", _l("Elija su cargo")), *(SelectChoice(k, v) for k, v in POSITION_LABELS.items())],
        validators=[_required],
    )
    document = FileField(
        _l("Documento de respaldo"),
        description=_l("Certificado de directorio vigente o acta de elección, en PDF, JPG o PNG, hasta 10 MB."),
        validators=[FileRequired(message=_l("Adjunte el documento."))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    submit = SubmitField(_l("Enviar solicitud"))


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[_required])
    reason = TextAreaField(_l("Motivo"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Confirmar"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo de la revocación"),
        validators=[_required, Length(min=3, max=2000, message=_l("Escriba entre 3 y 2000 caracteres."))],
    )
    submit = SubmitField(_l("Revocar"))
