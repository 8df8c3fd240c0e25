"""The authenticated baseline of bench/vote_intake.py: participa's own floor for a signed-in form.

Participa's app exactly as gunicorn runs it (``wsgi:app``: its session, CSRF protection, headers,
proxy handling and error pages), with one more endpoint, ``POST /bench/insert``, that does what
the vote's confirm step does before and around its database call and nothing of the vote: the
CSRF check (before the view, as for every form), the signed-in session read without loading the
person (:func:`participa.accounts.sessions.session_identity`), then one INSERT in autocommit that
also checks the account is active and the session current, as the vote's one call does. Beside
the plain baseline (bench/baseline_app.py) it shows what the vote itself adds over the platform's
floor. Only for this benchmark: the endpoint is never registered by participa itself.

    gunicorn --pythonpath bench authenticated_app:app
"""

from __future__ import annotations

import sqlalchemy as sa
from baseline_app import TABLE
from flask import current_app, request

from participa.accounts.sessions import session_identity
from participa.core import db
from participa.core.db import statement_connection
from wsgi import app

_INSERT = sa.text(
    f"INSERT INTO {TABLE} (organisation, choice) SELECT :organisation, :choice "  # noqa: S608 (constant)
    "WHERE EXISTS (SELECT 1 FROM users WHERE id = :user AND active AND session_version = :version) RETURNING id"
)


def insert():
    identity = session_identity()
    if identity is None:
        return current_app.login_manager.unauthorized()
    values = {
        "organisation": request.form.get("organisation", type=int) or 0,
        "choice": request.form.get("choice", "approve")[:8],
        "user": identity[0],
        "version": identity[1],
    }
    with statement_connection(db.session()) as connection:
        written = connection.execute(_INSERT, values).first()
    if written is None:
        return current_app.login_manager.unauthorized()
    return "ok\n", 201, {"Content-Type": "text/plain"}


app.add_url_rule("/bench/insert", "bench_insert", insert, methods=["POST"])
