"""One crawl-like process for the multi-process dedup tests (run as a script).

``python peer_worker.py DB_URL SOURCE PAGES_JSON START_AT`` loads the dedup index from the
database (or, with ``AKHBAR_DEDUP__INDEX=redis`` in the environment, opens the shared
index on Redis), waits until the wall-clock time ``START_AT`` (so that several workers ingest the
same stories at the same moment), ingests the pages through the real pipeline and prints one
JSON line per page: its outcome and article id.
"""

from __future__ import annotations

import html
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from akhbar.dedup import open_deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import FetchedPage
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.runs import start_run


def page_html(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><meta property="og:type" content="article"></head>
<body><main><article><h1>{html.escape(title)}</h1>{body}</article></main></body></html>""".encode()


def main(db_url: str, source: str, pages_file: str, start_at: float) -> None:
    settings = AkhbarSettings(database_url=db_url)
    engine = make_engine(db_url)
    repo = Repository(engine)
    dedup, _ = open_deduplicator(settings, repo.iter_signatures)  # AKHBAR_DEDUP__INDEX etc.
    writer = repo.writer(batch_size=50)
    ingestor = Ingestor(
        source=SourceConfig(name=source, start_urls=[f"http://{source}.test/"]),
        writer=writer,
        run_id=start_run(repo, source),
        dedup=dedup,
        cleaner=settings.cleaner,
    )
    pages = json.loads(Path(pages_file).read_text(encoding="utf-8"))
    time.sleep(max(0.0, start_at - time.time()))
    for page in pages:
        result = ingestor.ingest(
            FetchedPage(
                source=source,
                url=page["url"],
                final_url=page["url"],
                status=200,
                headers={"content-type": "text/html; charset=utf-8"},
                body=page_html(page["title"], page["paragraphs"]),
                encoding="utf-8",
                fetched_at=datetime.now(UTC),
            )
        )
        print(json.dumps({"url": page["url"], "outcome": result.outcome.value}), flush=True)
    ingestor.close()
    writer.close()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
