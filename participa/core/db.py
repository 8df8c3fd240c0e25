"""The database: one declarative base with a constraint naming convention, one engine per
application and a scoped session that views and tasks share.

Operations flush; the request or the task commits once.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from participa.core import logic

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite has no time zones; PostgreSQL has them. Storing naive UTC in both keeps one rule.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes in UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


SANTIAGO = ZoneInfo("America/Santiago")


def santiago_to_utc(local: datetime) -> datetime:
    """A wall-clock time in Santiago, as typed in a form, to UTC for storage."""
    return local.replace(tzinfo=SANTIAGO).astimezone(UTC)


def today_santiago() -> date:
    """The calendar date in Santiago: what 'today' means to people using Participa."""
    return datetime.now(SANTIAGO).date()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class AppSession(Session):
    """A session that finds the engine of the current application and runs the callbacks
    registered with :func:`after_commit` once its transaction has committed.

    Tests bind it to a connection instead (``bind=``), which then takes precedence.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        if self.bind is not None:
            return self.bind
        return current_app.extensions["participa.engine"]

    def commit(self) -> None:
        super().commit()
        callbacks = self.info.pop("after_commit", [])
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.info.pop("after_commit", None)
        self.info.pop("outbox_rows", None)
        super().rollback()

    def close(self) -> None:
        self.info.pop("after_commit", None)
        self.info.pop("outbox_rows", None)
        super().close()


session: scoped_session[AppSession] = scoped_session(sessionmaker(class_=AppSession, expire_on_commit=False))


def _configure_sqlite(engine: Engine) -> None:
    """SQLite with real transactions and savepoints (the pysqlite driver needs help) and
    foreign keys enforced. Transactions begin IMMEDIATE: a deferred one that read and then
    writes after another writer committed fails at once ("database is locked") instead of
    waiting; taking the write lock up front makes concurrent requests wait their turn (busy
    timeout), which is what the embedded default can offer."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_app(app: Flask) -> None:
    engine = create_engine(app.config["DATABASE_URL"])
    app.extensions["participa.engine"] = engine

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        session.remove()


def engine() -> Engine:
    return current_app.extensions["participa.engine"]


@contextmanager
def statement_connection(sess: Session) -> Iterator[sa.Connection]:
    """A connection for work that is one statement and its own transaction (a database function
    that checks and writes), run in autocommit: one round trip instead of BEGIN, the statement,
    COMMIT, and no ORM transaction to keep.

    Where ``sess`` already has a transaction, or is bound to a connection (an enclosing
    transaction, as in the tests), the statement joins it instead and the caller commits: it
    must see what that transaction wrote."""
    bind = sess.get_bind()
    if sess.in_transaction() or isinstance(bind, sa.Connection):
        yield sess.connection()
        return
    with bind.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")  # the pool resets it on return
        yield connection


def is_postgresql(session: Session | None = None) -> bool:
    """Whether the database (the session's, else the application's) is PostgreSQL: the one test
    domain code makes before a statement only PostgreSQL has."""
    bind = session.get_bind() if session is not None else engine()
    return bind.dialect.name == "postgresql"


def try_transaction_lock(session: Session, key: int) -> bool:
    """Take the lock named ``key`` until the transaction ends, or answer False at once if another
    transaction holds it (so that a second run of a periodic task skips instead of waiting). On
    PostgreSQL an advisory lock; SQLite lets one writer at a time anyway, so it always answers
    True there."""
    if not is_postgresql(session):
        return True
    return bool(session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key))).scalar())


def after_commit(callback: Any, *, once: bool = False) -> None:
    """Run ``callback()`` once the current transaction of the scoped session has committed.

    Used to enqueue tasks only after the rows they need are visible to a worker; dropped if the
    transaction rolls back. With ``once``, a callback already waiting is not added again.
    """
    callbacks = session().info.setdefault("after_commit", [])
    if once and callback in callbacks:
        return
    callbacks.append(callback)


def bulk_insert(sess: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL (an order of magnitude
    faster than multi-row INSERT for imports of thousands of rows), executemany elsewhere.
    Every row must carry every column it sets; JSON values are serialised here."""
    if not rows:
        return
    columns = list(rows[0])
    connection = sess.connection()
    if connection.dialect.name != "postgresql":
        sess.execute(sa.insert(table), rows)
        return
    json_columns = {c for c in columns if isinstance(table.c[c].type, sa.JSON)}
    raw = connection.connection.driver_connection
    column_list = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c], ensure_ascii=False) if c in json_columns and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def copy_out_csv(sess: Session, query: sa.Select[Any]) -> Iterator[bytes] | None:
    """The rows of ``query`` as CSV lines (``;`` between fields, no header, LF line ends) straight
    from PostgreSQL's ``COPY ... TO STDOUT``, in the blocks it sends: the database formats and
    quotes, and memory stays flat however many rows there are. ``None`` on other databases,
    whose callers write the CSV in Python. The query's parameters come from code, never from a
    request: they are rendered into the statement (COPY takes none)."""
    connection = sess.connection()
    if connection.dialect.name != "postgresql":
        return None
    statement = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection

    def blocks() -> Iterator[bytes]:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, DELIMITER ';')") as copy,
        ):
            for block in copy:
                yield bytes(block)

    return blocks()


