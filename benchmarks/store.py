"""Storing alone: cleaned pages through the Ingestor into a scratch database.

``python benchmarks/store.py [--pages 2000] [--db sqlite|postgresql|both] [--copies 0.1]``

The cleaner's results are made up front (synthetic Arabic-like articles of about 3.6 KB, a
share of them exact copies of earlier ones under other URLs) and prepared as the crawl's
extraction workers prepare them (compressed raw HTML, fingerprint, search documents), so what is
timed is the ingesting thread's own work: dedup decisions and the database writes of pages,
articles, duplicates and search rows, in batches as a crawl commits them. Prints, per database:
pages/s, the Ingestor's ``store`` stage per page, this process's CPU seconds per page, and the
statements sent to the database per page (an ``executemany`` counts once: one round trip in
psycopg's pipeline, one call on SQLite).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import create_engine, event, text

from akhbar.dedup import open_deduplicator
from akhbar.pipeline import Ingestor, Prepared, prepare
from akhbar.records import Article, FetchedPage
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.runs import start_run

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = [
    "الحكومة",
    "المدينة",
    "الاقتصاد",
    "المجلس",
    "الوزير",
    "التعليم",
    "الصحة",
    "المشروع",
    "السنة",
    "الشركة",
    "الأسواق",
    "المواطنين",
    "الطاقة",
    "الماء",
    "الطريق",
    "الجامعة",
    "البرلمان",
    "المنطقة",
    "الرياضة",
    "الثقافة",
]


@dataclass(frozen=True, slots=True)
class Item:
    page: FetchedPage
    article: Article
    prepared: Prepared


def make_items(n: int, copies: float, seed: int, settings: AkhbarSettings) -> list[Item]:
    rng = random.Random(seed)
    dedup, _ = open_deduplicator(settings, lambda after=0: iter(()))
    items: list[Item] = []
    texts: list[str] = []
    for i in range(n):
        if texts and rng.random() < copies:
            body_text = rng.choice(texts)
        else:
            paras = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 45)))
                + f" ({i}-{p} {rng.random():.6f})."
                for p in range(8)
            ]
            body_text = "\n\n".join(paras)
            texts.append(body_text)
        url = f"https://example.test/news/{i}"
        title = f"خبر رقم {i}"
        html = f"<html><head><title>{title}</title></head><body><p>{body_text}</p></body></html>"
        body = (html * 20).encode("utf-8")  # raw pages are far larger than their text
        article = Article(
            url=url,
            canonical_url=url,
            title=title,
            text=body_text,
            language="ar",
            published_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
        page = FetchedPage(
            source="bench",
            url=url,
            final_url=url,
            status=200,
            headers={"content-type": "text/html; charset=utf-8"},
            body=body,
            encoding="utf-8",
            fetched_at=datetime.now(UTC),
        )
        items.append(Item(page, article, prepare(body, article, dedup)))
    return items


def scratch_postgres() -> tuple[str, Any]:
    name = f"akhbar_store_bench_{int(time.time())}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}", drop


def run(db: str, items: list[Item], settings: AkhbarSettings, tmp: Path) -> str:
    drop = None
    url = f"sqlite:///{tmp / 'store.db'}"
    if db == "postgresql":
        url, drop = scratch_postgres()
    try:
        engine = make_engine(url)
        ensure_schema(engine)
        repo = Repository(engine)
        source = SourceConfig(
            name="bench", home_url="https://example.test/", start_urls=["https://example.test/"]
        )
        repo.sync_source(source.name, source.home, source.languages)
        run_id = start_run(repo, source.name, "manual")
        dedup, _ = open_deduplicator(settings, repo.iter_signatures)
        writer = repo.writer(settings.crawl.batch_size)
        ingestor = Ingestor(
            source=source,
            writer=writer,
            run_id=run_id,
            dedup=dedup,
            cleaner=settings.cleaner,
            commit_interval=settings.crawl.commit_interval,
        )
        statements = [0]

        @event.listens_for(engine, "before_cursor_execute")
        def count(*_args: Any) -> None:
            statements[0] += 1

        cpu, wall = time.process_time(), time.perf_counter()
        for item in items:
            ingestor.ingest(item.page, item.article, 0.0, item.prepared)
        counters = ingestor.close()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        writer.close()
        engine.dispose()
        n = len(items)
        return (
            f"- {db}: {n / wall:.0f} pages/s; store stage {ingestor.seconds.store / n * 1000:.2f} "
            f"ms/page, dedup {ingestor.seconds.dedup / n * 1000:.2f} ms/page; CPU "
            f"{cpu / n * 1000:.2f} ms/page; {statements[0] / n:.2f} statements/page "
            f"(new={counters.new} duplicate={counters.duplicate})"
        )
    finally:
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--copies", type=float, default=0.1, help="share of exact copies")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = AkhbarSettings()
    items = make_items(args.pages, args.copies, args.seed, settings)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"## storing alone: {args.pages} pages, batch {settings.crawl.batch_size}")
    with TemporaryDirectory() as tmp:
        for db in dbs:
            print(run(db, items, settings, Path(tmp)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
