"""Readers in other processes while a crawl of the local web writes the SQLite database (WAL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from akhbar.storage import make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent


def test_sqlite3_pandas_and_sqlalchemy_read_while_a_crawl_writes(
    tmp_path: Path, local_web: Any, local_seeds: Path
) -> None:
    path = tmp_path / "live.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)  # readers start before the first article exists
    stop = tmp_path / "stop"
    env = {**os.environ, "AKHBAR_CRAWL__BATCH_SIZE": "2"}  # many commits during the crawl
    reader = subprocess.Popen(
        [sys.executable, str(HERE / "concurrent_reader.py"), str(path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cmd = [sys.executable, "-m", "akhbar", "--db", url, "--seeds", str(local_seeds)]
    crawl = subprocess.run(
        [*cmd, "crawl", "--all", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    stop.touch()
    out, err = reader.communicate(timeout=120)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert reader.returncode == 0, err[-3000:]
    report = json.loads(out)
    assert report["errors"] == []
    with engine.connect() as conn:
        stored = list(conn.execute(select(Article.id).order_by(Article.id)).scalars())
    assert stored
    # the incremental reader saw every article exactly once, in cursor order
    assert report["seen"] == stored
    # it read while the crawl was writing: it saw the database at several sizes
    assert report["polls"] >= 3 and len(set(report["counts"])) >= 2
    engine.dispose()