class JsonListContains(sa.sql.expression.ColumnElement[bool]):
    """Whether a JSON list column holds a value: ``@>`` on PostgreSQL, ``json_each`` on SQLite."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: Any, value: int) -> None:
        self.column, self.value = column, value


@compiles(JsonListContains, "postgresql")
def _contains_postgresql(element: JsonListContains, compiler: Any, **kw: Any) -> str:
    column = compiler.process(sa.cast(element.column, postgresql.JSONB), **kw)
    return f"{column} @> CAST({compiler.process(sa.literal(json.dumps([element.value])), **kw)} AS JSONB)"


@compiles(JsonListContains)
def _contains_other(element: JsonListContains, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    value = compiler.process(sa.literal(element.value), **kw)
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {value})"  # noqa: S608 (compiled)


def json_list_contains(column: Any, value: int) -> JsonListContains:
    """Whether a JSON list column holds ``value``, evaluated by the database, so that a page reads
    only the rows it shows instead of filtering every row in Python."""
    return JsonListContains(column, value)


def utc_seconds_sql(column: Any) -> Any:
    """A stored UTC time as ``2026-12-01T08:00:00Z`` in PostgreSQL (as
    :func:`participa.core.tabular.utc_seconds` writes it in Python)."""
    return sa.func.to_char(column, sa.literal_column('\'YYYY-MM-DD"T"HH24:MI:SS"Z"\''))


def next_ids(sess: Session, table: sa.Table, count: int) -> list[int] | None:
    """``count`` fresh primary keys from the table's sequence (PostgreSQL), so that rows can be
    copied in with their ids known; ``None`` where the database has no sequence to draw on."""
    connection = sess.connection()
    if connection.dialect.name != "postgresql" or count == 0:
        return None
    return list(
        sess.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        ).scalars()
    )


# --- rules written once (participa.core.logic), compiled to SQL --------------------------------


def sql_ops() -> logic.Ops:
    """The operations of :mod:`participa.core.logic` as SQL: a rule given these and columns
    returns the expression the database evaluates per row (NULL from a missing value counts as
    false through ``holds``)."""
    return logic.Ops(
        all_of=sa.and_,
        any_of=sa.or_,
        negate=sa.not_,
        equal=operator.eq,
        less=operator.lt,
        at_most=operator.le,
        missing=lambda value: value.is_(None),
        present=lambda value: value.is_not(None),
        holds=lambda condition: sa.func.coalesce(condition, sa.false()),
    )
