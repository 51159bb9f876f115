"""The repository: every read and write the pipeline and the CLI make, in one place.

Writes go through :class:`IngestWriter`, a unit of work that flushes each page inside a
savepoint (one bad record never spoils a batch) and commits every ``batch_size`` pages, so a
crawl costs one transaction per batch instead of one per row. Writes are idempotent: a page URL
is stored once and updated on refetch; an article's text hash and URL are unique.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from akhbar.records import Article as ArticleRecord
from akhbar.records import DuplicateKind, FetchedPage, PageOutcome
from akhbar.storage.database import make_session_factory
from akhbar.storage.feed import CursorGate
from akhbar.storage.models import ARTICLE_ACTIVE, Article, CrawlRun, Duplicate, Page, Source
from akhbar.storage.search import index_article
from akhbar.storage.types import utcnow

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace "akd5", key 1): the dedup decision of all crawl processes.
DEDUP_LOCK = {"ns": 0x616B6435, "key": 1}

# the articles readers see as stories (withdrawn ones are kept, not deleted)
_ACTIVE = Article.status == ARTICLE_ACTIVE

# Pages with these outcomes are final: the crawler never fetches their URL again.
_FINAL_OUTCOMES = (PageOutcome.ARTICLE, PageOutcome.DUPLICATE, PageOutcome.REJECTED)
# HTTP statuses that will not change on a retry: such failed pages are final too.
_PERMANENT_STATUSES = (404, 410, 451)


@dataclass(slots=True)
class RunCounters:
    """The per-run counters stored on ``crawl_runs``."""

    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    failed: int = 0

    def count(self, outcome: PageOutcome) -> None:
        self.fetched += 1
        if outcome is PageOutcome.ARTICLE:
            self.new += 1
        elif outcome is PageOutcome.DUPLICATE:
            self.duplicate += 1
        elif outcome is PageOutcome.REJECTED:
            self.rejected += 1
        else:
            self.failed += 1


@dataclass(frozen=True, slots=True)
class SourceStats:
    """One line of ``akhbar stats``."""

    source: str
    pages: int
    articles: int
    duplicates: int
    rejected: int
    failed: int
    last_run_at: datetime | None
    last_run_status: str | None
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CanonicalMatch:
    """A stored article found by canonical URL."""

    article_id: int
    minhash: bytes


def compress_html(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)


class Repository:
    """Reads and run bookkeeping over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = make_session_factory(engine)
        self.write_sessions = make_session_factory(engine, write=True)  # read-then-write

    # -- sources ------------------------------------------------------------------------------
    def sync_source(self, name: str, home_url: str | None, languages: Sequence[str]) -> None:
        """Insert or update the ``sources`` row of one seeds file."""
        with self.write_sessions.begin() as session:
            row = session.scalar(select(Source).where(Source.name == name))
            language = languages[0] if languages else "und"
            if row is None:
                session.add(
                    Source(
                        name=name, home_url=home_url, language=language, languages=list(languages)
                    )
                )
            elif (row.home_url, row.language, row.languages) != (home_url, language, languages):
                row.home_url, row.language, row.languages = home_url, language, list(languages)

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, source: str, kind: str = "manual", worker: str | None = None) -> int:
        """Insert a running row (the lease: refused with IntegrityError when taken)."""
        with self.sessions.begin() as session:
            run = CrawlRun(
                source=source,
                kind=kind,
                status="running",
                heartbeat_at=utcnow(),
                pid=os.getpid(),
                hostname=socket.gethostname(),
                worker=worker,
            )
            session.add(run)
            session.flush()
            return run.id

    def heartbeat(self, run_id: int, counters: RunCounters) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(heartbeat_at=utcnow(), **_counter_values(counters))
            )

    def finish_run(
        self, run_id: int, status: str, counters: RunCounters, error: str | None = None
    ) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(
                    status=status,
                    finished_at=utcnow(),
                    heartbeat_at=utcnow(),
                    error=error,
                    **_counter_values(counters),
                )
            )

    def get_run(self, run_id: int) -> CrawlRun | None:
        with self.sessions() as session:
            return session.get(CrawlRun, run_id)

    # -- the crawler's memory -----------------------------------------------------------------
    def is_known_url(self, url: str) -> bool:
        """True when ``url`` was fetched before with a final outcome (do not fetch again).

        Asked for every discovered URL, in the middle of a sitemap's or feed's entries: a
        connection dropped under it (a database restart) is retried once on a fresh one, and
        a second failure answers False (the page is fetched again, and its rows upserted)
        rather than abandon the rest of the sitemap."""
        row = None
        for attempt in (1, 2):
            try:
                with self.sessions() as session:
                    row = session.execute(
                        select(Page.outcome, Page.http_status).where(Page.url == url)
                    ).first()
                break
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    log.warning("could not look up %s (%s); fetching it", url, type(exc).__name__)
                    return False
        if row is None:
            return False
        outcome, status = row
        return outcome in _FINAL_OUTCOMES or status in _PERMANENT_STATUSES

    # -- dedup support ------------------------------------------------------------------------
    def iter_signatures(
        self, chunk: int = 5000, *, after: int = 0
    ) -> Iterator[tuple[int, str, bytes]]:
        """Every active article's (id, text hash, MinHash bytes) with an id above ``after``
        (a shared dedup index only needs what it lacks), streamed in id order. Withdrawn
        articles stay out of the dedup index: a new page is never judged a copy of a story
        readers are told is withdrawn."""
        last_id = after
        while True:
            with self.sessions() as session:
                rows = session.execute(
                    select(Article.id, Article.text_hash, Article.minhash)
                    .where(Article.id > last_id, _ACTIVE)
                    .order_by(Article.id)
                    .limit(chunk)
                ).all()
            if not rows:
                return
            for article_id, text_hash, minhash in rows:
                yield article_id, text_hash, bytes(minhash)
            last_id = rows[-1][0]

    # -- reads for the CLI --------------------------------------------------------------------
    def stats(self) -> list[SourceStats]:
        """Per-source counts of pages, articles, duplicates, rejections, failures."""
        with self.sessions() as session:
            names = list(session.scalars(select(Source.name).order_by(Source.name)))
            pages = _counts(session, select(Page.source, func.count()).group_by(Page.source))
            articles = _counts(
                session,
                select(Article.source, func.count()).where(_ACTIVE).group_by(Article.source),
            )
            dupes = _counts(
                session, select(Duplicate.source, func.count()).group_by(Duplicate.source)
            )
            outcomes: dict[tuple[str, str], int] = {
                (src, outcome): n
                for src, outcome, n in session.execute(
                    select(Page.source, Page.outcome, func.count()).group_by(
                        Page.source, Page.outcome
                    )
                )
            }
            reasons: dict[str, dict[str, int]] = {}
            for src, reason, n in session.execute(
                select(Page.source, Page.reason, func.count())
                .where(Page.outcome.in_([PageOutcome.REJECTED.value, PageOutcome.ERROR.value]))
                .group_by(Page.source, Page.reason)
            ):
                key = (reason or "unknown").split(":", 1)[0]
                reasons.setdefault(src, {})
                reasons[src][key] = reasons[src].get(key, 0) + n
            last_runs = {
                run.source: run
                for run in session.scalars(
                    select(CrawlRun).where(
                        CrawlRun.id.in_(select(func.max(CrawlRun.id)).group_by(CrawlRun.source))
                    )
                )
            }
        result = []
        for name in names:
            run = last_runs.get(name)
            result.append(
                SourceStats(
                    source=name,
                    pages=pages.get(name, 0),
                    articles=articles.get(name, 0),
                    duplicates=dupes.get(name, 0),
                    rejected=outcomes.get((name, PageOutcome.REJECTED.value), 0),
                    failed=outcomes.get((name, PageOutcome.ERROR.value), 0),
                    last_run_at=run.started_at if run else None,
                    last_run_status=run.status if run else None,
                    reasons=reasons.get(name, {}),
                )
            )
        return result

    def writer(self, batch_size: int = 50) -> IngestWriter:
        """One unit of work for a crawl process (share it: SQLite allows a single writer)."""
        return IngestWriter(self, batch_size)


