"""The repository: every read and write the pipeline and the CLI make, in one place.

Writes go through :class:`~akhbar.storage.writer.IngestWriter` (its own module), which a
repository hands out with :meth:`Repository.writer`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from akhbar.records import PageOutcome
from akhbar.storage.database import make_session_factory
from akhbar.storage.html import compress_html, decompress_html
from akhbar.storage.models import ARTICLE_ACTIVE, Article, CrawlRun, Duplicate, Page, Source
from akhbar.storage.runs import RunCounters
from akhbar.storage.writer import (
    DEDUP_LOCK,
    CanonicalMatch,
    IngestWriter,
    article_columns,
)

# kept importable from here: the writer, its statements' helpers and the raw HTML codec moved
# to akhbar.storage.writer and akhbar.storage.html
__all__ = [
    "DEDUP_LOCK",
    "CanonicalMatch",
    "IngestWriter",
    "Repository",
    "RunCounters",
    "SourceStats",
    "article_columns",
    "compress_html",
    "decompress_html",
]

log = logging.getLogger(__name__)

# the articles readers see as stories (withdrawn ones are kept, not deleted)
_ACTIVE = Article.status == ARTICLE_ACTIVE

# Pages with these outcomes are final: the crawler never fetches their URL again.
_FINAL_OUTCOMES = (PageOutcome.ARTICLE, PageOutcome.DUPLICATE, PageOutcome.REJECTED)
# HTTP statuses that will not change on a retry: such failed pages are final too.
_PERMANENT_STATUSES = (404, 410, 451)


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


class Repository:
    """Reads and run bookkeeping over one engine.

    Given a connection in a transaction instead, every session of the repository (and of its
    writers) joins that transaction: see :func:`~akhbar.storage.database.make_session_factory`.
    """

    def __init__(self, engine: Engine | Connection) -> None:
        self.engine: Engine = engine.engine if isinstance(engine, Connection) else engine
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
