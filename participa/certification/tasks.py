from __future__ import annotations

from celery import shared_task
from flask import render_template
from flask_babel import gettext as _

from participa.certification import operations
from participa.consultations.models import Consultation
from participa.consultations.operations import representatives_to_notify
from participa.core import db
from participa.core.i18n import in_language_of
from participa.core.web import external_url
from participa.mail.operations import send_email


@shared_task(name="certification.notify_roll", ignore_result=True)
def notify_roll(consultation_id: int) -> None:
    """Tell every representative of an organisation on the roll, in their language, that the
    result is certified, with the certificate's link. Stable keys: run twice, mails once."""
    session = db.session()
    consultation = session.get(Consultation, consultation_id)
    certification = operations.certificate_of(session, consultation_id)
    if consultation is None or certification is None:
        return
    link = external_url("certification.certificate", code=certification.code)
    for user in representatives_to_notify(session, consultation):
        with in_language_of(user.locale):
            send_email(
                user.email,
                _("Resultado certificado: %(title)s", title=consultation.title),
                render_template(
                    "certification/email_certified.txt",
                    user=user,
                    consultation=consultation,
                    certification=certification,
                    link=link,
                ),
                key=f"certified-{consultation_id}-{user.id}",
            )
    session.commit()
