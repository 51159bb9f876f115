"""The plain ingest pipeline (cleaner → dedup → storage) without scrapy, on both databases.

This is the code path backfills and reprocessing reuse; the crawler only feeds it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from akhbar.dedup import Deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import FetchedPage, PageOutcome
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, RunCounters, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article, CrawlRun, Duplicate, Page
from akhbar.storage.runs import finish_run, start_run

SETTINGS = AkhbarSettings()


def seed_000_paragraphs(seed_pages_dir: Path) -> list[str]:
    text = next((seed_pages_dir).glob("000_*.txt")).read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    # body from the standfirst to the last sub-section, without the sources list
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("أعرب الرئيس"))
    end = paragraphs.index("مصادر الخبر:")
    return paragraphs[start:end]


def seed_003_paragraphs(seed_pages_dir: Path) -> list[str]:
    text = next((seed_pages_dir).glob("003_*.txt")).read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("أكد الرئيس"))
    end = next(i for i, p in enumerate(paragraphs) if p.endswith("في مارس 2022."))
    return paragraphs[start : end + 1]


def article_html(title: str, paragraphs: list[str], *, canonical: str | None = None) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{html.escape(title)} - موقع تجريبي</title>{link}
<meta property="og:type" content="article">
<meta property="article:published_time" content="2000-11-12T10:00:00+03:00">
</head><body><header><nav><a href="/">الرئيسية</a> <a href="/politics/">سياسة</a></nav></header>
<main><article><h1>{html.escape(title)}</h1>{body}</article></main>
<footer><p>جميع الحقوق محفوظة لموقع تجريبي</p></footer></body></html>""".encode()


