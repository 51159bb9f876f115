"""Provenance reads: who republished which story, and how much of each source is copies.

Every page whose text copies a stored article becomes a ``duplicates`` row (kind exact, near or
url; estimated Jaccard and containment; source, URL, when) pointing at the article stored
first. These queries serve ``akhbar stats`` (per-source duplicate rates, the most syndicated
stories) and ``akhbar dupes ARTICLE_ID`` (the copies of one story).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select

from akhbar.storage.database import make_session_factory
from akhbar.storage.models import Article, Duplicate

__all__ = [
    "Copy",
    "SourceDuplicateRate",
    "StoryCopies",
    "SyndicatedStory",
    "copies_of",
    "duplicate_rates",
    "top_syndicated",
]


@dataclass(frozen=True, slots=True)
class SourceDuplicateRate:
    """How much of what one source published was a copy of a story stored first elsewhere
    (or earlier on the same site): ``rate = duplicates / (articles + duplicates)``."""

    source: str
    articles: int
    duplicates: int
    rate: float
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SyndicatedStory:
    """A stored article and how many copies of it were found, on how many sources."""

    article_id: int
    source: str
    url: str
    title: str
    copies: int
    sources: int


@dataclass(frozen=True, slots=True)
class Copy:
    """One republication of a story (a ``duplicates`` row)."""

    source: str
    url: str
    kind: str
    similarity: float
    containment: float | None
    detected_at: datetime
    title: str | None


@dataclass(frozen=True, slots=True)
class StoryCopies:
    """The stored article (the first copy seen) and every later copy of it."""

    article_id: int
    source: str
    url: str
    title: str
    stored_at: datetime
    copies: list[Copy]


def duplicate_rates(engine: Engine) -> dict[str, SourceDuplicateRate]:
    """Per source: articles, duplicates (by kind) and the duplicate rate."""
    with make_session_factory(engine)() as session:
        articles = dict(
            session.execute(select(Article.source, func.count()).group_by(Article.source)).all()
        )
        kinds: dict[str, dict[str, int]] = {}
        for source, kind, n in session.execute(
            select(Duplicate.source, Duplicate.kind, func.count()).group_by(
                Duplicate.source, Duplicate.kind
            )
        ):
            kinds.setdefault(source, {})[kind] = int(n)
    result = {}
    for source in sorted(set(articles) | set(kinds)):
        stored = int(articles.get(source, 0))
        dupes = sum(kinds.get(source, {}).values())
        total = stored + dupes
        result[source] = SourceDuplicateRate(
            source, stored, dupes, round(dupes / total, 4) if total else 0.0, kinds.get(source, {})
        )
    return result


def top_syndicated(engine: Engine, limit: int = 10) -> list[SyndicatedStory]:
    """The stories with the most copies (ties: the article stored first)."""
    copies = func.count(Duplicate.id).label("copies")
    query = (
        select(
            Article.id,
            Article.source,
            Article.url,
            Article.title,
            copies,
            func.count(func.distinct(Duplicate.source)),
        )
        .join(Duplicate, Duplicate.article_id == Article.id)
        .group_by(Article.id, Article.source, Article.url, Article.title)
        .order_by(copies.desc(), Article.id)
        .limit(limit)
    )
    with make_session_factory(engine)() as session:
        return [
            SyndicatedStory(int(i), src, url, title, int(n), int(s))
            for i, src, url, title, n, s in session.execute(query)
        ]


def copies_of(engine: Engine, article_id: int) -> StoryCopies | None:
    """The article and its copies in the order they were found; ``None`` if no such article."""
    with make_session_factory(engine)() as session:
        article = session.get(Article, article_id)
        if article is None:
            return None
        rows = session.scalars(
            select(Duplicate)
            .where(Duplicate.article_id == article_id)
            .order_by(Duplicate.detected_at, Duplicate.id)
        ).all()
        return StoryCopies(
            article.id,
            article.source,
            article.url,
            article.title,
            article.created_at,
            [
                Copy(d.source, d.url, d.kind, d.similarity, d.containment, d.detected_at, d.title)
                for d in rows
            ],
        )
