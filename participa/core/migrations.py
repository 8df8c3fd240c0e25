"""Alembic, driven from the application: ``flask db upgrade`` and friends."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from participa.config import ROOT


def alembic_config(app: Flask) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["engine"] = app.extensions["participa.engine"]
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)
