"""cProfile's figures grouped by the package a function belongs to, and a function's short name."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


PACKAGES = (
    "sqlalchemy",
    "psycopg",
    "jinja2",
    "flask_login",
    "flask_wtf",
    "flask_babel",
    "babel",
    "flask",
    "werkzeug",
    "kombu",
    "celery",
    "redis",
    "wtforms",
    "itsdangerous",
    "participa",
    "markupsafe",
)


def package_of(filename: str) -> str:
    if filename == "~":
        return "C builtins (json, hmac, re, ...)"
    for name in PACKAGES:
        if f"/{name}/" in filename:
            return name + (" (incl. waiting for the server)" if name == "psycopg" else "")
    if "/templates/" in filename or filename.startswith("<template>"):
        return "jinja2"
    return "other Python (stdlib, ...)"


SITE_PACKAGES = str(BIN.parent / "lib" / "python3.11" / "site-packages") + "/"


def label_of(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    return f"{filename.replace(str(ROOT) + '/', '').replace(SITE_PACKAGES, '')}:{line}({name})"
