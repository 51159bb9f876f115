"""Shared fixtures: the read-only shared inputs, both databases, the local news web."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from akhbar.storage.database import scratch_postgres_database

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
