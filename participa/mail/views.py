from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template

from participa.core import db
from participa.mail.models import OutboxMessage


def outbox():
    """The local outbox of the embedded default: where a newcomer reads the confirmation and
    reset e-mails. It does not exist when a mail server is configured (production always is)."""
    if current_app.config["MAIL_BACKEND"] != "outbox" or current_app.config["ENV"] == "production":
        abort(404)
    messages = db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)).scalars()
    return render_template("mail/outbox.html", messages=list(messages))
