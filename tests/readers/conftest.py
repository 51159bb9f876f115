"""A small Arabic corpus written through akhbar's own writer, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from akhbar.records import Article as ArticleRecord
from akhbar.records import DuplicateKind, FetchedPage, PageOutcome
from akhbar.storage import Repository, make_engine
from akhbar.storage.database import scratch_postgres_database
from akhbar.storage.migrate import upgrade

# (source, language, published, title, text): spelling chosen so that search tests can query
# other forms (hamza, ta marbuta, diacritics, definite article) of the same words.
STORIES = [
    (
        "alpha",
        "ar",
        datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "أسعار النفط ترتفع في الأسواق",
        "ارتفعت أسعار النفط اليوم في الأسواق العالمية بعد قرار خفض الإنتاج.\n\n"
        "وقال محللون إن الأسعار قد تواصل الصعود خلال الأسبوع المقبل.",
    ),
    (
        "alpha",
        "ar",
        datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
        "افتتاح مدرسة جديدة",
        "افتتحت وزارة التربية المدرسة الجديدة في مَدِينَة الإسكندرية صباح الأحد.\n\n"
        "وتستقبل المدرسة خمسمئة طالب وطالبة في عامها الأول.",
    ),
    (
        "beta",
        "en",
        datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        "Markets close higher",
        "Stock markets closed higher on Monday as oil prices rose for a third day.",
    ),
    (
        "beta",
        "ar",
        None,
        "زيارة رسمية الى الامارات",
        "وصل وزير الخارجية الى الامارات في زيارة رسمية تستغرق يومين يبحث خلالها التعاون.",
    ),
]


@dataclass(frozen=True)
class Corpus:
    url: str
    engine: Engine
    ids: list[int]


def story_record(index: int, url: str) -> ArticleRecord:
    _source, language, published, title, text = STORIES[index]
    return ArticleRecord(
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        language=language,
        authors=["مراسل الموقع"],
        published_at=published,
        tags=["اقتصاد", "نفط"] if index == 0 else [],
    )


def fetched(source: str, url: str, day: int) -> FetchedPage:
    return FetchedPage(
        source=source,
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body="<html><body>خبر</body></html>".encode(),
        encoding="utf-8",
        fetched_at=datetime(2026, 4, day, 10, 0, tzinfo=UTC),
    )


def build_corpus(db_url: str) -> Corpus:
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("alpha", "http://alpha.test/", ["ar"])
    repo.sync_source("beta", "http://beta.test/", ["ar", "en"])
    writer = repo.writer()
    ids: list[int] = []
    for index, (source, *_rest) in enumerate(STORIES):
        url = f"http://{source}.test/news/{index}"
        article_id = writer.add_article(source, None, story_record(index, url), f"h{index}", b"m")
        assert article_id is not None
        ids.append(article_id)
        writer.record_page(
            fetched(source, url, 1), PageOutcome.ARTICLE, run_id=None, article_id=article_id
        )
    # the first story fetched again later, and copied by beta
    first_url = "http://alpha.test/news/0"
    writer.record_page(
        fetched("alpha", first_url, 3), PageOutcome.ARTICLE, run_id=None, article_id=ids[0]
    )
    copy = story_record(0, "http://beta.test/copy/0")
    writer.add_duplicate("beta", None, copy, ids[0], DuplicateKind.NEAR, 0.91, 0.95)
    writer.commit()
    writer.close()
    return Corpus(db_url, engine, ids)


def fingerprint(engine: Engine) -> tuple[object, ...]:
    """What a test must not change in the shared corpus: row counts, the largest id, the
    texts' hashes and statuses."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM duplicates),"
                    " (SELECT count(*) FROM articles), (SELECT max(id) FROM articles)"
                )
            ).one()
        ) + tuple(conn.execute(text("SELECT text_hash, title, status FROM articles ORDER BY id")))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stored_corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Corpus]:
    """The corpus written once per session and backend, committed (readers open their own
    connections and read what is committed)."""
    if request.param == "sqlite":
        built = build_corpus(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'akhbar.db'}")
        yield built
        built.engine.dispose()
        return
    server: str = request.getfixturevalue("postgres_server_url")
    with scratch_postgres_database(server, "akhbar_t") as url:
        built = build_corpus(url)
        yield built
        built.engine.dispose()


@pytest.fixture
def corpus(stored_corpus: Corpus) -> Iterator[Corpus]:
    """The shared corpus, for tests that only read it (checked unchanged afterwards)."""
    before = fingerprint(stored_corpus.engine)
    yield stored_corpus
    assert fingerprint(stored_corpus.engine) == before, "a test changed the shared corpus"


@pytest.fixture
def fresh_corpus(db_url: str) -> Iterator[Corpus]:
    """The corpus in a database of its own, for tests that write or migrate it."""
    built = build_corpus(db_url)
    yield built
    built.engine.dispose()
