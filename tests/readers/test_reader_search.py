"""Arabic full-text search on SQLite (FTS5) and PostgreSQL (tsvector), kept in sync."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import Corpus
from sqlalchemy import select, text

from akhbar.cli import cli
from akhbar.read import search_articles
from akhbar.storage import Repository
from akhbar.storage.migrate import downgrade, upgrade
from akhbar.storage.models import Article


@pytest.mark.parametrize(
    ("query", "story"),
    [
        ("اسعار النفط", 0),  # hamza: the text writes أسعار
        ("مدرسه", 1),  # ta marbuta and no article: the text writes المدرسة
        ("مدينة الاسكندرية", 1),  # the text writes مَدِينَة (diacritics) and الإسكندرية
        ("الإمارات", 3),  # hamza in the query, none in the text
        ("أَسْعَارُ", 0),  # diacritics in the query
        ("OIL Prices", 2),  # case
    ],
)
def test_spelling_variants_match(corpus: Corpus, query: str, story: int) -> None:
    hits = search_articles(corpus.engine, query)
    assert [h.article_id for h in hits] == [corpus.ids[story]]


def test_filters_limit_and_ranking(corpus: Corpus) -> None:
    assert search_articles(corpus.engine, "النفط", source="beta") == []
    assert search_articles(corpus.engine, "الامارات", since="2026-01-01") == []  # undated
    hits = search_articles(corpus.engine, "في")
    assert len(hits) >= 2
    assert len(search_articles(corpus.engine, "في", limit=1)) == 1
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert search_articles(corpus.engine, "!!!") == []
    (hit,) = search_articles(corpus.engine, "اسعار", since=datetime(2026, 1, 1, tzinfo=UTC))
    assert "أسعار" in hit.snippet and hit.title.startswith("أسعار")


def test_updated_text_is_reindexed(fresh_corpus: Corpus) -> None:
    assert [h.article_id for h in search_articles(fresh_corpus.engine, "خمسمئه")] == [
        fresh_corpus.ids[1]
    ]
    repo = Repository(fresh_corpus.engine)
    with repo.sessions.begin() as session:
        article = session.scalars(select(Article).where(Article.id == fresh_corpus.ids[1])).one()
        article.text = "نص جديد عن كرة القدم"
    assert search_articles(fresh_corpus.engine, "خمسمئه") == []  # only in the old text
    assert [h.article_id for h in search_articles(fresh_corpus.engine, "كره")] == [
        fresh_corpus.ids[1]
    ]


def test_migration_indexes_articles_stored_before_it(fresh_corpus: Corpus) -> None:
    downgrade(fresh_corpus.engine, "0001")
    upgrade(fresh_corpus.engine)
    assert [h.article_id for h in search_articles(fresh_corpus.engine, "مدرسه")] == [
        fresh_corpus.ids[1]
    ]
    with fresh_corpus.engine.connect() as conn:
        table = "articles_fts" if conn.dialect.name == "sqlite" else "article_search"
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 4


def test_search_command(corpus: Corpus) -> None:
    runner = CliRunner()
    args = ["--db", corpus.url, "search", "اسعار", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.output)
    assert hit["article_id"] == corpus.ids[0] and hit["published_at"] == "2026-01-05T09:30:00+00:00"
    result = runner.invoke(cli, ["--db", corpus.url, "search", "مدرسه", "--source", "alpha"])
    assert result.exit_code == 0 and "افتتاح مدرسة جديدة" in result.output
    result = runner.invoke(cli, ["--db", corpus.url, "search", "مدرسه", "--since", "bad"])
    assert result.exit_code != 0 and "--since" in result.output
