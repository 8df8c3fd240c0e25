"""Forms more than one domain shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField
from wtforms.validators import DataRequired

# Every form's required field says the same, in the reader's language.
REQUIRED = DataRequired(message=_l("Este campo es obligatorio."))


class DocumentUploadForm(FlaskForm):
    """One PDF or image (its type is then read from its content, :func:`participa.core.storage.save_document`)."""

    file = FileField(
        _l("Adjuntar un documento"),
        description=_l("PDF, JPG o PNG, hasta 20 MB."),
        validators=[FileRequired(message=_l("Elija un archivo."))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    submit = SubmitField(_l("Adjuntar"))
