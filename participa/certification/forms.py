from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from participa.certification.rules import REASON_MIN


class ApproveForm(FlaskForm):
    """Approve the result shown: the form carries its hash, so that a result recomputed while
    the page was open is not approved unseen."""

    sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    reviewed = BooleanField(
        _l("Revisé los veredictos, la admisibilidad, las alertas y las huellas de este resultado."),
        validators=[DataRequired(message=_l("Confirme que revisó el resultado."))],
    )
    submit = SubmitField(_l("Aprobar y firmar"))


class RefuseForm(FlaskForm):
    sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    reason = TextAreaField(
        _l("Motivo del rechazo"),
        description=_l("Qué hay que corregir antes de recontar. Lo verán los gestores y quedará en el registro."),
        validators=[
            DataRequired(message=_l("Escriba el motivo.")),
            Length(
                min=REASON_MIN,
                max=2000,
                message=_l("El motivo debe tener entre %(min)d y %(max)d caracteres.", min=REASON_MIN, max=2000),
            ),
        ],
    )
    submit = SubmitField(_l("Rechazar y pedir recuento"))


class RecountForm(FlaskForm):
    submit = SubmitField(_l("Recontar"))


class CertificateCodeForm(FlaskForm):
    """The certificate code, typed by anyone. Certificate codes are public: a GET form, whose
    address can be shared."""

    class Meta:
        csrf = False

    codigo = StringField(
        _l("Código del certificado"),
        description=_l("Diez letras y números, como 7K3QD-M9XWA. Está bajo el código QR del certificado."),
        validators=[DataRequired(message=_l("Escriba el código.")), Length(max=40)],
    )
    submit = SubmitField(_l("Verificar certificado"))
