"""The batch of uncommitted pages of one database writer, and its crash replay.

Every :class:`~akhbar.pipeline.Ingestor` of one process that shares an
:class:`~akhbar.storage.IngestWriter` (all the sources of one ``akhbar crawl --all``: SQLite
has a single writer) writes into the same transaction, so the batch belongs to the writer, not
to one source: a commit settles the pages of every source, and a database error rolls back the
pages of every source. This class keeps those pages until they are committed; after an error it
rolls the transaction back and replays all of them once, whichever source they belong to, on a
fresh connection. Pages that cannot be stored even then are reported (logged with their URLs and
counted in ``Ingestor.pages_lost``, noted on the run) and the sources' counters go back to what
was committed, so a run's counters always equal what it stored.

A persistent write error (disk full, read-only database) makes every batch fail: after
``max_failed_commits`` batches in a row could not be stored, the unit of work is *broken*:
it stores nothing more, and the crawl stops fetching and closes its runs as ``failed``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from akhbar.records import ExtractResult, FetchedPage
from akhbar.storage import IngestWriter, RunCounters

if TYPE_CHECKING:
    from akhbar.dedup import Deduplicator
    from akhbar.pipeline import Ingestor, IngestResult, Prepared

log = logging.getLogger(__name__)

# The pages of an uncommitted batch are kept for a replay after a database error, up to this
# many bytes of bodies (memory stays bounded with huge pages; the rest is fetched next run).
REPLAY_MAX_BYTES = 16 * 1024 * 1024

# Batches in a row that could not be stored (even after their replay) before the writer gives
# up; the crawl's setting ``crawl.max_failed_commits`` overrides it.
MAX_FAILED_COMMITS = 3


@dataclass(slots=True)
class PendingPage:
    """One page of the open batch, with what is needed to ingest it again."""

    ingestor: Ingestor
    page: FetchedPage
    extracted: ExtractResult | None
    prepared: Prepared | None
    result: IngestResult | None = None


class UnitOfWork:
    """The open batch of one :class:`IngestWriter` and the ingestors writing into it."""

    def __init__(self, writer: IngestWriter, max_failed_commits: int = MAX_FAILED_COMMITS):
        self.writer = writer
        self.max_failed_commits = max_failed_commits
        self.members: list[Ingestor] = []
        self.pending: list[PendingPage] = []
        self._pending_bytes = 0
        self._unreplayable: list[tuple[Ingestor, str]] = []  # pages not kept: source, URL
        self._began: float | None = None
        self.failed_commits = 0  # batches in a row that could not be stored
        self.broken: str | None = None  # why the writer gave up, once it has

    @classmethod
    def of(cls, writer: IngestWriter) -> UnitOfWork:
        """The unit of work of ``writer`` (one per writer, made on first use)."""
        unit = writer.unit_of_work
        if not isinstance(unit, UnitOfWork):
            unit = writer.unit_of_work = cls(writer)
        return unit

    def join(self, ingestor: Ingestor) -> None:
        """Register an ingestor: its counters follow this batch's commits and rollbacks."""
        if all(m is not ingestor for m in self.members):
            self.members.append(ingestor)
            ingestor.committed = replace(ingestor.counters)

    # -- the open batch ----------------------------------------------------------------------
    def age(self) -> float:
        """Seconds since the open batch took its first page (0 when there is none)."""
        return 0.0 if self._began is None else time.monotonic() - self._began

    def remember(self, entry: PendingPage) -> None:
        """Keep a page about to be written, for a replay (bounded by ``REPLAY_MAX_BYTES``)."""
        if self._began is None:
            self._began = time.monotonic()
        size = len(entry.page.body)
        if self._pending_bytes + size <= REPLAY_MAX_BYTES:
            self.pending.append(entry)
            self._pending_bytes += size
        else:  # only its URL is kept, to report it if the batch is rolled back
            self._unreplayable.append((entry.ingestor, entry.page.url))

    def _clear(self) -> tuple[list[PendingPage], int]:
        """Empty the open batch: its pages kept for a replay, and how many were not (those
        are reported here)."""
        entries, self.pending, self._pending_bytes = self.pending, [], 0
        self._began = None
        unreplayable, self._unreplayable = self._unreplayable, []
        if unreplayable:
            self.report_lost(unreplayable, f"over the replay limit of {REPLAY_MAX_BYTES} B")
        return entries, len(unreplayable)

    # -- commit and recovery -----------------------------------------------------------------
    def commit(self) -> None:
        """Commit the open batch of every member (raises on a database error)."""
        self.writer.commit()
        self.failed_commits = 0
        self.pending, self._pending_bytes, self._began = [], 0, None
        self._unreplayable = []
        for member in self.members:
            member.settled()

    def rollback(self) -> tuple[list[PendingPage], int]:
        """Drop the open batch everywhere: database, dedup indexes, every member's counters.
        Returns the pages kept for a replay and how many were lost (not kept)."""
        try:
            lost = self.writer.rollback()
        except Exception:  # the connection may be gone; the session is reset either way
            log.warning("rollback after a database error failed")
            lost = list(self.writer.pending_article_ids)
            self.writer.pending_article_ids.clear()
            self.writer.pending = 0
        indexes: dict[int, Deduplicator] = {id(m.dedup): m.dedup for m in self.members}
        for dedup in indexes.values():
            for article_id in lost:
                dedup.remove(article_id)
        for member in self.members:
            for f in fields(RunCounters):
                setattr(member.counters, f.name, getattr(member.committed, f.name))
        return self._clear()

    def recover(self, exc: Exception, culprit: Ingestor) -> None:
        """After a database error: roll the batch back and replay its pages once, for every
        member; pages still not stored are reported. Each replayed page's result is left on
        its :class:`PendingPage`."""
        error = describe(exc)
        failed_before = self.failed_commits
        entries, lost = self.rollback()
        affected = {id(e.ingestor): e.ingestor for e in entries}
        affected.setdefault(id(culprit), culprit)
        for member in affected.values():
            member.db_errors += 1
        log.error(
            "database error (%s); batch of %d pages (%s) rolled back, retrying it once",
            error,
            len(entries),
            ", ".join(sorted({m.source.name for m in affected.values()})),
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        try:
            for entry in entries:
                self.remember(entry)
                entry.result = entry.ingestor.replay(entry.page, entry.extracted, entry.prepared)
            self.commit()
        except Exception as again:
            for member in affected.values():
                member.db_errors += 1
            left, _ = self.rollback()
            pages = [(e.ingestor, e.page.url) for e in left]
            self.report_lost(pages, f"database error again: {describe(again)}")
            for entry in entries:
                entry.result = None
            self._batch_failed(describe(again))
            return
        if lost:  # the replay was stored, but not all of the batch: it failed all the same
            self.failed_commits = failed_before
            self._batch_failed(error)

    def _batch_failed(self, error: str) -> None:
        """One more batch in a row not (wholly) stored; give up after ``max_failed_commits``."""
        self.failed_commits += 1
        if self.failed_commits >= self.max_failed_commits and self.broken is None:
            self.broken = (
                f"{self.failed_commits} batches in a row could not be stored (last error: {error})"
            )
            log.error("database writes keep failing; crawl stopped: %s", self.broken)

    def report_lost(self, pages: list[tuple[Ingestor, str]], error: str) -> None:
        """Count and log, per source, pages that were not stored (the next run fetches them)."""
        by_source: dict[int, tuple[Ingestor, list[str]]] = {}
        for member, url in pages:
            by_source.setdefault(id(member), (member, []))[1].append(url)
        for member, urls in by_source.values():
            member.pages_lost += len(urls)
            log.error(
                "%s: not stored (%s); %d pages left for the next run: %s",
                member.source.name,
                error,
                len(urls),
                " ".join(urls),
            )


def describe(exc: BaseException) -> str:
    """One short line for an exception: its type and the first line of its message."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}"[:300]
