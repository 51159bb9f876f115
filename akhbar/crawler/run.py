"""Bookkeeping of one source's run: feeds pages to the Ingestor, beats the heartbeat,
and closes the ``crawl_runs`` row with its counters and status."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from twisted.internet import defer

from akhbar.crawler.pool import Cleaned, ExtractionPool
from akhbar.pipeline import Ingestor, IngestResult, StageSeconds, needs_cleaning
from akhbar.records import FetchedPage
from akhbar.storage import Repository, RunCounters
from akhbar.unit_of_work import describe

log = logging.getLogger(__name__)

# the finish reason of a crawl stopped because the database keeps refusing its writes
WRITES_FAILED = "database_failed"

# scrapy's finish reasons → crawl_runs.status (any other reason: failed)
_STATUS_BY_REASON = {"finished": "ok", "shutdown": "interrupted", "cancelled": "interrupted"}


@dataclass(slots=True)
class RunSummary:
    """What one run did, for the CLI's summary table."""

    source: str
    run_id: int
    status: str = "running"
    counters: RunCounters = field(default_factory=RunCounters)
    skipped_known: int = 0
    skipped_budget: int = 0
    skipped_robots: int = 0  # article URLs robots.txt forbids (not fetched, not failures)
    unchanged: int = 0  # feeds/sitemaps/start pages not modified since the last run
    notes: list[str] = field(default_factory=list)
    seconds: StageSeconds = field(default_factory=StageSeconds)
    wall_seconds: float = 0.0


class SourceRun:
    """Connects a running spider to the plain pipeline and to its ``crawl_runs`` row."""

    def __init__(
        self,
        repo: Repository,
        ingestor: Ingestor,
        run_id: int,
        heartbeat_every: float = 15.0,
        pool: ExtractionPool | None = None,
    ) -> None:
        self.repo = repo
        self.ingestor = ingestor
        self.pool = pool
        self.summary = RunSummary(source=ingestor.source.name, run_id=run_id)
        self.heartbeat_every = heartbeat_every
        self._next_beat = time.monotonic() + heartbeat_every
        self.started = time.monotonic()

    def on_fetched(self, page: FetchedPage) -> defer.Deferred[None] | None:
        """Take a fetched page: cleaned in the pool when there is one (the Deferred fires once
        the page is stored), else cleaned and stored at once (returns None)."""
        if self.pool is None or not needs_cleaning(page):
            self.on_page(page)
            return None
        source = self.ingestor.source
        cleaned = self.pool.clean(
            page, self.ingestor.cleaner, source.languages, self.ingestor.dedup.settings
        )

        def ingest(result: Cleaned) -> None:
            self.on_page(page, result)

        return cleaned.addCallback(ingest)

    def on_page(self, page: FetchedPage, cleaned: Cleaned | None = None) -> IngestResult:
        if cleaned is None:
            result = self.ingestor.ingest(page)
        else:
            result = self.ingestor.ingest(
                page, cleaned.result, cleaned.cpu_seconds, cleaned.prepared
            )
        if time.monotonic() >= self._next_beat:
            self.beat()
        return result

    def tick(self) -> None:
        """Called every fraction of a second: commit a batch that has grown old, beat when due."""
        self.ingestor.commit_if_old()
        if time.monotonic() >= self._next_beat:
            self.beat()

    def beat(self) -> None:
        """Commit the pending batch and refresh ``heartbeat_at`` and the counters.

        A database error here is logged, not raised: the next beat tries again (an exception
        would stop the heartbeat timer for good and make a live run look dead)."""
        self.ingestor.flush()  # SQLite has one writer: commit before touching crawl_runs
        try:
            self.repo.heartbeat(self.summary.run_id, self.ingestor.counters)
        except Exception as exc:
            log.error(
                "%s run %d: heartbeat failed (%s)", self.summary.source, self.summary.run_id, exc
            )
        self._next_beat = time.monotonic() + self.heartbeat_every

    def finish(
        self,
        reason: str,
        skipped_known: int,
        skipped_budget: int,
        notes: list[str],
        skipped_robots: int = 0,
    ) -> RunSummary:
        counters = self.ingestor.close()
        broken = self.ingestor.unit.broken
        if broken is not None:  # whatever stopped the spider, the run failed to store pages
            reason = WRITES_FAILED
            notes = [*notes, f"database writes failing, crawl stopped: {broken}"]
        status = _STATUS_BY_REASON.get(reason, "failed")
        if skipped_budget:
            notes = [*notes, f"{skipped_budget} URLs left for the next run (max_pages_per_run)"]
        if self.ingestor.db_errors or self.ingestor.pages_lost:
            notes = [
                *notes,
                f"{self.ingestor.db_errors} database errors (batches rolled back and retried); "
                f"{self.ingestor.pages_lost} pages left for the next run",
            ]
        error = None if reason == "finished" and not notes else "; ".join([reason, *notes])[:4000]
        try:
            self.repo.finish_run(self.summary.run_id, status, counters, error)
        except Exception as exc:  # the database may refuse this write too: one line, no trace
            log.error(
                "%s run %d: could not be closed as %s (%s); it shows as interrupted once its "
                "process has ended",
                self.summary.source,
                self.summary.run_id,
                status,
                describe(exc),
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
        self.summary.status = status
        self.summary.counters = counters
        self.summary.skipped_known = skipped_known
        self.summary.skipped_budget = skipped_budget
        self.summary.skipped_robots = skipped_robots
        self.summary.notes = notes
        self.summary.seconds = self.ingestor.seconds
        self.summary.wall_seconds = time.monotonic() - self.started
        log.info(
            "%s run %d stage seconds: %s wall=%.2f",
            self.summary.source,
            self.summary.run_id,
            self.ingestor.seconds.as_text(),
            self.summary.wall_seconds,
        )
        log.info(
            "%s run %d %s: fetched=%d new=%d duplicate=%d rejected=%d failed=%d",
            self.summary.source,
            self.summary.run_id,
            status,
            counters.fetched,
            counters.new,
            counters.duplicate,
            counters.rejected,
            counters.failed,
        )
        return self.summary
