"""Several first starts at once on an empty database create the schema once: the others wait
for the schema lock and find it created (PostgreSQL would otherwise fail one of them with
``duplicate key value violates unique constraint "pg_type_typname_nsp_index"``)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from akhbar.storage import make_engine
from akhbar.storage.migrate import current_revision, head_revision

pytestmark = pytest.mark.slow  # interpreters starting at once

# each process imports akhbar, then waits for the same instant before creating the schema
_STARTER = """
import sys, time
from akhbar.storage import make_engine
from akhbar.storage.migrate import ensure_schema, upgrade
engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
if sys.argv[3] == "upgrade":
    upgrade(engine)        # `akhbar db upgrade`
else:
    ensure_schema(engine)  # what crawl, schedule, backfill... do first
print("ok")
"""


def race(db_url: str, modes: list[str]) -> list[subprocess.CompletedProcess[str]]:
    at = time.time() + 3.0  # after every interpreter has started and imported akhbar
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTER, db_url, str(at), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in modes
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_concurrent_first_starts_on_empty_postgres(postgres_url: str) -> None:
    results = race(postgres_url, ["ensure", "ensure", "ensure", "upgrade"])
    for result in results:
        assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
    engine = make_engine(postgres_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_concurrent_first_starts_on_empty_sqlite(sqlite_url: str) -> None:
    results = race(sqlite_url, ["ensure", "ensure", "upgrade"])
    for result in results:
        assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
    engine = make_engine(sqlite_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
