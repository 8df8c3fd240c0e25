"""WSGI entry point: ``gunicorn wsgi:app``."""

from werkzeug.middleware.proxy_fix import ProxyFix

from participa import create_app

app = create_app()
if app.config["ENV"] == "production":
    # One trusted reverse proxy in front (DESIGN §6): take the client address from it.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
