"""Full-text search over article titles and texts that works for Arabic spelling variants.

Arabic pages write one word several ways (hamza forms of alef, hamza seats, ta marbuta or
heh, optional diacritics, tatweel...). The index therefore holds the dedup normalisation
(:func:`akhbar.dedup.normalize.normalize_text`, whose Arabic rules are those of
:mod:`akhbar.text.arabic`) of title and text, and queries are normalised the same way, so
"مدرسة" finds "مَدْرَسَه", "اسعار" finds "أسعار" and "مسئول" finds "مسؤول". The rows keep the
folded words, not the rules: a change of the folding needs every article re-indexed
(:func:`reindex_articles` with no ids); tests/text/test_arabic.py pins the folding for that
reason.

* SQLite: an FTS5 table ``articles_fts(title, body)`` whose rowid is the article id, ranked
  with bm25 (title weighs three times the text).
* PostgreSQL: ``article_search(article_id, document tsvector)`` with a GIN index, built with
  the ``simple`` configuration (no stemming: the text is already folded), ranked with ts_rank.

Both tables are created by migration 0005 and kept in sync here: :func:`index_documents` is
called when the writer commits a batch of new articles, and ORM updates of an article's title
or text (a reprocess) re-index it through a mapper event. Code that changes ``articles`` with
bulk SQL must call :func:`reindex_articles` for the ids it touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, inspect, select, text
from sqlalchemy.orm import Mapper, Session

from akhbar.dedup.normalize import normalize_text
from akhbar.errors import AkhbarError
from akhbar.storage.models import Article
from akhbar.storage.types import UTCDateTime
from akhbar.text.arabic import without_article

SNIPPET_WORDS = 24

# Every word of a query must match, so a long query finds nothing a short one would not, while
# each word costs a full-text lookup (a pasted article as the query took minutes): refused.
MAX_QUERY_WORDS = 64
MAX_QUERY_CHARS = 1000


class QueryTooLong(AkhbarError, ValueError):
    """A search query over :data:`MAX_QUERY_WORDS` words or :data:`MAX_QUERY_CHARS` characters."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article, best first; ``score`` grows with relevance."""

    article_id: int
    source: str
    title: str
    url: str
    published_at: datetime | None
    score: float
    snippet: str


# -- keeping the index in sync ---------------------------------------------------------------
def search_document(text_: str) -> str:
    """What the index holds for a title or text: the normalised words, plus each word that
    carries a definite article once more without it (``المدرسه`` also as ``مدرسه``, so a query
    for the bare word finds the article)."""
    words = normalize_text(text_).split()
    extra = [bare for bare in map(without_article, words) if bare is not None]
    return " ".join(words + extra)


def search_documents(title: str, body: str) -> tuple[str, str]:
    """The (title, body) documents of one article (the crawler computes them in its extraction
    workers and the writer hands them to :func:`index_documents`)."""
    return search_document(title), search_document(body)


def _index_rows(conn: Connection | Session, rows: Sequence[tuple[int, str, str]]) -> None:
    if not rows:
        return
    index_documents(
        conn, [(article_id, *search_documents(title, body)) for article_id, title, body in rows]
    )


def index_documents(conn: Connection | Session, docs: Sequence[tuple[int, str, str]]) -> None:
    """Index (or re-index) articles from their :func:`search_documents`: (id, title document,
    body document) each, in one ``executemany`` (the writer sends a batch's at its commit)."""
    params = [{"id": article_id, "t": title, "b": body} for article_id, title, body in docs]
    if _dialect(conn) == "postgresql":
        conn.execute(
            text(
                "INSERT INTO article_search (article_id, document) VALUES (:id, "
                "setweight(to_tsvector('simple', :t), 'A') || "
                "setweight(to_tsvector('simple', :b), 'B')) "
                "ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"
            ),
            params,
        )
    else:
        conn.execute(
            text("DELETE FROM articles_fts WHERE rowid = :id"), [{"id": p["id"]} for p in params]
        )
        conn.execute(
            text("INSERT INTO articles_fts (rowid, title, body) VALUES (:id, :t, :b)"), params
        )


def _dialect(conn: Connection | Session) -> str:
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return bind.dialect.name


