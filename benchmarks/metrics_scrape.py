"""Measure the database part of a ``/metrics`` scrape over a long run history.

Run: ``.venv/bin/python benchmarks/metrics_scrape.py [--runs 200000] [--db URL]``

Fills a scratch database (a temporary SQLite file, or a scratch database on the PostgreSQL
server of ``--db``) with N finished runs of 30 sources, then times ``RunFigures.read``: the
first read sums every run; later reads use the settled sums and read only the runs after them
(``SETTLE_AFTER`` is set to 0 here, as if a minute had passed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from akhbar.metrics import RunFigures
from akhbar.storage import make_engine
from akhbar.storage.database import scratch_postgres_database
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.models import CrawlRun, Source

SOURCES = [f"source{i:02d}" for i in range(30)]


@contextmanager
def scratch(server_url: str | None) -> Iterator[str]:
    if server_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'metrics.db'}"
    else:
        with scratch_postgres_database(server_url, "akhbar_bench") as url:
            yield url


def fill(url: str, count: int) -> None:
    engine = make_engine(url)
    ensure_schema(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    statuses = ("ok", "ok", "ok", "ok", "failed", "interrupted")
    with engine.begin() as conn:
        conn.execute(
            insert(Source), [{"name": s, "language": "ar", "languages": ["ar"]} for s in SOURCES]
        )
        for first in range(0, count, 20_000):
            rows = [
                {
                    "source": SOURCES[i % len(SOURCES)],
                    "kind": "scheduled",
                    "status": statuses[i % len(statuses)],
                    "started_at": start + timedelta(minutes=i),
                    "finished_at": start + timedelta(minutes=i, seconds=40),
                    "fetched": 20,
                    "new": 5,
                    "duplicate": 3,
                    "rejected": 10,
                    "failed": 2,
                }
                for i in range(first, min(count, first + 20_000))
            ]
            conn.execute(insert(CrawlRun), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE crawl_runs"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200_000)
    parser.add_argument("--db", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args()
    with scratch(args.db) as url:
        fill(url, args.runs)
        engine = make_engine(url)
        figures = RunFigures()
        figures.SETTLE_AFTER = 0.0
        for label in ("first read", "second read", "third read"):
            began = time.perf_counter()
            read = figures.read(engine)
            took = time.perf_counter() - began
            print(
                f"{engine.dialect.name} {args.runs} runs, {len(read)} sources: {label} {took:.3f} s"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