def fetched(source: str, url: str, body: bytes, status: int = 200) -> FetchedPage:
    return FetchedPage(
        source=source,
        url=url,
        final_url=url,
        status=status,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


def source(name: str) -> SourceConfig:
    return SourceConfig(name=name, start_urls=[f"http://{name}.test/"])


def with_sources(repository: Repository) -> Repository:
    for name in ("alpha", "beta"):
        repository.sync_source(name, f"http://{name}.test/", ["ar"])
    return repository


@pytest.fixture
def repo(db_connection: Connection) -> Repository:
    """The sources in a rolled-back transaction (tests/conftest.py)."""
    return with_sources(Repository(db_connection))


@pytest.fixture
def fresh_repo(db_url: str) -> Iterator[Repository]:
    """The sources in a database of their own: for tests of what other sessions see."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield with_sources(Repository(engine))
    engine.dispose()


def ingestors(repo: Repository) -> tuple[Ingestor, Ingestor, Deduplicator]:
    """A fresh 'process': new runs (earlier ones finished), a dedup index loaded from storage."""
    for name in ("alpha", "beta"):
        for run_id in running_runs(repo, name):
            finish_run(repo, run_id, "ok", RunCounters())
    dedup = Deduplicator(SETTINGS.dedup)
    dedup.load(repo.iter_signatures())
    writer = repo.writer(batch_size=2)
    make = lambda name: Ingestor(  # noqa: E731
        source=source(name),
        writer=writer,
        run_id=start_run(repo, name),
        dedup=dedup,
        cleaner=SETTINGS.cleaner,
    )
    return make("alpha"), make("beta"), dedup


def running_runs(repo: Repository, name: str) -> list[int]:
    with repo.sessions() as session:
        query = select(CrawlRun.id).where(CrawlRun.source == name, CrawlRun.status == "running")
        return list(session.scalars(query))


def test_pipeline_verdicts_and_records(repo: Repository, seed_pages_dir: Path) -> None:
    paragraphs = seed_000_paragraphs(seed_pages_dir)
    title = "بوتين يبعث رسالة تهنئة إلى أمير قطر"
    alpha, beta, _ = ingestors(repo)

    original = alpha.ingest(
        fetched("alpha", "http://alpha.test/n/1", article_html(title, paragraphs))
    )
    assert original.outcome is PageOutcome.ARTICLE and original.article_id

    # the same wire story on another site: dateline changed, one paragraph dropped
    edited = ["الدوحة (وكالات) - " + paragraphs[0], *paragraphs[1:5], *paragraphs[6:]]
    copy = beta.ingest(fetched("beta", "http://beta.test/w/77", article_html(title, edited)))
    assert copy.outcome is PageOutcome.DUPLICATE and copy.article_id == original.article_id

    gone = alpha.ingest(fetched("alpha", "http://alpha.test/n/404", b"<h1>not found</h1>", 404))
    assert gone.outcome is PageOutcome.ERROR and gone.reason == "http_404"

    empty = alpha.ingest(fetched("alpha", "http://alpha.test/n/empty", b""))
    assert empty.outcome is PageOutcome.REJECTED

    other = alpha.ingest(
        fetched(
            "alpha",
            "http://alpha.test/n/2",
            article_html("الرئيس الروسي فلاديمير بوتين", seed_003_paragraphs(seed_pages_dir)),
        )
    )
    # the seed pair: same actors, a different story 22 years later: its own article
    assert other.outcome is PageOutcome.ARTICLE
    alpha.close()
    beta.close()

    with repo.sessions() as session:
        stored = session.scalars(select(Article).order_by(Article.id)).all()
        assert [a.url for a in stored] == ["http://alpha.test/n/1", "http://alpha.test/n/2"]
        assert stored[0].title == title
        assert stored[0].published_at == datetime(2000, 11, 12, 7, 0, tzinfo=UTC)
        assert "جميع الحقوق محفوظة" not in stored[0].text
        (dup,) = session.scalars(select(Duplicate)).all()
        assert (dup.url, dup.source, dup.article_id) == (
            "http://beta.test/w/77",
            "beta",
            stored[0].id,
        )
        outcomes = {
            url: outcome for url, outcome in session.execute(select(Page.url, Page.outcome))
        }
        assert outcomes["http://alpha.test/n/404"] == "error"
        assert outcomes["http://alpha.test/n/empty"] == "rejected"
        assert outcomes["http://beta.test/w/77"] == "duplicate"


def test_verdicts_hold_across_runs(repo: Repository, seed_pages_dir: Path) -> None:
    paragraphs = seed_000_paragraphs(seed_pages_dir)
    alpha, _, _ = ingestors(repo)
    first = alpha.ingest(
        fetched("alpha", "http://alpha.test/n/1", article_html("عنوان", paragraphs))
    )
    alpha.close()
    # a new process: the dedup index is rebuilt from the stored signatures
    _, beta, dedup = ingestors(repo)
    assert len(dedup) == 1
    again = beta.ingest(
        fetched("beta", "http://beta.test/copy", article_html("عنوان آخر", paragraphs[:-1]))
    )
    beta.close()
    assert again.outcome is PageOutcome.DUPLICATE and again.article_id == first.article_id


def test_same_canonical_url_is_the_same_article(repo: Repository, seed_pages_dir: Path) -> None:
    paragraphs = seed_000_paragraphs(seed_pages_dir)
    alpha, _, _ = ingestors(repo)
    url = "http://alpha.test/n/1"
    alpha.ingest(fetched("alpha", url, article_html("عنوان", paragraphs)))
    amp = alpha.ingest(
        fetched("alpha", url + "?amp=1", article_html("عنوان", paragraphs[:14], canonical=url))
    )
    alpha.close()
    assert amp.outcome is PageOutcome.DUPLICATE
    with repo.sessions() as session:
        (dup,) = session.scalars(select(Duplicate)).all()
        assert dup.kind in ("url", "near")


def stored_rows(repo: Repository) -> list[tuple[object, ...]]:
    with repo.sessions() as session:
        articles = session.execute(
            select(Article.url, Article.text, Article.text_hash, Article.minhash).order_by(
                Article.url
            )
        ).all()
        pages = session.execute(
            select(Page.url, Page.outcome, Page.raw_html, Page.raw_size).order_by(Page.url)
        ).all()
    return [tuple(a) for a in articles] + [tuple(p) for p in pages]


def test_pages_prepared_in_a_worker_store_what_inline_cleaning_stores(
    seed_pages_dir: Path, tmp_path: Path
) -> None:
    """The crawler's workers clean the page and prepare its storage (compressed HTML, MinHash,
    search documents); the rows must be those the inline path writes."""
    from akhbar.cleaner import extract
    from akhbar.pipeline import prepare
    from akhbar.storage.search import search

    paragraphs = seed_000_paragraphs(seed_pages_dir)
    pages = [
        fetched("alpha", "http://alpha.test/n/1", article_html("رسالة تهنئة", paragraphs)),
        fetched("alpha", "http://alpha.test/n/2", article_html("خبر آخر", paragraphs[2:])),
        fetched("alpha", "http://alpha.test/n/3", b"<html><body><p>short</p></body></html>"),
    ]
    results = []
    for prepared_in_worker in (False, True):
        engine = make_engine(f"sqlite:///{tmp_path / f'{prepared_in_worker}.db'}")
        upgrade(engine)
        repository = Repository(engine)
        repository.sync_source("alpha", "http://alpha.test/", ["ar"])
        writer = repository.writer(batch_size=50)
        ingestor = Ingestor(
            source=source("alpha"),
            writer=writer,
            run_id=start_run(repository, "alpha"),
            dedup=Deduplicator(SETTINGS.dedup),
            cleaner=SETTINGS.cleaner,
        )
        outcomes = []
        for page in pages:
            if prepared_in_worker:
                cleaned = extract(page.body, page.url, encoding="utf-8", languages=["ar"])
                ready = prepare(page.body, cleaned, Deduplicator(SETTINGS.dedup))
                outcomes.append(ingestor.ingest(page, cleaned, 0.01, ready).outcome)
            else:
                outcomes.append(ingestor.ingest(page).outcome)
        ingestor.close()
        writer.close()
        assert outcomes == [PageOutcome.ARTICLE, PageOutcome.DUPLICATE, PageOutcome.REJECTED]
        hits = search(engine, "رسالة تهنئة")  # the title words are only in the first page
        assert [h.url for h in hits] == ["http://alpha.test/n/1"]  # its search row was written
        results.append(stored_rows(repository))
        engine.dispose()
    assert results[0] == results[1]


def test_a_batch_holding_a_new_article_commits_after_the_interval(
    fresh_repo: Repository, seed_pages_dir: Path
) -> None:
    """New articles wait in the batch with the dedup lock held; the crawl's timer commits the
    batch once it is commit_interval old, so other processes never wait longer."""
    repo = fresh_repo
    dedup = Deduplicator(SETTINGS.dedup)
    writer = repo.writer(batch_size=50)
    ingestor = Ingestor(
        source=source("alpha"),
        writer=writer,
        run_id=start_run(repo, "alpha"),
        dedup=dedup,
        cleaner=SETTINGS.cleaner,
        commit_interval=0.3,
    )
    page = fetched(
        "alpha", "http://alpha.test/n/1", article_html("خبر", seed_000_paragraphs(seed_pages_dir))
    )
    assert ingestor.ingest(page).outcome is PageOutcome.ARTICLE

    def visible() -> int:
        with repo.sessions() as session:
            return len(list(session.scalars(select(Article.id))))

    ingestor.commit_if_old()  # too young: still pending
    assert visible() == 0
    import time

    time.sleep(0.35)
    ingestor.commit_if_old()
    assert visible() == 1
    ingestor.close()
    writer.close()


def _refuse_page_inserts(repo: Repository, refuse: bool) -> None:
    """A trigger that makes every insert into ``pages`` fail (a full disk, for the writer)."""
    with repo.write_sessions.begin() as session:
        conn = session.connection()
        postgres = conn.dialect.name == "postgresql"
        if not refuse:
            conn.exec_driver_sql(
                "DROP TRIGGER refuse_pages ON pages" if postgres else "DROP TRIGGER refuse_pages"
            )
        elif postgres:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION USING ERRCODE = 'disk_full', MESSAGE = 'disk full'; "
                "END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_pages BEFORE INSERT ON pages "
                "FOR EACH ROW EXECUTE FUNCTION refuse_writes()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_pages BEFORE INSERT ON pages BEGIN "
                "SELECT RAISE(ABORT, 'database or disk is full'); END"
            )


def test_writer_gives_up_after_batches_keep_failing(
    repo: Repository, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each failed batch is rolled back, replayed once and reported with its URLs; after
    ``max_failed_commits`` in a row the unit of work stores nothing more, counts nothing, and
    every later page is counted as left for the next run."""
    import akhbar.unit_of_work as unit_of_work

    monkeypatch.setattr(unit_of_work, "REPLAY_MAX_BYTES", 10)  # no body is kept for a replay
    writer = repo.writer(batch_size=1)
    unit = unit_of_work.UnitOfWork.of(writer)
    unit.max_failed_commits = 2
    ingestors = [
        Ingestor(
            source=source(name),
            writer=writer,
            run_id=start_run(repo, name),
            dedup=Deduplicator(SETTINGS.dedup),
            cleaner=SETTINGS.cleaner,
        )
        for name in ("alpha", "beta")
    ]
    _refuse_page_inserts(repo, refuse=True)
    try:
        results = [
            ingestors[i % 2].ingest(
                fetched(ingestors[i % 2].source.name, f"http://x.test/{i}", b"gone " * 10, 404)
            )
            for i in range(5)
        ]
    finally:
        _refuse_page_inserts(repo, refuse=False)
        writer.close()
    assert all(r.outcome is PageOutcome.ERROR for r in results)
    assert all((r.reason or "").startswith("database:") for r in results)
    assert unit.broken is not None and "2 batches in a row" in unit.broken
    assert [i.counters for i in ingestors] == [RunCounters(), RunCounters()]
    assert sum(i.pages_lost for i in ingestors) == 5  # two failed batches, three after it
    text = caplog.text
    assert "over the replay limit" in text and "http://x.test/0" in text
    assert text.count("database writes keep failing; crawl stopped") == 1
    with repo.sessions() as session:
        assert session.scalars(select(Page)).all() == []
