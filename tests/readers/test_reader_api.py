"""The Python read API: typed records, pandas, and plain sqlite3 / pandas.read_sql on the view."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd
from conftest import Corpus, build_corpus

from akhbar.read import FeedArticle, read_articles, read_dataframe


def test_records_are_typed(corpus: Corpus) -> None:
    articles = list(read_articles(corpus.url, language="ar"))
    assert all(isinstance(a, FeedArticle) for a in articles)
    assert [a.id for a in articles] == [corpus.ids[0], corpus.ids[1], corpus.ids[3]]
    assert articles[0].published_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert articles[0].duplicates == ()  # only filled when asked for


def test_dataframe(corpus: Corpus) -> None:
    frame = read_dataframe(corpus.engine, source="alpha", include_duplicates=True)
    assert list(frame["id"]) == corpus.ids[:2]
    assert str(frame["published_at"].dt.tz) == "UTC"
    assert frame.loc[0, "title"] == "أسعار النفط ترتفع في الأسواق"
    assert frame.loc[0, "duplicates"][0]["source"] == "beta"
    assert frame.attrs["akhbar_cursor"] == corpus.ids[-1]


def test_plain_sqlite3_and_pandas_read_sql_need_no_setup(sqlite_url: str) -> None:
    corpus = build_corpus(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT id, title, duplicate_count FROM article_feed WHERE id > ? ORDER BY id", (0,)
        ).fetchall()
        frame = pd.read_sql("SELECT * FROM article_feed WHERE language = 'ar'", conn)
        hits = conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ("مدرسه",)
        ).fetchall()
    assert rows[0] == (corpus.ids[0], "أسعار النفط ترتفع في الأسواق", 1)
    assert len(frame) == 3 and frame.loc[1, "title"] == "افتتاح مدرسة جديدة"
    assert hits == [(corpus.ids[1],)]
    corpus.engine.dispose()
