"""Repository writes and reads, on SQLite and PostgreSQL: idempotent, batched, time-zone aware."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, select

from akhbar.records import Article as ArticleRecord
from akhbar.records import DuplicateKind, FetchedPage, PageOutcome
from akhbar.storage import Repository, RunCounters
from akhbar.storage.models import Article, CrawlRun, Duplicate, Page
from akhbar.storage.runs import finish_run, get_run, heartbeat, start_run


@pytest.fixture
def repo(db_connection: Connection) -> Repository:
    repository = Repository(db_connection)
    repository.sync_source("alpha", "http://alpha.test/", ["ar"])
    return repository


def page(url: str, status: int = 200, body: bytes = b"<html>\xd8\xa7</html>") -> FetchedPage:
    return FetchedPage(
        source="alpha",
        url=url,
        final_url=url,
        status=status,
        headers={"etag": '"x1"', "content-type": "text/html; charset=utf-8"},
        body=body,
        encoding="utf-8",
        fetched_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def record(url: str, text: str = "نص الخبر") -> ArticleRecord:
    cairo = timezone(timedelta(hours=2))
    return ArticleRecord(
        url=url,
        canonical_url=url,
        title="عنوان",
        text=text,
        language="ar",
        authors=["كاتب"],
        published_at=datetime(2022, 6, 5, 14, 0, tzinfo=cairo),
        tags=["روسيا", "قطر"],
    )


def test_article_page_and_duplicate_round_trip(repo: Repository) -> None:
    run_id = start_run(repo, "alpha")
    writer = repo.writer(batch_size=10)
    art_id = writer.add_article("alpha", run_id, record("http://alpha.test/1"), "h1", b"sig")
    assert art_id is not None
    writer.record_page(
        page("http://alpha.test/1"), PageOutcome.ARTICLE, run_id=run_id, article_id=art_id
    )
    writer.add_duplicate(
        "alpha", run_id, record("http://alpha.test/2"), art_id, DuplicateKind.NEAR, 0.87654, 0.9
    )
    writer.commit()
    writer.close()
    with repo.sessions() as session:
        stored = session.scalars(select(Article)).one()
        assert stored.published_at == datetime(2022, 6, 5, 12, 0, tzinfo=UTC)
        assert stored.published_at.tzinfo is not None
        assert stored.tags == ["روسيا", "قطر"] and stored.authors == ["كاتب"]
        assert stored.word_count == 2
        stored_page = session.scalars(select(Page)).one()
        assert zlib.decompress(stored_page.raw_html or b"") == b"<html>\xd8\xa7</html>"
        assert stored_page.etag == '"x1"' and stored_page.article_id == art_id
        dup = session.scalars(select(Duplicate)).one()
        assert (dup.article_id, dup.kind, dup.similarity) == (art_id, "near", 0.8765)


def test_same_text_hash_is_refused_without_spoiling_the_batch(repo: Repository) -> None:
    writer = repo.writer(batch_size=10)
    first = writer.add_article("alpha", None, record("http://alpha.test/1"), "same", b"s")
    second = writer.add_article("alpha", None, record("http://alpha.test/2"), "same", b"s")
    third = writer.add_article("alpha", None, record("http://alpha.test/3"), "other", b"s")
    writer.commit()
    writer.close()
    assert first is not None and second is None and third is not None
    with repo.sessions() as session:
        urls = sorted(session.scalars(select(Article.url)))
    assert urls == ["http://alpha.test/1", "http://alpha.test/3"]


def test_refetch_updates_the_page_row_instead_of_adding_one(repo: Repository) -> None:
    writer = repo.writer()
    writer.record_page(page("http://alpha.test/x", 503), PageOutcome.ERROR, run_id=None)
    writer.commit()
    assert not repo.is_known_url("http://alpha.test/x")  # transient: fetch again
    writer.record_page(page("http://alpha.test/x"), PageOutcome.REJECTED, run_id=None)
    writer.record_page(page("http://alpha.test/gone", 404), PageOutcome.ERROR, run_id=None)
    writer.commit()
    writer.close()
    with repo.sessions() as session:
        row = session.scalars(select(Page).where(Page.url == "http://alpha.test/x")).one()
        assert (row.fetch_count, row.outcome, row.http_status) == (2, "rejected", 200)
    assert repo.is_known_url("http://alpha.test/x")
    assert repo.is_known_url("http://alpha.test/gone")  # 404 will not change on a retry
    assert not repo.is_known_url("http://alpha.test/never")


def test_rollback_reports_lost_article_ids(repo: Repository) -> None:
    writer = repo.writer()
    art_id = writer.add_article("alpha", None, record("http://alpha.test/1"), "h", b"s")
    assert writer.rollback() == [art_id]
    writer.close()
    assert list(repo.iter_signatures()) == []


def test_signatures_stream_in_id_order(repo: Repository) -> None:
    writer = repo.writer()
    for i in range(7):
        writer.add_article("alpha", None, record(f"http://alpha.test/{i}"), f"h{i}", bytes([i]))
    writer.commit()
    writer.close()
    rows = list(repo.iter_signatures(chunk=3))
    assert [r[1] for r in rows] == [f"h{i}" for i in range(7)]
    assert rows[3][2] == b"\x03"
    later = list(repo.iter_signatures(chunk=3, after=rows[4][0]))  # a shared index resumes
    assert later == rows[5:]


def test_runs_and_stats(repo: Repository) -> None:
    run_id = start_run(repo, "alpha", "manual")
    writer = repo.writer()
    art = writer.add_article("alpha", run_id, record("http://alpha.test/1"), "h", b"s")
    writer.record_page(page("http://alpha.test/1"), PageOutcome.ARTICLE, run_id=run_id)
    writer.record_page(
        page("http://alpha.test/s"), PageOutcome.REJECTED, run_id=run_id, reason="not_article: x"
    )
    writer.record_page(
        page("http://alpha.test/404", 404), PageOutcome.ERROR, run_id=run_id, reason="http_404"
    )
    assert art is not None
    writer.add_duplicate(
        "alpha", run_id, record("http://alpha.test/d"), art, DuplicateKind.EXACT, 1, 1
    )
    writer.commit()
    writer.close()
    counters = RunCounters(fetched=4, new=1, duplicate=1, rejected=1, failed=1)
    heartbeat(repo, run_id, counters)
    finish_run(repo, run_id, "ok", counters)
    (stats,) = repo.stats()
    assert (stats.pages, stats.articles, stats.duplicates, stats.rejected, stats.failed) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert stats.last_run_status == "ok"
    assert stats.reasons == {"not_article": 1, "http_404": 1}
    run = get_run(repo, run_id)
    assert isinstance(run, CrawlRun) and run.finished_at is not None and run.new == 1


def test_naive_datetimes_are_refused(repo: Repository) -> None:
    writer = repo.writer()
    bad = record("http://alpha.test/naive")
    bad.published_at = datetime(2022, 1, 1)
    with pytest.raises(Exception, match="naive datetime"):
        writer.add_article("alpha", None, bad, "h", b"s")
        writer.commit()
    writer.close()
