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
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the clone (read-only; CI has it too): outside CI a missing folder
    skips the tests that need it, with the reason; with ``CI=true`` it is a failure."""
    if not SHARED_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared inputs not found at {SHARED_DIR} (CI=true)")
        pytest.skip(f"shared inputs not found at {SHARED_DIR}: real-page tests skipped")
    return SHARED_DIR


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
