"""Engines and sessions: the only place that knows how to connect to a database."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from akhbar.errors import AkhbarError

WRITE_OPTION = "akhbar_write"  # execution option: this transaction will write (SQLite: IMMEDIATE)
DEFAULT_CONNECT_TIMEOUT = 10  # seconds (settings: database_connect_timeout)
SQLITE_BUSY_MS = 30_000  # how long a SQLite connection waits for another writer


class DatabaseURLError(AkhbarError, ValueError):
    """The database URL cannot be used (bad syntax or unsupported backend)."""


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs; check the backend."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a long message
        raise DatabaseURLError(f"invalid database URL {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseURLError(f"unsupported database backend {backend!r} (sqlite or postgresql)")
    return parsed.render_as_string(hide_password=False)


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist (None for PostgreSQL, in-memory
    databases and existing files): connecting would create an empty database, which a command
    that only reads must not leave behind."""
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None  # SQLite URI filenames: let SQLite interpret them
    path = Path(parsed.database)
    return None if path.exists() else path


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (RELEASE would commit): let
    # SQLAlchemy emit BEGIN itself, as its documentation recommends.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")  # first: the pragmas below wait too
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent: done once per file). Switching needs a moment alone
    with the file and SQLite answers "database is locked" at once, without its busy handler,
    while another process is creating the schema: retried until the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(conn: Any) -> None:
    # Sessions that will write take the write lock up front (BEGIN IMMEDIATE, waiting up to the
    # busy timeout): a deferred transaction that read first and writes later fails at once with
    # "database is locked" when another process (a second crawl) committed in between.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(
    url: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT, **kwargs: Any
) -> Engine:
    """Create an engine; SQLite gets WAL mode, foreign keys and a busy timeout.

    PostgreSQL connections give up after ``connect_timeout`` seconds (psycopg's minimum is 2):
    a server that accepts the TCP connection but never answers would otherwise hang a command
    for minutes, until the operating system drops the socket. SQLite opens a local file, so
    only its busy timeout (waiting for another writer) applies there.
    """
    url = normalise_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("connect_timeout", max(int(connect_timeout), 2))
    return create_engine(url, connect_args=connect_args, **kwargs)


def make_session_factory(
    engine: Engine | Connection, *, write: bool = False
) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write=True`` for units of work that read, then write.

    Given a connection in a transaction, each session runs in a SAVEPOINT of that transaction
    instead: a session's commit or rollback stays inside it, and the connection's owner decides
    its fate (the test suite rolls it back). The owner began the transaction, so ``write`` has
    no effect there.
    """
    if isinstance(engine, Connection):
        return sessionmaker(
            engine, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def scratch_postgres_database(
    server_url: str, prefix: str = "akhbar_scratch", *, template: str | None = None
) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url`` (whose own database is
    only used to connect), dropped on exit even while connections remain: the test suite and
    the benchmarks run against their own databases without touching each other's. With
    ``template`` (a database nobody is connected to), a copy of that database instead."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
