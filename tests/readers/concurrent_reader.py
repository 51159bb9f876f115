"""A separate reader process for test_reader_while_crawling: polls the SQLite database with
plain sqlite3, pandas.read_sql and akhbar.read until a stop file appears, then prints JSON."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import pandas as pd

from akhbar.read import read_articles


def main(path: str, stop_file: str) -> None:
    url = f"sqlite:///{path}"
    cursor = 0
    seen: list[int] = []
    counts: list[int] = []
    errors: list[str] = []
    polls = 0
    stopping = False
    while True:
        stopping = Path(stop_file).exists()
        try:
            with sqlite3.connect(path, timeout=5) as conn:  # no akhbar, no setup
                counts.append(conn.execute("SELECT count(*) FROM article_feed").fetchone()[0])
                conn.execute("SELECT rowid FROM articles_fts LIMIT 1").fetchall()
            frame = pd.read_sql("SELECT id, title FROM article_feed", sqlite3.connect(path))
            assert frame["title"].notna().all()
            batch = read_articles(url, after_id=cursor)
            seen.extend(a.id for a in batch)
            cursor = batch.cursor
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        polls += 1
        if stopping:
            break
        time.sleep(0.05)
    json.dump({"seen": seen, "counts": counts, "errors": errors, "polls": polls}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
