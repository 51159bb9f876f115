"""Run the dashboard: datasette on one SQLite file, opened read-only, served by uvicorn.

Read-only by construction: every connection, including the one datasette would write with,
is opened ``mode=ro`` with ``PRAGMA query_only``, so no page, plugin or typed SQL can change
the database; a crawler or the scheduler may keep writing to it meanwhile (WAL readers see
each committed transaction). No plugin that writes is installed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from akhbar.dashboard import plugin
from akhbar.dashboard.metadata import DATABASE, metadata
from akhbar.errors import AkhbarError

log = logging.getLogger(__name__)

SETTINGS = {
    "sql_time_limit_ms": 5000,  # a query typed in the SQL box must not hold a thread for long
    "facet_time_limit_ms": 500,
    "truncate_cells_html": 300,  # article texts
    "default_cache_ttl": 0,  # the database changes while the crawler runs
}


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write to the file (nor create it)."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


class ReadOnlyDatabase(Database):  # type: ignore[misc]
    """A datasette database whose every connection is read-only, the writer's included."""

    def connect(self, write: bool = False) -> sqlite3.Connection:
        conn = connect_read_only(Path(self.path))
        self._all_file_connections.append(conn)
        return conn


def check_database(path: Path) -> None:
    """Refuse a file that is not an akhbar database, opening it read-only (``akhbar serve``
    may run as a user who can only read it)."""
    try:
        conn = connect_read_only(path)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise AkhbarError(f"cannot read {path} as a SQLite database: {exc}") from exc
    if not {"alembic_version", "articles", "articles_fts"} <= tables:
        raise AkhbarError(f"{path} has no akhbar schema (run `akhbar db upgrade` or a crawl first)")


def build_datasette(path: Path) -> Any:
    """The datasette application on the SQLite file at ``path`` (named ``akhbar``)."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name="akhbar")
    ds = Datasette(metadata=metadata(), settings=SETTINGS)
    ds.add_database(ReadOnlyDatabase(ds, path=str(path), is_mutable=True), name=DATABASE)
    return ds


def serve(path: Path, host: str, port: int) -> None:
    """Serve the dashboard on the akhbar database at ``path`` until interrupted (raises
    :class:`AkhbarError` first when it is not one)."""
    check_database(path)
    ds = build_datasette(path)
    asyncio.run(ds.invoke_startup())
    log.info("dashboard on http://%s:%d/ for %s (read-only)", host, port, path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1)
