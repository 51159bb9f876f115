"""The extraction pool: results come back whole when a worker dies, and workers die with the
crawl process (a kill -9'd crawl leaves no orphans)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # worker processes, killed on purpose

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
DRIVER = Path(__file__).parent / "pool_driver.py"
ARTICLES = [PAGES / "agency_article_subheadings.html", PAGES / "portal_article_chrome.html"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_pages_in_flight_when_a_worker_dies_are_cleaned_again() -> None:
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "crash", *map(str, ARTICLES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["crashes"] >= 1
    results = report["results"]
    assert len(results) == 8
    # every page became its article: none lost, none rejected because a neighbour crashed
    assert not [r for r in results if r.startswith("rejected")], results
    assert len(set(results)) == 2


def test_workers_exit_when_the_crawl_process_is_killed() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "orphan", *map(str, ARTICLES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        workers = json.loads(line)["workers"]
        assert workers and all(alive(pid) for pid in workers)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)]


def test_ordered_cleaner_returns_every_page_in_order_through_a_worker_crash() -> None:
    """The reactor-less pool (WARC backfill): results in input order, pages needing no cleaning
    passed through, and the pages in flight when a worker dies cleaned again."""
    from datetime import UTC, datetime

    from akhbar.pool import OrderedCleaner
    from akhbar.records import Article, FetchedPage
    from akhbar.settings import CleanerSettings, DedupSettings

    def page(n: int) -> FetchedPage:
        path = ARTICLES[n % 2]
        url = f"http://127.0.0.1/{n}/{path.name}"
        status = 404 if n == 5 else 200
        return FetchedPage("test", url, url, status, {}, path.read_bytes(), None, datetime.now(UTC))

    with OrderedCleaner(2) as cleaner:

        def pages() -> Iterator[FetchedPage]:
            for n in range(12):
                if n == 6:  # pages 0-5 are in flight: kill a worker under them
                    while not cleaner.worker_pids():
                        time.sleep(0.05)
                    os.kill(cleaner.worker_pids()[0], signal.SIGKILL)
                yield page(n)

        out = list(cleaner.clean(pages(), CleanerSettings(), ["ar"], DedupSettings()))
        crashes = cleaner.crashes
    assert [p.url for p, _ in out] == [page(n).url for n in range(12)]
    assert crashes >= 1
    for n, (_, cleaned) in enumerate(out):
        if n == 5:
            assert cleaned is None  # a 404: nothing to clean, the ingestor records it
            continue
        assert cleaned is not None and isinstance(cleaned.result, Article), (n, cleaned)
        assert cleaned.prepared is not None
    titles = {cleaned.result.title for _, cleaned in out if cleaned is not None}
    assert len(titles) == 2
