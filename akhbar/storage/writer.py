"""The ingest writer: pages, articles, duplicates and search rows of a crawl, in batches.

A unit of work for one crawl process: every page is written into one open transaction that is
committed every ``batch_size`` pages (one transaction per batch instead of one per row), so a
crash or a database error loses a batch, never half of one (the pipeline's
:mod:`akhbar.unit_of_work` replays it). Writes are idempotent: a page URL is stored once and
updated on refetch; an article's text hash and URL are unique.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, literal, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from akhbar.records import Article as ArticleRecord
from akhbar.records import DuplicateKind, FetchedPage, PageOutcome
from akhbar.storage.html import compress_html
from akhbar.storage.models import ARTICLE_ACTIVE, Article, Duplicate, Page
from akhbar.storage.reader_cursor import CursorGate
from akhbar.storage.search import index_documents
from akhbar.storage.search import search_documents as search_documents_of
from akhbar.storage.types import utcnow

if TYPE_CHECKING:
    from akhbar.storage.repository import Repository

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace "akd5", key 1): the dedup decision of all crawl processes.
DEDUP_LOCK = {"ns": 0x616B6435, "key": 1}

# the articles readers see as stories (withdrawn ones are kept, not deleted)
_ACTIVE = Article.status == ARTICLE_ACTIVE


@dataclass(frozen=True, slots=True)
class CanonicalMatch:
    """A stored article found by canonical URL."""

    article_id: int
    minhash: bytes


def article_columns(record: ArticleRecord, text_hash: str, minhash: bytes) -> dict[str, Any]:
    """The ``articles`` columns made from a cleaned record: one mapping for the insert of a
    new article and the rewrite of a re-extracted one (``akhbar reprocess``)."""
    return {
        "canonical_url": record.canonical_url,
        "title": record.title,
        "text": record.text,
        "authors": list(record.authors),
        "published_at": record.published_at,
        "modified_at": record.modified_at,
        "language": record.language,
        "sitename": record.sitename,
        "categories": list(record.categories),
        "tags": list(record.tags),
        "description": record.description,
        "image_url": record.image_url,
        "word_count": record.word_count,
        "text_hash": text_hash,
        "minhash": minhash,
    }


# the columns a refetch of a URL overwrites on its pages row
_PAGE_REFRESHED = (
    "final_url",
    "canonical_url",
    "http_status",
    "etag",
    "last_modified",
    "content_type",
    "encoding",
    "outcome",
    "reason",
    "article_id",
    "raw_html",
    "raw_size",
    "last_fetched_at",
    "crawl_run_id",
)


@dataclass(frozen=True)
class _WriteStatements:
    """The writer's statements (INSERT ... ON CONFLICT, and the per-page lookup), built once per
    dialect and shared by every writer: the values come as parameters, so SQLAlchemy compiles
    each statement once, not once per page or per writer."""

    article: Any
    duplicate: Any
    page: Any
    lookup: Any  # parameters: url, canonical_url

    @classmethod
    @cache
    def for_dialect(cls, name: str) -> _WriteStatements:
        insert = postgresql.insert if name == "postgresql" else sqlite.insert
        page = insert(Page)
        refreshed: dict[str, Any] = {col: page.excluded[col] for col in _PAGE_REFRESHED}
        refreshed["fetch_count"] = Page.__table__.c.fetch_count + 1
        return cls(
            article=insert(Article).on_conflict_do_nothing().returning(Article.id),
            duplicate=insert(Duplicate).on_conflict_do_nothing(),
            page=page.on_conflict_do_update(index_elements=[Page.url], set_=refreshed),
            lookup=_lookup_statement(),
        )


def _lookup_statement() -> Any:
    """The article stored under a URL (``k`` = 0) and the first active article with a
    canonical URL (``k`` = 1), in one round trip."""
    by_url = select(Article.id, Article.minhash, literal(0).label("k")).where(
        Article.url == bindparam("url")
    )
    by_canonical = (
        select(Article.id, Article.minhash, literal(1).label("k"))
        .where(Article.canonical_url == bindparam("canonical_url"), _ACTIVE)
        .order_by(Article.id)
        .limit(1)
    )
    return union_all(select(by_url.subquery()), select(by_canonical.subquery()))


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the stored articles say about a page about to be stored: the article stored under
    its URL, and the first active article with its canonical URL (both ``None`` if none)."""

    article_id: int | None
    canonical: CanonicalMatch | None


