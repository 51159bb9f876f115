"""Worker processes that clean fetched pages and prepare them for storage.

Extraction is the pipeline's costliest stage (tens of milliseconds of CPU per page against
about a millisecond for dedup and storage). Every way in (a crawl, ``backfill --warc``) hands
pages to the same spawned worker processes, which run the cleaner and also compress the raw
HTML, fingerprint the text and build its search documents (:func:`akhbar.pipeline.prepare`);
the calling process keeps dedup decisions and the database. This module knows nothing of
scrapy or Twisted: :mod:`akhbar.crawler.pool` adapts it to the reactor, :class:`OrderedCleaner`
serves callers without one.

A worker that dies (a page that crashes lxml, the OOM killer) costs only its page, and workers
exit by themselves when their parent dies (``kill -9`` leaves no orphans behind).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from akhbar.cleaner import extract
from akhbar.dedup import Deduplicator
from akhbar.forkserver import worker_context
from akhbar.pipeline import Prepared, needs_cleaning, prepare
from akhbar.processes import pid_alive
from akhbar.records import ExtractResult, FetchedPage, Rejection, RejectReason
from akhbar.settings import CleanerSettings, DedupSettings

log = logging.getLogger(__name__)

# A worker is replaced after this many pages: bounds the memory any leak in a parser can take.
PAGES_PER_WORKER = 2000

Options = tuple[CleanerSettings, tuple[str, ...], DedupSettings]


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
    # the crawl process itself, not our parent: forked workers are the forkserver's children,
    # and the forkserver only exits once every worker has
    while True:
        time.sleep(1.0)
        if not pid_alive(parent):  # the crawl process is gone: nobody will read our results
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


def start_executor(workers: int) -> ProcessPoolExecutor:
    """The worker processes, replaced after ``PAGES_PER_WORKER`` pages, gone when the parent
    dies."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=worker_context(),
        initializer=_init_worker,
        initargs=(os.getpid(),),
        max_tasks_per_child=PAGES_PER_WORKER,
    )


def lost_page(page: FetchedPage, exc: BaseException) -> Cleaned:
    """A page whose extraction failed outside the cleaner's own guard."""
    if isinstance(exc, BrokenProcessPool):
        detail = "extraction worker died on this page"
    else:
        detail = f"{type(exc).__name__}: {exc}"[:200]
    log.error("%s extraction failed on %s: %s", page.source, page.url, detail)
    return Cleaned(Rejection(RejectReason.PARSE_ERROR, detail), 0.0)


@dataclass(slots=True)
class _InFlight:
    page: FetchedPage
    future: Future[Cleaned] | None  # None: the page needs no cleaning
    executor: ProcessPoolExecutor | None = None
    retried: bool = False


class OrderedCleaner:
    """The same worker processes for callers without a reactor (``backfill --warc``): pages go
    in as an iterable and come back cleaned, in their order, while the workers already clean
    the next ones; at most ``4 × workers`` pages are in flight, so a large archive never sits in
    memory. A worker dying under a page costs only that page, as in the crawl's pool: the pages
    in the pool get one more try in a fresh pool, the culprit kills that one too and is given up.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.window = 4 * self.workers
        self.crashes = 0
        self._executor = start_executor(self.workers)

    def __enter__(self) -> OrderedCleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        processes = self._executor._processes  # no public accessor in concurrent.futures
        return list(processes) if processes else []

    def clean(
        self,
        pages: Iterable[FetchedPage],
        settings: CleanerSettings,
        languages: Sequence[str],
        dedup: DedupSettings,
    ) -> Iterator[tuple[FetchedPage, Cleaned | None]]:
        """``(page, cleaned)`` for each page, in order; ``cleaned`` is None for a page that
        needs no cleaning (an HTTP error, a failed download): the ingestor records it as is."""
        options: Options = (settings, tuple(languages), dedup)
        flight: deque[_InFlight] = deque()
        for page in pages:
            entry = _InFlight(page, None)
            if needs_cleaning(page):
                self._submit(entry, options)
            flight.append(entry)
            if len(flight) >= self.window:
                yield self._settle(flight.popleft(), flight, options)
        while flight:
            yield self._settle(flight.popleft(), flight, options)

    def _submit(self, entry: _InFlight, options: Options) -> None:
        page = entry.page
        entry.executor = self._executor
        entry.future = self._executor.submit(
            clean_page, page.body, page.final_url or page.url, page.encoding, *options
        )

    def _settle(
        self, entry: _InFlight, flight: deque[_InFlight], options: Options
    ) -> tuple[FetchedPage, Cleaned | None]:
        while entry.future is not None:
            try:
                return entry.page, entry.future.result()
            except BrokenProcessPool as exc:
                if entry.executor is self._executor:  # not yet replaced for this crash
                    self._restart(flight, options)
                if entry.retried:
                    return entry.page, lost_page(entry.page, exc)
                entry.retried = True
                self._submit(entry, options)
            except Exception as exc:
                return entry.page, lost_page(entry.page, exc)
        return entry.page, None

    def _restart(self, flight: deque[_InFlight], options: Options) -> None:
        self.crashes += 1
        log.error("an extraction worker died; pool restarted")
        broken, self._executor = self._executor, start_executor(self.workers)
        broken.shutdown(wait=False, cancel_futures=True)
        for other in flight:  # the pages that were in the dead pool: their one more try
            future = other.future
            if other.executor is not broken or future is None or other.retried:
                continue
            if future.done() and not future.cancelled() and future.exception() is None:
                continue  # cleaned before the crash
            other.retried = True
            self._submit(other, options)
