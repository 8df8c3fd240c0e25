"""Participa: binding citizen participation and commitment accountability for the Gobierno
Regional Metropolitano de Santiago."""

from __future__ import annotations

from typing import Any

from flask import Flask

from participa.config import INSTANCE, ROOT, build_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    app.config.update(build_config(config))

    from participa.core import celery, db, i18n, ratelimit, security, web

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    celery.init_app(app)
    web.init_app(app)
    ratelimit.init_app(app)

    _register_blueprints(app)

    # Task modules, so that workers know every task by name.
    import participa.accounts.tasks
    import participa.audit.tasks
    import participa.certification.tasks
    import participa.consultations.tasks
    import participa.core.tasks
    import participa.mail.tasks
    import participa.projects.tasks
    import participa.proposals.tasks
    import participa.registry.tasks
    import participa.voting.tasks  # noqa: F401
    from participa.cli import register_commands

    register_commands(app)
    from participa.core.proxy import TrustedProxies

    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    return app


def _register_blueprints(app: Flask) -> None:
    """Every domain's pages, and the sign-in manager."""
    from participa.accounts.blueprint import bp as accounts_bp
    from participa.accounts.blueprint import init_login
    from participa.admin.blueprint import bp as admin_bp
    from participa.audit.blueprint import bp as audit_bp
    from participa.certification.blueprint import bp as certification_bp
    from participa.commitments.blueprint import bp as commitments_bp
    from participa.consultations.blueprint import bp as consultations_bp
    from participa.facilitation.blueprint import bp as facilitation_bp
    from participa.mail.blueprint import bp as mail_bp
    from participa.network.blueprint import bp as network_bp
    from participa.opendata.blueprint import bp as opendata_bp
    from participa.projects.blueprint import bp as projects_bp
    from participa.proposals.blueprint import bp as proposals_bp
    from participa.public.blueprint import bp as public_bp
    from participa.registry.blueprint import bp as registry_bp
    from participa.voting.blueprint import bp as voting_bp

    init_login(app)
    for blueprint in (
        public_bp,
        accounts_bp,
        admin_bp,
        audit_bp,
        mail_bp,
        registry_bp,
        projects_bp,
        consultations_bp,
        voting_bp,
        certification_bp,
        facilitation_bp,
        commitments_bp,
        opendata_bp,
        proposals_bp,
        network_bp,
    ):
        app.register_blueprint(blueprint)
