"""The baseline of bench/vote_intake.py: the least a web request that writes one row can do.

One endpoint, ``POST /insert``: read two form fields, one INSERT into ``bench_baseline`` through
SQLAlchemy and psycopg 3 (the engine settings of participa.core.db.create_engine), commit, answer.
No session, no CSRF, no templates, no ORM. The table is created by bench/vote_intake.py.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/participa_bench_votes \\
        gunicorn --pythonpath bench baseline_app:app
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, request

TABLE = "bench_baseline"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, organisation integer NOT NULL,"
    " choice varchar(8) NOT NULL, at timestamptz NOT NULL DEFAULT now())"
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/participa_bench_votes"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


app = Flask(__name__)
engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_URL))  # connects on first use
_insert = sa.text(f"INSERT INTO {TABLE} (organisation, choice) VALUES (:organisation, :choice)")  # noqa: S608 (constant)


@app.post("/insert")
def insert():
    organisation = request.form.get("organisation", type=int) or 0
    choice = request.form.get("choice", "approve")[:8]
    with engine.begin() as conn:
        conn.execute(_insert, {"organisation": organisation, "choice": choice})
    return "ok\n", 201, {"Content-Type": "text/plain"}
