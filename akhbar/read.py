"""The Python read API for consumers: typed articles, a cursor, search, pandas.

For notebooks, NLP jobs and services that read akhbar's database without running a crawler::

    from akhbar.read import read_articles

    batch = read_articles("sqlite:///akhbar.db", after_id=last_cursor, language="ar")
    for article in batch:          # FeedArticle records, streamed in constant memory
        handle(article.title, article.text)
    last_cursor = batch.cursor     # store it; the next read starts after it

``batch.cursor`` is the safe bound computed before reading (docs/reading.md explains why it
never skips a record that a running crawl commits late). ``read_dataframe`` returns the same
rows as a pandas DataFrame (``pip install 'akhbar[pandas]'``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from akhbar.errors import AkhbarError
from akhbar.storage.database import make_engine
from akhbar.storage.reader_cursor import (
    FEED_COLUMNS,
    DuplicateRef,
    FeedArticle,
    FeedFilter,
    count_feed,
    iter_feed,
    parse_since,
    read_bound,
)
from akhbar.storage.search import SearchHit
from akhbar.storage.search import search as _search

__all__ = [
    "ArticleBatch",
    "DuplicateRef",
    "FeedArticle",
    "PandasUnavailable",
    "SearchHit",
    "read_articles",
    "read_dataframe",
    "search_articles",
]

Since = datetime | date | str


class PandasUnavailable(AkhbarError, RuntimeError):
    """pandas is not installed (``pip install 'akhbar[pandas]'``)."""


def _engine(db: str | Engine) -> Engine:
    return make_engine(db) if isinstance(db, str) else db


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class ArticleBatch:
    """The articles after ``filters.after_id`` up to ``cursor``; iterate to stream them."""

    engine: Engine
    filters: FeedFilter
    cursor: int
    chunk: int = 1000

    def __iter__(self) -> Iterator[FeedArticle]:
        with self.engine.connect() as conn:
            yield from iter_feed(conn, self.filters, self.cursor, chunk=self.chunk)

    def count(self) -> int:
        """How many articles iterating will yield."""
        with self.engine.connect() as conn:
            return count_feed(conn, self.filters, self.cursor)

    def to_pandas(self) -> Any:
        """The batch as a pandas DataFrame (one row per article, UTC timestamps)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise PandasUnavailable(
                "read_dataframe needs pandas: pip install 'akhbar[pandas]'"
            ) from exc
        names = list(FEED_COLUMNS)
        if self.filters.include_duplicates:
            names.append("duplicates")
        records = []
        for article in self:
            row = {name: getattr(article, name) for name in FEED_COLUMNS}
            if self.filters.include_duplicates:
                row["duplicates"] = [d.as_dict() for d in article.duplicates]
            records.append(row)
        frame = pd.DataFrame.from_records(records, columns=names)
        for name in ("published_at", "modified_at", "created_at", "first_fetched_at"):
            frame[name] = pd.to_datetime(frame[name], utc=True)
        frame["last_fetched_at"] = pd.to_datetime(frame["last_fetched_at"], utc=True)
        frame.attrs["akhbar_cursor"] = self.cursor
        return frame


def read_articles(
    db: str | Engine,
    *,
    after_id: int = 0,
    since: Since | None = None,
    source: str | Sequence[str] | None = None,
    language: str | Sequence[str] | None = None,
    include_duplicates: bool = False,
    chunk: int = 1000,
) -> ArticleBatch:
    """Articles stored after ``after_id`` (the cursor of the previous read), with filters.

    ``since``: published at or after (a date means midnight UTC); ``source``/``language``: one
    value or several; ``include_duplicates``: fill each record's ``duplicates`` (its copies).
    """
    engine = _engine(db)
    filters = FeedFilter(
        after_id=after_id,
        since=None if since is None else parse_since(since),
        sources=_names(source),
        languages=_names(language),
        include_duplicates=include_duplicates,
    )
    bound = max(read_bound(engine), after_id)
    return ArticleBatch(engine, filters, bound, chunk)


def read_dataframe(db: str | Engine, **filters: Any) -> Any:
    """:func:`read_articles` as a pandas DataFrame; ``df.attrs["akhbar_cursor"]`` is the cursor."""
    return read_articles(db, **filters).to_pandas()


def search_articles(
    db: str | Engine,
    query: str,
    *,
    source: str | Sequence[str] | None = None,
    since: Since | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Full-text search tolerant of Arabic spelling variants (hamza, ta marbuta, diacritics)."""
    return _search(
        _engine(db),
        query,
        sources=_names(source),
        since=None if since is None else parse_since(since),
        limit=limit,
    )