class IngestWriter:
    """A unit of work for one crawl: pages, articles and duplicates, committed in batches.

    Article ids are assigned when the article is inserted (before the commit) so the dedup
    index, and the pages and copies of the same batch, can refer to an article at once. The
    rows nothing in the batch reads back — ``pages``, ``duplicates`` and the search index — are
    kept and sent in one ``executemany`` per table when the batch is committed (or before
    anyone else uses :attr:`session`): on PostgreSQL each statement is a round trip, and a new
    article took five of them. :meth:`commit` returns normally or raises, and on failure the
    caller learns which article ids were rolled back (``pending_article_ids``) to forget them.
    """

    def __init__(self, repo: Repository, batch_size: int) -> None:
        self.repo = repo
        self.batch_size = batch_size
        self._session: Session = repo.write_sessions()
        # rows waiting for the batch's executemany: pages by URL (a URL twice in one batch
        # sends the first one on, an upsert cannot touch a row twice in one statement),
        # duplicates, search documents (article id, title, body)
        self._pages: dict[str, dict[str, Any]] = {}
        self._duplicates: list[dict[str, Any]] = []
        self._search: list[tuple[int, str, str]] = []
        self.pending = 0
        self.pending_article_ids: list[int] = []
        # +1 each time the transaction ends (commit or rollback): the ingestors sharing this
        # writer learn that their uncommitted pages were settled by another one
        self.generation = 0
        self.cursor_gate = CursorGate(self._session)
        # the pipeline's unit of work over this writer (akhbar/unit_of_work.py), kept here so
        # every ingestor sharing the writer finds the same one
        self.unit_of_work: object | None = None
        self._statements = _WriteStatements.for_dialect(repo.engine.dialect.name)

    @property
    def session(self) -> Session:
        """The writer's session, with every row of the batch sent: for code that reads or
        changes rows the writer may hold back (``akhbar reprocess``)."""
        self.send_rows()
        return self._session

    # -- lookups inside the unit of work (see uncommitted rows too) ---------------------------
    def lookup(self, url: str, canonical_url: str) -> Lookup:
        """The article stored under ``url`` and the first active one with ``canonical_url``,
        in one round trip."""
        rows = self._session.execute(
            self._statements.lookup, {"url": url, "canonical_url": canonical_url}
        ).all()
        article_id = next((r[0] for r in rows if r[2] == 0), None)
        match = next((CanonicalMatch(r[0], bytes(r[1])) for r in rows if r[2] == 1), None)
        return Lookup(article_id, match)

    def article_id_for_hash(self, text_hash: str) -> int | None:
        """The active article with this text hash (unique among active articles)."""
        return self._session.scalar(
            select(Article.id).where(Article.text_hash == text_hash, _ACTIVE)
        )

    # -- writes -------------------------------------------------------------------------------
    def add_article(
        self,
        source: str,
        run_id: int | None,
        record: ArticleRecord,
        text_hash: str,
        minhash: bytes,
        search_documents: tuple[str, str] | None = None,
    ) -> int | None:
        """Insert an article; ``None`` when its URL or text hash is already stored."""
        values = dict(
            source=source,
            url=record.url,
            **article_columns(record, text_hash, minhash),
            crawl_run_id=run_id,
            created_at=utcnow(),
        )
        # one statement, no savepoint: a URL or text hash already stored inserts nothing
        # readers' cursor safety and the search index: see storage/reader_cursor.py, search.py
        with self.cursor_gate.inserting() as publish_in_flight:
            inserted = self._session.execute(self._statements.article, values)
            article_id: int | None = inserted.scalar()
            if article_id is None:
                log.info("article already stored (url or text hash): %s", record.url)
                return None
            publish_in_flight(article_id)
        self._search.append(
            (article_id, *(search_documents or search_documents_of(record.title, record.text)))
        )
        self.pending_article_ids.append(article_id)
        return article_id

    def add_duplicate(
        self,
        source: str,
        run_id: int | None,
        record: ArticleRecord,
        article_id: int,
        kind: DuplicateKind,
        similarity: float,
        containment: float | None,
    ) -> None:
        values = dict(
            url=record.url,
            source=source,
            article_id=article_id,
            kind=kind.value,
            similarity=round(similarity, 4),
            containment=None if containment is None else round(containment, 4),
            title=record.title,
            published_at=record.published_at,
            crawl_run_id=run_id,
            detected_at=utcnow(),
        )
        # a URL already recorded as a copy keeps its first verdict (sent with the batch)
        self._duplicates.append(values)

    def record_page(
        self,
        page: FetchedPage,
        outcome: PageOutcome,
        *,
        run_id: int | None,
        reason: str | None = None,
        canonical_url: str | None = None,
        article_id: int | None = None,
        raw_html: bytes | None = None,
    ) -> None:
        """Insert or update the ``pages`` row of one fetched URL, keeping its raw HTML
        (``raw_html``: the body already compressed by :func:`compress_html`)."""
        now = page.fetched_at
        values = {
            "final_url": page.final_url,
            "canonical_url": canonical_url,
            "http_status": page.status or None,
            "etag": page.headers.get("etag"),
            "last_modified": page.headers.get("last-modified"),
            "content_type": page.headers.get("content-type"),
            "encoding": page.encoding,
            "outcome": outcome.value,
            "reason": reason,
            "article_id": article_id,
            "raw_html": raw_html
            if raw_html is not None
            else (compress_html(page.body) if page.body else None),
            "raw_size": len(page.body),
            "last_fetched_at": now,
            "crawl_run_id": run_id,
        }
        # one upsert (sent with the batch): a refetched URL keeps its first_fetched_at and
        # counts the fetch
        if page.url in self._pages:
            self.send_rows()
        self._pages[page.url] = {
            "source": page.source,
            "url": page.url,
            "first_fetched_at": now,
            **values,
        }
        self.pending += 1

    def send_rows(self) -> None:
        """Send the rows held back for the batch, one ``executemany`` per table (articles
        first: pages and copies point at them, and they were inserted as they came)."""
        if self._search:
            docs, self._search = self._search, []
            index_documents(self._session, docs)
        if self._duplicates:
            rows, self._duplicates = self._duplicates, []
            self._session.execute(self._statements.duplicate, rows)
        if self._pages:
            pages, self._pages = list(self._pages.values()), {}
            self._session.execute(self._statements.page, pages)

    def _drop_rows(self) -> None:
        self._pages, self._duplicates, self._search = {}, [], []

    # -- dedup across processes (docs/dedup.md) ------------------------------------------------
    def lock_dedup(self) -> None:
        """Serialise "is this a new story?" with every other crawl process until the commit.

        PostgreSQL: a transaction-level advisory lock (``DEDUP_LOCK``). SQLite: the writer's
        transaction already holds the database write lock (``BEGIN IMMEDIATE``); this makes
        sure it has begun.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), DEDUP_LOCK)
        else:
            self._session.connection()

    def signatures_after(self, article_id: int) -> list[tuple[int, str, bytes]]:
        """(id, text hash, MinHash bytes) of the articles with a larger id, as this unit of
        work sees them (with the dedup lock held: everything other processes committed)."""
        rows = self._session.execute(
            select(Article.id, Article.text_hash, Article.minhash)
            .where(Article.id > article_id, _ACTIVE)
            .order_by(Article.id)
        ).all()
        return [(i, h, bytes(m)) for i, h, m in rows]

    # -- transaction control ------------------------------------------------------------------
    def due(self) -> bool:
        return self.pending >= self.batch_size

    def commit(self) -> None:
        try:
            self.send_rows()
            self._session.commit()
        except Exception:
            self._drop_rows()
            self._session.rollback()
            raise
        finally:
            self.pending = 0
            self.generation += 1
        self.pending_article_ids.clear()

    def rollback(self) -> list[int]:
        """Drop the uncommitted batch; returns the article ids that no longer exist."""
        self.generation += 1
        self._drop_rows()
        self._session.rollback()
        lost, self.pending_article_ids = self.pending_article_ids, []
        self.pending = 0
        return lost

    def close(self) -> None:
        """Close the session (what was not committed is dropped, as on a rollback)."""
        self._drop_rows()
        self._session.close()
