"""Measure ``akhbar export``: throughput and peak memory on a synthetic 200k-article corpus.

Run: ``.venv/bin/python benchmarks/export.py [--articles 200000] [--words 150] [--db URL]``

Builds (once, cached under ``.bench/``) a SQLite database of N synthetic Arabic articles, each
with its page row and one duplicate for every tenth article, then runs ``akhbar export`` in a
child process per format and reports rows/s, MB/s and the child's peak RSS (``wait4``). The
same export of N/10 articles is run too: the ratio of peak RSS (N vs N/10) shows whether memory
stays constant as the corpus grows.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article, Duplicate, Page

ROOT = Path(__file__).resolve().parents[1]
_PROSE = (
    "أعلنت الحكومة اليوم عن خطة جديدة لدعم الاقتصاد الوطني وتشمل الخطة مشاريع في قطاعات "
    "الطاقة والنقل والتعليم والصحة وقال الوزير إن التنفيذ سيبدأ خلال الأشهر المقبلة "
    "بالتعاون مع القطاع الخاص والمؤسسات الدولية وأكد المسؤولون أن الأسعار ستبقى مستقرة "
    "رغم ارتفاع تكاليف الإنتاج في الأسواق العالمية ويتوقع المحللون نموا ملحوظا في الصادرات"
)
WORDS = _PROSE.split()


def build(url: str, count: int, words: int) -> None:
    """Fill an empty database with ``count`` articles (bulk inserts, not the crawler)."""
    engine = make_engine(url)
    upgrade(engine)
    Repository(engine).sync_source("bench", "http://bench.test/", ["ar"])
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    chunk = 5000
    with engine.begin() as conn:
        for base in range(0, count, chunk):
            articles, pages, dupes = [], [], []
            for i in range(base, min(base + chunk, count)):
                body = " ".join(rng.choice(WORDS) for _ in range(words))
                text = "\n\n".join(body[j : j + 400] for j in range(0, len(body), 400))
                when = start + timedelta(minutes=i)
                articles.append(
                    {
                        "id": i + 1,
                        "source": "bench",
                        "url": f"http://bench.test/a/{i}",
                        "canonical_url": f"http://bench.test/a/{i}",
                        "title": f"خبر رقم {i}: " + " ".join(rng.choice(WORDS) for _ in range(6)),
                        "text": text,
                        "authors": ["مراسل"],
                        "published_at": when,
                        "language": "ar",
                        "categories": ["اقتصاد"],
                        "tags": ["طاقة", "نقل"],
                        "word_count": words,
                        "text_hash": f"{i:064x}",
                        "minhash": os.urandom(1024),
                        "created_at": when,
                    }
                )
                pages.append(
                    {
                        "source": "bench",
                        "url": f"http://bench.test/a/{i}",
                        "outcome": "article",
                        "article_id": i + 1,
                        "first_fetched_at": when,
                        "last_fetched_at": when,
                        "fetch_count": 1,
                    }
                )
                if i % 10 == 0:
                    dupes.append(
                        {
                            "url": f"http://copy.test/a/{i}",
                            "source": "bench",
                            "article_id": i + 1,
                            "kind": "near",
                            "similarity": 0.9,
                            "detected_at": when,
                        }
                    )
            conn.execute(insert(Article), articles)
            conn.execute(insert(Page), pages)
            conn.execute(insert(Duplicate), dupes)
    engine.dispose()


def run_export(url: str, fmt: str, out: Path, after_id: int) -> tuple[float, int]:
    """One ``akhbar export`` child process: (seconds, peak RSS in KiB)."""
    cmd = [sys.executable, "-m", "akhbar", "--db", url, "export", "--format", fmt]
    cmd += ["--after-id", str(after_id), "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"export failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--db", help="database URL (default: a cached SQLite file)")
    args = parser.parse_args()
    url = args.db
    if url is None:
        path = ROOT / ".bench" / f"export-{args.articles}-{args.words}.db"
        path.parent.mkdir(exist_ok=True)
        url = f"sqlite:///{path}"
        if not path.exists():
            started = time.perf_counter()
            build(url, args.articles, args.words)
            print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    else:
        started = time.perf_counter()
        build(url, args.articles, args.words)
        print(f"built {args.articles} articles in {time.perf_counter() - started:.0f} s")
    small_after = args.articles - args.articles // 10
    print(f"{'format':8} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'MB/s':>7} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("jsonl", "csv", "parquet"):
            out = Path(tmp) / f"out.{fmt}"
            peaks = {}
            for rows, after in ((args.articles // 10, small_after), (args.articles, 0)):
                seconds, peak = run_export(url, fmt, out, after)
                peaks[rows] = peak
                size_mb = out.stat().st_size / 1e6
                print(
                    f"{fmt:8} {rows:>8} {seconds:>8.1f} {rows / seconds:>9.0f} "
                    f"{size_mb / seconds:>7.1f} {peak / 1024:>7.0f} MB"
                )
            ratio = peaks[args.articles] / peaks[args.articles // 10]
            print(
                f"{fmt:8} peak RSS ratio {args.articles} / {args.articles // 10} rows: {ratio:.2f}"
            )


if __name__ == "__main__":
    main()
