"""Extraction in worker processes, so the Twisted reactor never waits on the cleaner.

Extraction is the crawl's bottleneck (tens of milliseconds of CPU per page against well under
one for fetching, dedup and storage); run inline it also stalls every download while a page is
cleaned. The crawl process hands each fetched article page to a pool of worker processes and
goes on downloading; the result comes back to the reactor thread, where dedup and storage
(which need the process's index and database session) run.

Back-pressure: at most ``max_pending`` pages are in the pool at once. A page over the limit
waits in the item pipeline, which keeps scrapy's scraper slot full, which stops the engine from
downloading more (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``): memory stays bounded however far
extraction falls behind.

A worker that dies (a page that crashes lxml, the OOM killer) costs only its page: the pool is
rebuilt and the page recorded as a ``parse_error`` rejection. Workers exit by themselves when the
crawl process dies (``kill -9`` leaves no orphans behind).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from twisted.internet import defer

from akhbar.cleaner import extract
from akhbar.dedup import Deduplicator
from akhbar.pipeline import Prepared, prepare
from akhbar.records import ExtractResult, FetchedPage, Rejection, RejectReason
from akhbar.settings import CleanerSettings, DedupSettings

log = logging.getLogger(__name__)

# A worker is replaced after this many pages: bounds the memory any leak in a parser can take.
PAGES_PER_WORKER = 2000


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A page's extraction result, what the worker prepared for storage beside it, and the CPU
    seconds both took in the worker."""

    result: ExtractResult
    cpu_seconds: float
    prepared: Prepared | None = None


# one fingerprinting Deduplicator per worker process and dedup settings (its permutations
# are made once, not per page)
_FINGERPRINTERS: dict[str, Deduplicator] = {}


def clean_page(
    body: bytes,
    url: str,
    encoding: str | None,
    settings: CleanerSettings,
    languages: Sequence[str],
    dedup: DedupSettings,
) -> Cleaned:
    """Clean one page and prepare its storage (runs in a worker process)."""
    start = time.process_time()
    result = extract(body, url, encoding=encoding, settings=settings, languages=languages)
    key = dedup.model_dump_json()
    fingerprinter = _FINGERPRINTERS.get(key)
    if fingerprinter is None:
        fingerprinter = _FINGERPRINTERS[key] = Deduplicator(dedup)
    prepared = prepare(body, result, fingerprinter)
    return Cleaned(result, time.process_time() - start, prepared)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:  # the crawl process is gone: nobody will read our results
            os._exit(0)


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group; the crawl process decides how to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def default_workers() -> int:
    """One worker per CPU core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_Options = tuple[CleanerSettings, tuple[str, ...], DedupSettings]


class ExtractionPool:
    """A process pool for the cleaner with a bounded number of pages in flight."""

    def __init__(self, workers: int, max_pending: int | None = None) -> None:
        self.workers = max(1, workers)
        self.max_pending = max_pending or 4 * self.workers
        self._slots = defer.DeferredSemaphore(self.max_pending)
        self._executor = self._start()
        self.crashes = 0  # workers that died under a page

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the crawl process has threads (Twisted's pool, database drivers)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(),),
            max_tasks_per_child=PAGES_PER_WORKER,
        )

    def clean(
        self,
        page: FetchedPage,
        settings: CleanerSettings,
        languages: Sequence[str],
        dedup: DedupSettings,
    ) -> defer.Deferred[Cleaned]:
        """Clean ``page`` in a worker; the Deferred fires in the reactor thread."""
        return self._slots.run(self._submit, page, (settings, tuple(languages), dedup))

    def _submit(self, page: FetchedPage, options: _Options) -> defer.Deferred[Cleaned]:
        done: defer.Deferred[Cleaned] = defer.Deferred()
        self._send(done, page, options, retry=True)
        return done

    def _send(
        self, done: defer.Deferred[Cleaned], page: FetchedPage, options: _Options, retry: bool
    ) -> None:
        executor = self._executor
        try:
            future = executor.submit(
                clean_page, page.body, page.final_url or page.url, page.encoding, *options
            )
        except (BrokenProcessPool, RuntimeError) as exc:
            self._restart(executor)
            done.callback(self._lost(page, exc))
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
                cleaned = self._lost(page, exc)
            except Exception as exc:
                cleaned = self._lost(page, exc)
            done.callback(cleaned)

        future.add_done_callback(settle)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is not self._executor:  # already replaced for another page of the same crash
            return
        self.crashes += 1
        log.error("an extraction worker died; pool restarted")
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._start()

    def _lost(self, page: FetchedPage, exc: BaseException) -> Cleaned:
        """A page whose extraction failed outside the cleaner's own guard."""
        if isinstance(exc, BrokenProcessPool):
            detail = "extraction worker died on this page"
        else:
            detail = f"{type(exc).__name__}: {exc}"[:200]
        log.error("%s extraction failed on %s: %s", page.source, page.url, detail)
        return Cleaned(Rejection(RejectReason.PARSE_ERROR, detail), 0.0)

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