def _counts(session: Session, query: Select[str, int]) -> dict[str, int]:
    return {key: int(n) for key, n in session.execute(query)}


def _counter_values(counters: RunCounters) -> dict[str, int]:
    return {
        "fetched": counters.fetched,
        "new": counters.new,
        "duplicate": counters.duplicate,
        "rejected": counters.rejected,
        "failed": counters.failed,
    }


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
    """The writer's INSERT ... ON CONFLICT statements, built once per dialect: the values come
    as parameters, so SQLAlchemy compiles each statement once, not once per page."""

    article: Any
    duplicate: Any
    page: Any

    @classmethod
    def for_dialect(cls, name: str) -> _WriteStatements:
        insert = postgresql.insert if name == "postgresql" else sqlite.insert
        page = insert(Page)
        refreshed: dict[str, Any] = {col: page.excluded[col] for col in _PAGE_REFRESHED}
        refreshed["fetch_count"] = Page.__table__.c.fetch_count + 1
        return cls(
            article=insert(Article).on_conflict_do_nothing().returning(Article.id),
            duplicate=insert(Duplicate).on_conflict_do_nothing(),
            page=page.on_conflict_do_update(index_elements=[Page.url], set_=refreshed),
        )


class IngestWriter:
    """A unit of work for one crawl: pages, articles and duplicates, committed in batches.

    Article ids are assigned at flush time (before the commit) so the dedup index can refer to
    an article at once; :meth:`commit` returns normally or raises, and on failure the caller
    learns which article ids were rolled back (``pending_article_ids``) to forget them.
    """

    def __init__(self, repo: Repository, batch_size: int) -> None:
        self.repo = repo
        self.batch_size = batch_size
        self.session: Session = repo.write_sessions()
        self.pending = 0
        self.pending_article_ids: list[int] = []
        # +1 each time the transaction ends (commit or rollback): the ingestors sharing this
        # writer learn that their uncommitted pages were settled by another one (issue 8)
        self.generation = 0
        self.cursor_gate = CursorGate(self.session)
        # the pipeline's unit of work over this writer (akhbar/unit_of_work.py), kept here so
        # every ingestor sharing the writer finds the same one
        self.unit_of_work: object | None = None
        self._statements = _WriteStatements.for_dialect(repo.engine.dialect.name)

    # -- lookups inside the unit of work (see uncommitted rows too) ---------------------------
    def article_id_for_url(self, url: str) -> int | None:
        return self.session.scalar(select(Article.id).where(Article.url == url))

    def article_id_for_hash(self, text_hash: str) -> int | None:
        """The active article with this text hash (unique among active articles)."""
        return self.session.scalar(
            select(Article.id).where(Article.text_hash == text_hash, _ACTIVE)
        )

    def find_by_canonical_url(self, canonical_url: str) -> CanonicalMatch | None:
        row = self.session.execute(
            select(Article.id, Article.minhash)
            .where(Article.canonical_url == canonical_url, _ACTIVE)
            .order_by(Article.id)
            .limit(1)
        ).first()
        return CanonicalMatch(row[0], bytes(row[1])) if row else None

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
        # readers' cursor safety and the search index (issue 7): see storage/feed.py, search.py
        with self.cursor_gate.inserting() as publish_in_flight:
            inserted = self.session.execute(self._statements.article, values)
            article_id: int | None = inserted.scalar()
            if article_id is None:
                log.info("article already stored (url or text hash): %s", record.url)
                return None
            index_article(self.session, article_id, record.title, record.text, search_documents)
            publish_in_flight(article_id)
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
        # a URL already recorded as a copy keeps its first verdict
        self.session.execute(self._statements.duplicate, values)

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
        # one upsert: a refetched URL keeps its first_fetched_at and counts the fetch
        self.session.execute(
            self._statements.page,
            {"source": page.source, "url": page.url, "first_fetched_at": now, **values},
        )
        self.pending += 1

    # -- dedup across processes (issue 5, docs/dedup.md) ---------------------------------------
    def lock_dedup(self) -> None:
        """Serialise "is this a new story?" with every other crawl process until the commit.

        PostgreSQL: a transaction-level advisory lock (``DEDUP_LOCK``). SQLite: the writer's
        transaction already holds the database write lock (``BEGIN IMMEDIATE``); this makes
        sure it has begun.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), DEDUP_LOCK)
        else:
            self.session.connection()

    def signatures_after(self, article_id: int) -> list[tuple[int, str, bytes]]:
        """(id, text hash, MinHash bytes) of the articles with a larger id, as this unit of
        work sees them (with the dedup lock held: everything other processes committed)."""
        rows = self.session.execute(
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
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        finally:
            self.pending = 0
            self.generation += 1
        self.pending_article_ids.clear()

    def rollback(self) -> list[int]:
        """Drop the uncommitted batch; returns the article ids that no longer exist."""
        self.generation += 1
        self.session.rollback()
        lost, self.pending_article_ids = self.pending_article_ids, []
        self.pending = 0
        return lost

    def close(self) -> None:
        self.session.close()
