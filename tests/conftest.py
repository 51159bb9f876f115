"""Shared fixtures: the read-only shared inputs, both databases, the local news web.

Two ways to a database, on SQLite and on PostgreSQL alike:

* ``db_connection``: a connection to a database migrated once per session, in a transaction
  rolled back after the test. A ``Repository(db_connection)`` commits into savepoints of that
  transaction. For tests of one process on one connection: most storage tests.
* ``migrated_db_url``: a fresh database of its own, already migrated (a copy of a template
  migrated once per session). For tests of several connections or processes, of isolation
  between transactions, of locks, crashes and outages, and for code that opens its own engine
  (the CLI, the readers, health).
* ``db_url``: a fresh, empty database: for tests of migrations and of commands that create
  the schema themselves.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from akhbar.storage.database import make_engine, scratch_postgres_database
from akhbar.storage.migrate import upgrade

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_PAGES_DIR = REPO_ROOT / "tests" / "fixtures" / "seed-pages"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the clone: third-party pages we may not copy into the repository.

    CI has it, so there a missing directory fails; a clone without it skips these tests.
    """
    if not SHARED_DIR.is_dir():
        message = f"third-party test pages not found at {SHARED_DIR}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DIR


@pytest.fixture(scope="session")
def seed_pages_dir() -> Path:
    """Our two seed pages (the texts akhbar was specified from), kept in the repository."""
    return SEED_PAGES_DIR


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server for the storage suite; in CI a missing server is a failure."""
    url = os.environ.get("AKHBAR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        message = f"PostgreSQL not reachable at {url}: {type(exc).__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards (runs never collide)."""
    with scratch_postgres_database(postgres_server_url, "akhbar_t") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'akhbar.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'akhbar.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# tests with these markers start processes or servers: all of them are slow
_SLOW_KINDS = ("e2e", "install", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test-fast`` runs ``pytest -m "not slow"``: e2e, install and browser tests are
    slow without saying so; other slow tests carry ``@pytest.mark.slow`` themselves."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in _SLOW_KINDS):
            item.add_marker(pytest.mark.slow)


def migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file for ``migrated_db_url`` to copy (a copy is faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "akhbar.db"
    migrated(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """The name of a migrated PostgreSQL database for ``migrated_db_url`` to copy; nothing
    stays connected to it (PostgreSQL copies only a database nobody uses)."""
    with scratch_postgres_database(postgres_server_url, "akhbar_tmpl") as url:
        yield str(make_url(migrated(url)).database)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url``, a fresh database of the test's own, but already migrated."""
    if request.param == "sqlite":
        target = tmp_path / "akhbar.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    template: str = request.getfixturevalue("postgres_template")
    with scratch_postgres_database(server, "akhbar_t", template=template) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database migrated once for the session (tests leave it empty)."""
    return migrated(f"sqlite:///{tmp_path_factory.mktemp('migrated') / 'akhbar.db'}")


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated once for the session (tests leave it empty)."""
    with scratch_postgres_database(postgres_server_url, "akhbar_t") as url:
        yield migrated(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the session's migrated database, each backend in turn."""
    name = "migrated_sqlite_url" if request.param == "sqlite" else "migrated_postgres_url"
    engine = make_engine(request.getfixturevalue(name))
    yield engine
    engine.dispose()


# the tables a test in a rolled-back transaction writes; all empty again after the rollback
_WRITTEN_TABLES = ("sources", "crawl_runs", "pages", "articles", "duplicates")


@pytest.fixture
def db_connection(migrated_engine: Engine) -> Iterator[Connection]:
    """A connection to the migrated database in a transaction rolled back after the test.

    Sessions of a ``Repository(db_connection)`` join that transaction, each in a savepoint:
    what the code under test commits is visible to the test, on this connection only, and
    gone afterwards. A test that leaves rows behind (code that committed through another
    connection) fails here: it needs ``db_url``.
    """
    with migrated_engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()
    with migrated_engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in _WRITTEN_TABLES
        }
    left = {table: n for table, n in counts.items() if n}
    assert not left, f"rows committed outside the test's transaction: {left}"


@pytest.fixture(scope="session")
def local_web() -> Iterator[Any]:
    """The local Arabic news web, served on loopback for the whole test session."""
    from akhbar.localweb import LocalNewsWeb

    with LocalNewsWeb() as web:
        yield web


@pytest.fixture(scope="session")
def local_seeds(local_web: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeds directory pointing at the running local web."""
    directory = tmp_path_factory.mktemp("seeds")
    local_web.write_seeds(directory)
    return directory


@pytest.fixture(scope="session")
def cli_commands() -> dict[tuple[str, ...], Any]:
    """Every command and subcommand of ``akhbar`` by its path (``("db", "upgrade")``)."""
    from click import Group

    from akhbar.cli import cli

    def walk(group: Group, path: tuple[str, ...]) -> dict[tuple[str, ...], Any]:
        found: dict[tuple[str, ...], Any] = {}
        for name, command in group.commands.items():
            found[(*path, name)] = command
            if isinstance(command, Group):
                found |= walk(command, (*path, name))
        return found

    return walk(cli, ())
