from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import Email, EqualTo, Length

from participa.accounts.rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from participa.core.forms import REQUIRED

_required = REQUIRED


class LoginForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[_required, Length(max=254)])
    password = PasswordField(_l("Contraseña"), validators=[_required, Length(max=PASSWORD_MAX_LENGTH)])
    next = HiddenField()
    submit = SubmitField(_l("Ingresar"))


class SignupForm(FlaskForm):
    name = StringField(_l("Nombre completo"), validators=[_required, Length(min=2, max=120)])
    email = EmailField(
        _l("Correo electrónico"),
        validators=[_required, Email(message=_l("Escriba un correo válido, como nombre@ejemplo.cl.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Contraseña"),
        description=_l("Al menos %(n)d caracteres. Una frase fácil de recordar sirve.", n=PASSWORD_MIN_LENGTH),
        validators=[_required],
    )
    password_confirm = PasswordField(
        _l("Repita la contraseña"),
        validators=[_required, EqualTo("password", message=_l("Las contraseñas no coinciden."))],
    )
    submit = SubmitField(_l("Crear cuenta"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[_required, Length(max=254)])
    submit = SubmitField(_l("Enviar enlace"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nueva contraseña"),
        description=_l("Al menos %(n)d caracteres. Una frase fácil de recordar sirve.", n=PASSWORD_MIN_LENGTH),
        validators=[_required],
    )
    password_confirm = PasswordField(
        _l("Repita la contraseña"),
        validators=[_required, EqualTo("password", message=_l("Las contraseñas no coinciden."))],
    )
    submit = SubmitField(_l("Cambiar contraseña"))


class TotpForm(FlaskForm):
    code = StringField(
        _l("Código de 6 dígitos"),
        description=_l("Lo muestra su aplicación de autenticación (por ejemplo, FreeOTP o Google Authenticator)."),
        validators=[_required, Length(min=6, max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Verificar"))


class LocaleForm(FlaskForm):
    locale = SelectField(
        _l("Idioma"),
        choices=[
            SelectChoice("es_CL", "Español", render_kw={"lang": "es"}),
            SelectChoice("en", "English", render_kw={"lang": "en"}),
        ],
    )
    next = HiddenField()
    submit = SubmitField(_l("Cambiar idioma"))
