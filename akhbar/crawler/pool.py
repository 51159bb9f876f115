"""The extraction workers (:mod:`akhbar.pool`) under the Twisted reactor: the crawl never
waits on the cleaner.

Run inline, extraction would stall every download while a page is cleaned. The crawl process
hands each fetched article page to the worker processes and goes on downloading; the result
comes back to the reactor thread, where dedup and storage (which need the process's index and
database session) run.

Back-pressure: at most ``max_pending`` pages are in the pool at once. A page over the limit
waits in the item pipeline, which keeps scrapy's scraper slot full, which stops the engine from
downloading more (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``): memory stays bounded however far
extraction falls behind.

A worker that dies costs only its page: the pool is rebuilt and the page recorded as a
``parse_error`` rejection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from twisted.internet import defer

from akhbar.pool import (
    Cleaned,
    Options,
    clean_page,
    default_workers,
    lost_page,
    start_executor,
)
from akhbar.records import FetchedPage
from akhbar.settings import CleanerSettings, DedupSettings

__all__ = ["Cleaned", "ExtractionPool", "default_workers", "open_pool"]

log = logging.getLogger(__name__)


class ExtractionPool:
    """A process pool for the cleaner with a bounded number of pages in flight."""

    def __init__(self, workers: int, max_pending: int | None = None) -> None:
        self.workers = max(1, workers)
        self.max_pending = max_pending or 4 * self.workers
        self._slots = defer.DeferredSemaphore(self.max_pending)
        self._executor = self._start()
        self.crashes = 0  # workers that died under a page

    def _start(self) -> ProcessPoolExecutor:
        return start_executor(self.workers)

    def clean(
        self,
        page: FetchedPage,
        settings: CleanerSettings,
        languages: Sequence[str],
        dedup: DedupSettings,
    ) -> defer.Deferred[Cleaned]:
        """Clean ``page`` in a worker; the Deferred fires in the reactor thread."""
        return self._slots.run(self._submit, page, (settings, tuple(languages), dedup))

    def _submit(self, page: FetchedPage, options: Options) -> defer.Deferred[Cleaned]:
        done: defer.Deferred[Cleaned] = defer.Deferred()
        self._send(done, page, options, retry=True)
        return done

    def _send(
        self, done: defer.Deferred[Cleaned], page: FetchedPage, options: Options, retry: bool
    ) -> None:
        executor = self._executor
        try:
            future = executor.submit(
                clean_page, page.body, page.final_url or page.url, page.encoding, *options
            )
        except (BrokenProcessPool, RuntimeError) as exc:
            self._restart(executor)
            done.callback(lost_page(page, exc))
            return

        # imported here: importing the reactor installs it, and scrapy installs its own first
        from twisted.internet import reactor

        def settle(f: Future[Cleaned]) -> None:  # runs in the executor's manager thread
            reactor.callFromThread(settled, f)

        def settled(f: Future[Cleaned]) -> None:
            try:
                cleaned = f.result()
            except BrokenProcessPool as exc:
                # every page in the pool fails with the one that killed a worker: each gets one
                # more try in a fresh pool; the culprit kills that one too and is given up
                self._restart(executor)
                if retry:
                    self._send(done, page, options, retry=False)
                    return
                cleaned = lost_page(page, exc)
            except Exception as exc:
                cleaned = lost_page(page, exc)
            done.callback(cleaned)

        future.add_done_callback(settle)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is not self._executor:  # already replaced for another page of the same crash
            return
        self.crashes += 1
        log.error("an extraction worker died; pool restarted")
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._start()

    def worker_pids(self) -> list[int]:
        """PIDs of the running workers (for measurements and tests)."""
        processes = self._executor._processes  # no public accessor in concurrent.futures
        return list(processes) if processes else []

    def close(self) -> None:
        """Stop the workers (pages still queued are dropped: their run is over)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def open_pool(workers: int | None) -> ExtractionPool | None:
    """The crawl's pool per the ``crawl.extract_workers`` setting (``0``: no pool)."""
    if workers == 0:
        return None
    return ExtractionPool(workers if workers is not None else default_workers())
