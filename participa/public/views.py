from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify, render_template

from participa.accounts.rules import PASSWORD_MIN_LENGTH
from participa.core import db


def home():
    """What Participa is, and what is open for voting now; for a representative, which of their
    organisations have voted and which have not yet."""
    from flask_login import current_user

    from participa.core.db import utcnow
    from participa.voting.operations import open_ballots

    user = current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]
    return render_template("public/home.html", open_ballots=open_ballots(db.session(), user, utcnow()))


def healthz():
    """Database and broker status for load balancers and the compose health check."""
    status: dict[str, str] = {}
    healthy = True
    try:
        db.session.execute(sa.text("SELECT 1"))
        status["database"] = "ok"
    except Exception as error:
        healthy = False
        status["database"] = f"error: {type(error).__name__}"
    finally:
        db.session.rollback()
    if current_app.config["TASKS_EAGER"]:
        status["broker"] = "in-process"
    else:
        try:
            celery_app = current_app.extensions["celery"]
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            status["broker"] = "ok"
        except Exception as error:
            healthy = False
            status["broker"] = f"error: {type(error).__name__}"
    status["status"] = "ok" if healthy else "error"
    response = jsonify(status)
    response.status_code = 200 if healthy else 503
    return response


def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the icon is an SVG."""
    from flask import redirect, url_for

    return redirect(url_for("static", filename="favicon.svg"), 301)


def help_page():
    """How to take part, step by step, in clear language."""
    return render_template(
        "public/help.html", contact=current_app.config["CONTACT_EMAIL"], password_min=PASSWORD_MIN_LENGTH
    )


def accessibility():
    """The accessibility statement: the standard aimed at, how it is checked, what is known not
    to meet it, and how to report a barrier."""
    return render_template("public/accessibility.html", contact=current_app.config["CONTACT_EMAIL"])


def privacy():
    """What personal data Participa keeps, why, who sees it, for how long, and people's rights."""
    return render_template("public/privacy.html", contact=current_app.config["CONTACT_EMAIL"])
