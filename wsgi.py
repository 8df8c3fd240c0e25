"""WSGI entry point: ``gunicorn wsgi:app``. The client's address behind the reverse proxy is
taken from it only for requests that come from TRUSTED_PROXIES (participa/core/proxy.py)."""

from participa import create_app

app = create_app()