def reindex_articles(conn: Connection | Session, ids: Iterable[int] | None = None) -> int:
    """Re-index the given article ids (all articles when ``None``); returns how many."""
    done = 0
    wanted = None if ids is None else sorted(set(ids))
    last_id = 0
    while True:
        query = select(Article.id, Article.title, Article.text).order_by(Article.id).limit(1000)
        if wanted is None:
            query = query.where(Article.id > last_id)
        else:
            batch, wanted = wanted[:1000], wanted[1000:]
            if not batch:
                return done
            query = query.where(Article.id.in_(batch))
        rows = [(r[0], r[1], r[2]) for r in conn.execute(query).all()]
        if wanted is None and not rows:
            return done
        _index_rows(conn, rows)
        done += len(rows)
        if rows:
            last_id = rows[-1][0]


@event.listens_for(Article, "after_update")
def _reindex_on_update(_mapper: Mapper[Any], connection: Connection, target: Article) -> None:
    state = inspect(target)
    if state.attrs.title.history.has_changes() or state.attrs.text.history.has_changes():
        _index_rows(connection, [(target.id, target.title, target.text)])


@event.listens_for(Article, "after_delete")
def _unindex_on_delete(_mapper: Mapper[Any], connection: Connection, target: Article) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("DELETE FROM article_search WHERE article_id = :id"), {"id": target.id}
        )
    else:
        connection.execute(text("DELETE FROM articles_fts WHERE rowid = :id"), {"id": target.id})


# -- querying --------------------------------------------------------------------------------
def query_tokens(query: str) -> list[str]:
    """The normalised words of a search query (every one must match).

    Raises :class:`QueryTooLong` for a query over the caps above."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"search query too long: {len(query):,} characters (at most {MAX_QUERY_CHARS:,}); "
            "a few distinctive words find the article"
        )
    tokens = normalize_text(query).split()
    if len(tokens) > MAX_QUERY_WORDS:
        raise QueryTooLong(
            f"search query too long: {len(tokens):,} words (at most {MAX_QUERY_WORDS}); "
            "every word must match, so a few distinctive words find the article"
        )
    return tokens


def fts5_match(tokens: Sequence[str]) -> str:
    """The SQLite FTS5 ``MATCH`` expression of :func:`query_tokens`: each word a quoted phrase,
    so FTS5 syntax in a query (``OR``, ``*``, quotes) is searched for, never interpreted."""
    return " ".join('"' + tok.replace('"', '""') + '"' for tok in tokens)


def search(
    engine: Engine,
    query: str,
    *,
    sources: Sequence[str] = (),
    since: datetime | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Active articles containing every word of ``query`` (in any spelling variant), best
    first.

    Raises :class:`QueryTooLong` for a query over the caps above."""
    tokens = query_tokens(query)
    if not tokens:
        return []
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    filters = " AND a.status = 'active'"  # withdrawn articles are not stories any more
    params: dict[str, Any] = {"n": limit}
    if sources:
        filters += " AND a.source IN :sources"
        params["sources"] = list(sources)
    if since is not None:
        filters += " AND a.published_at >= :since"
        params["since"] = since
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            sql = (
                "SELECT a.id, a.source, a.title, a.url, a.published_at, a.text, "
                "ts_rank(s.document, q.query) AS score "
                "FROM article_search s JOIN articles a ON a.id = s.article_id, "
                "plainto_tsquery('simple', :q) AS q(query) "
                f"WHERE s.document @@ q.query{filters} ORDER BY score DESC, a.id LIMIT :n"
            )
            params["q"] = " ".join(tokens)
        else:
            sql = (
                "SELECT a.id, a.source, a.title, a.url, a.published_at, a.text, "
                "-bm25(articles_fts, 3.0, 1.0) AS score "
                "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                f"WHERE articles_fts MATCH :q{filters} ORDER BY score DESC, a.id LIMIT :n"
            )
            params["q"] = fts5_match(tokens)
        clause = text(sql)
        if since is not None:
            clause = clause.bindparams(bindparam("since", type_=UTCDateTime))
        if sources:
            clause = clause.bindparams(bindparam("sources", expanding=True))
        rows = conn.execute(clause.columns(published_at=UTCDateTime), params).all()
    return [
        SearchHit(
            article_id=row.id,
            source=row.source,
            title=row.title,
            url=row.url,
            published_at=row.published_at,
            score=round(float(row.score), 6),
            snippet=snippet(row.text, tokens),
        )
        for row in rows
    ]


def snippet(body: str, tokens: Sequence[str], width: int = SNIPPET_WORDS) -> str:
    """A window of the original text around the first word that matches a query token."""
    words = body.split()
    wanted = set(tokens)
    start = 0
    for index, word in enumerate(words):
        if wanted.intersection(search_document(word).split()):
            start = max(0, index - width // 3)
            break
    window = words[start : start + width]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(words) else ""
    return prefix + " ".join(window) + suffix
