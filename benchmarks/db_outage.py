"""Database blips during ``akhbar crawl --all`` of the scaled local web, on PostgreSQL.

Run: ``.venv/bin/python benchmarks/db_outage.py [--pages 2000] [--first 5] [--every 1.5]
[--rounds 12]``. Serves the scaled web (``akhbar localweb --scale N``, as
``benchmarks/pipeline.py`` does), crawls it into a fresh PostgreSQL database and, from
``--first`` seconds on, terminates every connection of the crawl (``pg_terminate_backend``)
every ``--every`` seconds, ``--rounds`` times. Then it prints what the runs counted against
the rows in the database and the web's known truth: after any blip every page must be stored
or reported ("pages left for the next run"), and the runs' counters must equal the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipeline import PG_SERVER, serve  # noqa: E402

from akhbar.storage.database import scratch_postgres_database  # noqa: E402

_TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--first", type=float, default=5.0, help="seconds before the first blip")
    parser.add_argument("--every", type=float, default=1.5, help="seconds between blips")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(args.pages, 7, Path(tmp) / "seeds") as served,
        scratch_postgres_database(PG_SERVER, "akhbar_outage") as url,
    ):
        env = {
            **os.environ,
            "AKHBAR_LOG_LEVEL": "INFO",
            "AKHBAR_CRAWL__ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        }
        log_path = Path(tmp) / "crawl.log"
        with log_path.open("wb") as log:
            cmd = [sys.executable, "-m", "akhbar", "--db", url, "--seeds", str(served.seeds)]
            proc = subprocess.Popen(
                [*cmd, "crawl", "--all", "--json"], stdout=subprocess.PIPE, stderr=log, env=env
            )
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        killed: list[int] = []
        time.sleep(args.first)
        while proc.poll() is None and len(killed) < args.rounds:
            with admin.connect() as conn:
                killed.append(len(conn.execute(text(_TERMINATE)).all()))
            time.sleep(args.every)
        out, _ = proc.communicate()
        with admin.connect() as conn:
            pages = conn.execute(text("SELECT count(*) FROM pages")).scalar_one()
            articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
            fetched, new = conn.execute(text("SELECT sum(fetched), sum(new) FROM crawl_runs")).one()
            statuses = sorted(set(conn.scalars(text("SELECT status FROM crawl_runs"))))
        admin.dispose()
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
    reported = sum(
        len(urls.split())
        for urls in re.findall(r"pages left for the next run: (.*)$", log_text, re.M)
    )
    summaries = json.loads(out) if out.strip() else []
    print(f"connections terminated per round: {killed}; crawl exit status {proc.returncode}")
    print(f"runs: {len(summaries)} {statuses}; counted fetched={fetched} new={new}")
    print(f"rows: pages={pages} articles={articles} (truth: {served.truth.as_dict()})")
    print(
        f"database errors logged: {log_text.count('database error (')}; pages reported left "
        f"for the next run: {reported}; tracebacks: {log_text.count('Traceback')}"
    )


if __name__ == "__main__":
    main()
