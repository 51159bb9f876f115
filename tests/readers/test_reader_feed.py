"""The consumers' view and its cursor, on SQLite and PostgreSQL (incl. out-of-order commits)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from conftest import Corpus, build_corpus, story_record
from sqlalchemy import inspect, text

from akhbar.read import read_articles
from akhbar.storage import Repository, make_engine
from akhbar.storage.database import scratch_postgres_database
from akhbar.storage.migrate import downgrade, upgrade
from akhbar.storage.reader_cursor import FEED_COLUMNS, read_bound


def test_view_has_the_documented_columns_and_no_blobs(corpus: Corpus) -> None:
    columns = [c["name"] for c in inspect(corpus.engine).get_columns("article_feed")]
    assert columns == list(FEED_COLUMNS)
    assert "minhash" not in columns and "raw_html" not in columns
    assert "article_feed" in inspect(corpus.engine).get_view_names()


def test_view_rows_carry_source_duplicates_and_fetch_times(corpus: Corpus) -> None:
    with corpus.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, source, source_home_url, duplicate_count FROM article_feed ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (corpus.ids[0], "alpha", "http://alpha.test/", 1),
        (corpus.ids[1], "alpha", "http://alpha.test/", 0),
        (corpus.ids[2], "beta", "http://beta.test/", 0),
        (corpus.ids[3], "beta", "http://beta.test/", 0),
    ]
    first = next(iter(read_articles(corpus.engine, include_duplicates=True)))
    assert first.first_fetched_at == datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
    assert first.last_fetched_at == datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
    assert first.published_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert first.tags == ["اقتصاد", "نفط"] and first.authors == ["مراسل الموقع"]
    assert first.title == "أسعار النفط ترتفع في الأسواق"
    (dup,) = first.duplicates
    assert (dup.url, dup.source, dup.kind, dup.similarity) == (
        "http://beta.test/copy/0",
        "beta",
        "near",
        0.91,
    )


def test_filters(corpus: Corpus) -> None:
    def ids(**filters: object) -> list[int]:
        return [a.id for a in read_articles(corpus.engine, **filters)]  # type: ignore[arg-type]

    assert ids(source="alpha") == corpus.ids[:2]
    assert ids(language="en") == [corpus.ids[2]]
    assert ids(language=["ar"], source=["beta"]) == [corpus.ids[3]]
    assert ids(since="2026-02-01") == corpus.ids[1:3]  # no publication date: left out
    assert ids(since=datetime(2026, 2, 1, 13, 0, tzinfo=UTC)) == [corpus.ids[2]]
    assert ids(after_id=corpus.ids[1]) == corpus.ids[2:]


def test_incremental_reads_never_miss_or_repeat(fresh_corpus: Corpus) -> None:
    batch = read_articles(fresh_corpus.engine)
    seen = [a.id for a in batch]
    assert batch.cursor == max(fresh_corpus.ids) and batch.count() == 4
    again = read_articles(fresh_corpus.engine, after_id=batch.cursor)
    assert list(again) == [] and again.cursor == batch.cursor
    writer = Repository(fresh_corpus.engine).writer()
    new_id = writer.add_article("alpha", None, story_record(1, "http://alpha.test/n"), "n", b"m")
    writer.commit()
    writer.close()
    later = read_articles(fresh_corpus.engine, after_id=batch.cursor)
    assert [a.id for a in later] == [new_id] and later.cursor == new_id
    assert new_id not in seen


def test_postgres_cursor_waits_for_an_earlier_id_still_in_flight(postgres_url: str) -> None:
    corpus = build_corpus(postgres_url)
    repo = Repository(corpus.engine)
    start = read_bound(corpus.engine)
    slow = repo.writer()  # takes the smaller id and commits last
    slow_id = slow.add_article("alpha", None, story_record(0, "http://alpha.test/s"), "s", b"m")
    fast = repo.writer()
    fast_id = fast.add_article("alpha", None, story_record(1, "http://alpha.test/f"), "f", b"m")
    fast.commit()
    assert slow_id is not None and fast_id is not None and slow_id < fast_id
    # the fast row is committed and visible, but reading it now would skip the slow one later
    first = read_articles(corpus.engine, after_id=start)
    assert list(first) == [] and first.cursor == slow_id - 1
    slow.commit()
    second = read_articles(corpus.engine, after_id=first.cursor)
    assert [a.id for a in second] == [slow_id, fast_id]
    slow.close()
    fast.close()
    corpus.engine.dispose()


def test_postgres_cursor_ignores_articles_in_flight_in_another_database(
    postgres_url: str, postgres_server_url: str
) -> None:
    """pg_locks shows the whole server's locks: another akhbar database's article in flight
    (a smaller id, never committed here) must not hold this database's readers back."""
    corpus = build_corpus(postgres_url)
    with scratch_postgres_database(postgres_server_url, "akhbar_t") as other_url:
        other = make_engine(other_url)
        upgrade(other)
        other_repo = Repository(other)
        other_repo.sync_source("alpha", "http://alpha.test/", ["ar"])
        in_flight = other_repo.writer()
        other_id = in_flight.add_article(
            "alpha", None, story_record(0, "http://alpha.test/in-flight"), "x", b"m"
        )
        assert other_id is not None and other_id < max(corpus.ids)
        try:
            page = read_articles(corpus.engine, after_id=0)
            assert [a.id for a in page] == corpus.ids
            assert page.cursor == max(corpus.ids)
        finally:
            in_flight.rollback()
            in_flight.close()
            other.dispose()
    corpus.engine.dispose()


def test_postgres_concurrent_writers_and_a_polling_reader(postgres_url: str) -> None:
    """Writers commit in random order while a reader polls: every id exactly once."""
    corpus = build_corpus(postgres_url)
    repo = Repository(corpus.engine)
    committed: list[int] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        for batch in range(6):
            writer = repo.writer()
            got = []
            for i in range(3):
                url = f"http://alpha.test/w{worker}/{batch}/{i}"
                got.append(writer.add_article("alpha", None, story_record(0, url), url, b"m"))
            time.sleep(0.002 * ((worker * 7 + batch) % 5))
            if (worker + batch) % 4 == 0:
                writer.rollback()  # ids handed out, never committed
            else:
                writer.commit()
                with lock:
                    committed.extend(i for i in got if i is not None)
            writer.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    cursor = max(corpus.ids)
    read: list[int] = []
    while any(t.is_alive() for t in threads):
        batch = read_articles(corpus.engine, after_id=cursor)
        read.extend(a.id for a in batch)
        cursor = batch.cursor
    for t in threads:
        t.join()
    batch = read_articles(corpus.engine, after_id=cursor)
    read.extend(a.id for a in batch)
    assert sorted(read) == read  # cursor order
    assert len(read) == len(set(read))  # never repeated
    assert set(read) == set(committed)  # never missed
    corpus.engine.dispose()


def test_view_survives_downgrade_and_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    downgrade(engine, "0001")
    assert "article_feed" not in inspect(engine).get_view_names()
    upgrade(engine)
    assert "article_feed" in inspect(engine).get_view_names()
    engine.dispose()


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01"])
def test_bad_since_is_refused(corpus: Corpus, bad: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        read_articles(corpus.engine, since=bad)
