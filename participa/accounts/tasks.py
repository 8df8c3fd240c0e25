from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app, render_template
from flask_babel import gettext as _

from participa.accounts import operations as ops
from participa.core import db
from participa.core.db import utcnow
from participa.core.i18n import in_language_of
from participa.core.web import external_url
from participa.mail.operations import send_email


@shared_task(name="accounts.password_reset_mail", ignore_result=True)
def password_reset_mail(email: str, locale: str | None) -> None:
    """Look the address up and, if an active account has it, mail a reset link in the person's
    language. Done here, not in the request: the request does the same (nothing but queue this)
    whether or not the address has an account, so its timing tells nobody who is registered."""
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    found = ops.request_password_reset(db.session(), email, now=utcnow(), ttl=timedelta(hours=hours))
    if found is not None:
        user, token = found
        with in_language_of(user.locale or locale):
            body = render_template(
                "accounts/email_reset.txt",
                user=user,
                link=external_url("accounts.reset_password", token=token),
                hours=hours,
            )
            send_email(user.email, _("Cambie su contraseña de Participa"), body)
    db.session.commit()


@shared_task(name="accounts.prune_login_attempts", ignore_result=True)
def prune_login_attempts() -> int:
    """Beat, daily: sign-in attempts are kept 90 days (the privacy notice)."""
    removed = ops.prune_login_attempts(db.session(), now=utcnow())
    db.session.commit()
    return removed
