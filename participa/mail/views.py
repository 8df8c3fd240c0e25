from __future__ import annotations

from flask import abort, current_app, render_template

from participa.core import db
from participa.mail.operations import local_outbox


def outbox():
    """The local outbox of the embedded default: where a newcomer reads the confirmation and
    reset e-mails. It does not exist when a mail server is configured (production always is)."""
    if current_app.config["MAIL_BACKEND"] != "outbox" or current_app.config["ENV"] == "production":
        abort(404)
    return render_template("mail/outbox.html", messages=local_outbox(db.session()))
