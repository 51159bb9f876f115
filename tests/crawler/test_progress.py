"""What `akhbar crawl` prints while it runs: off a terminal a periodic one-line progress, the
per-page lines only with --verbose, no library warnings; robots.txt refusals counted apart
from failures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from akhbar.crawler.progress import SourceProgress, progress_line
from akhbar.storage import make_engine

pytestmark = pytest.mark.e2e

PER_PAGE = re.compile(r"akhbar\.pages: (\w+) (article|duplicate|rejected|error) (\S+)")


def crawl(db_url: str, seeds: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``akhbar crawl --all --json`` in its own process; stderr is a pipe, not a terminal.

    Progress every 0.05 s: the local web is crawled in well under a second."""
    cmd = [sys.executable, "-m", "akhbar", *options, "--db", db_url, "--seeds", str(seeds)]
    return subprocess.run(
        [*cmd, "crawl", "--all", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ) | {"AKHBAR_CRAWL__PROGRESS_EVERY": "0.05"},
    )


def test_off_a_terminal_progress_lines_replace_per_page_lines(
    tmp_path: Path, local_web: Any, local_seeds: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    proc = crawl(db_url, local_seeds)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = json.loads(proc.stdout)
    progress = [line for line in proc.stderr.splitlines() if "crawl progress: " in line]
    assert progress, proc.stderr[-3000:]
    for line in progress:  # one line for all sources, with the counters the user follows
        assert re.search(
            r"crawl progress: sources \d/3 done, fetched \d+/\d+ discovered, new \d+, "
            r"duplicate \d+, failed \d+, \d+\.\d pages/s$",
            line,
        ), line
    assert not PER_PAGE.search(proc.stderr)
    # the library's deprecation warning, printed on every crawl before, is gone at its cause
    assert "Warning" not in proc.stderr, proc.stderr[-3000:]

    # each site links a print page its robots.txt forbids: counted apart, neither fetched nor
    # failed, and no note about them (notes show as the run's error)
    truth = local_web.truth
    assert all(s["skipped_robots"] >= 1 for s in summaries), summaries
    assert sum(s["counters"]["failed"] for s in summaries) == len(truth.failed)
    assert all(s["status"] == "ok" for s in summaries), summaries
    assert not [n for s in summaries for n in s["notes"] if "robots" in n], summaries
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT url FROM pages")).scalars())
    engine.dispose()
    assert stored and not stored & set(truth.robots_disallowed)


def test_verbose_shows_one_line_per_page(tmp_path: Path, local_web: Any, local_seeds: Path) -> None:
    proc = crawl(f"sqlite:///{tmp_path / 'v.db'}", local_seeds, "--verbose")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = json.loads(proc.stdout)
    lines = PER_PAGE.findall(proc.stderr)
    assert len(lines) == sum(s["counters"]["fetched"] for s in summaries)
    urls = {url for _source, _outcome, url in lines}
    assert {a.url for a in local_web.truth.articles} <= urls
    assert "robots.txt forbids" in proc.stderr  # the refusals too, one line each
    assert "DEBUG scrapy" not in proc.stderr  # the libraries' debug lines need --debug
    assert "Traceback" not in proc.stderr


def test_progress_line_sums_the_sources() -> None:
    rows = [
        SourceProgress("a", 10, 4, 3, 1, 0, 2.0, False),
        SourceProgress("b", 5, 5, 4, 0, 1, 5.0, True),
    ]
    assert progress_line(rows) == (
        "crawl progress: sources 1/2 done, fetched 9/15 discovered, new 7, duplicate 1, "
        "failed 1, 2.0 pages/s"
    )
