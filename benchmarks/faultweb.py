"""Fault web benchmark: what a crawl of the hostile site records per fault, and its peak RSS.

Run: ``.venv/bin/python benchmarks/faultweb.py [--db URL]``. Starts the fault web of
``tests/faultweb`` on loopback, crawls it once in a child process with the same lowered limits
as the test (download timeout 2 s, 1 retry, 8 MiB response limit, 5 redirects), and prints a
Markdown table "fault → observed outcome", the run's counters and notes, wall time and the
crawl process's peak RSS; then the same process on 8 harmless pages as a baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "faultweb"))

from faultweb_server import FAULTS, NEVER_FETCHED, FaultWeb, run_measured  # noqa: E402
from test_faultweb import CRAWL_ENV  # noqa: E402

from akhbar.storage import make_engine  # noqa: E402
from akhbar.storage.models import Page  # noqa: E402
from akhbar.storage.repository import Repository  # noqa: E402


def crawl(db_url: str, seeds: Path) -> tuple[dict[str, object], float, int]:
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds)]
    run = run_measured([*cmd, "crawl", "faultweb", "--json"], {**os.environ, **CRAWL_ENV}, 120)
    if run.returncode:
        raise SystemExit(f"crawl failed ({run.returncode}):\n{run.stderr[-3000:]}")
    (summary,) = json.loads(run.stdout)
    return summary, run.seconds, run.peak_rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FaultWeb() as web:
        db_url = args.db or f"sqlite:///{tmp}/faultweb.db"
        seeds = Path(tmp) / "seeds"
        web.write_seeds(seeds)
        summary, seconds, rss = crawl(db_url, seeds)
        engine = make_engine(db_url)
        with Repository(engine).sessions() as session:
            pages = {p.url: p for p in session.scalars(select(Page))}
        engine.dispose()
        print(f"{seconds:.1f} s wall, peak RSS {rss / 1024:.0f} MiB, {len(pages)} page rows\n")
        print("| fault | HTTP status | outcome | reason | server hits |")
        print("|---|---|---|---|---|")
        for fault in (*FAULTS, *NEVER_FETCHED):
            url = web.article_url(fault)
            hits = web.hits_on(f"/news/{fault}.html")
            page = pages.get(url)
            if page is None:
                print(f"| {fault} | – | no row | – | {hits} |")
                continue
            parts = (page.reason or "").split(": ")
            short = ": ".join(parts[:2]) if parts[0] == "network" else parts[0]
            status = page.http_status or "–"
            print(f"| {fault} | {status} | {page.outcome} | {short or '–'} | {hits} |")
        print(f"\nother host hits: {web.other_host_hits()}")
        print(f"run: status {summary['status']}, counters {summary['counters']}")
        for note in summary["notes"]:  # type: ignore[attr-defined]
            print(f"note: {note[:200]}")
    # baseline: the same process on a handful of harmless pages (the redirects feed)
    with tempfile.TemporaryDirectory() as tmp, FaultWeb() as web:
        seeds = Path(tmp) / "seeds"
        web.write_seeds(seeds, only_redirects=True)
        _, seconds, rss = crawl(f"sqlite:///{tmp}/base.db", seeds)
        print(f"baseline (8 harmless pages): {seconds:.1f} s wall, peak RSS {rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
