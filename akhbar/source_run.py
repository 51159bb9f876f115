"""Opening a source run: the one place that assembles what a run writes through.

``akhbar crawl``, ``akhbar backfill`` (crawled and ``--warc``) and ``akhbar reprocess`` all
store pages with an :class:`~akhbar.pipeline.Ingestor`. Built in three places, the copies
drifted (a backfill once stored text without the source's learned boilerplate stripped), so
they are built here only:

- :func:`open_store` opens what a process shares between its runs: the engine (schema
  checked), the repository, the dedup index, the single database writer (SQLite has one) with
  its unit of work's settings, and the boilerplate models' store;
- :meth:`Store.start` takes one source's run lease (a ``crawl_runs`` row) and builds its
  Ingestor (learned boilerplate, dedup, commit interval); the :class:`OpenRun` it returns
  closes the row when the ``with`` block on it ends;
- :func:`open_source_run` is both at once, for commands that run one source.

A run is closed by :meth:`OpenRun.close` with its status; a block left without it (an
exception, a forced stop) closes the run as ``failed`` or ``interrupted``, so no row is left
``running`` by a live process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine

from akhbar.dedup import Deduplicator, open_deduplicator
from akhbar.pipeline import Ingestor
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import IngestWriter, Repository, RunCounters, make_engine
from akhbar.storage.boilerplate import BoilerplateStore
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.runs import acquire_run, close_run, finish_run, reap_dead_runs
from akhbar.unit_of_work import UnitOfWork, describe

log = logging.getLogger(__name__)


@dataclass(slots=True)
class OpenRun:
    """One source's running ``crawl_runs`` row and the Ingestor storing its pages."""

    store: Store
    source: SourceConfig
    run_id: int
    ingestor: Ingestor
    closed: bool = False

    @property
    def repo(self) -> Repository:
        return self.store.repo

    def close(
        self, status: str, error: str | None = None, counters: RunCounters | None = None
    ) -> RunCounters:
        """Commit what is pending, save the boilerplate model, and close the row with the
        run's counters (the Ingestor's unless ``counters`` are given; once: later calls only
        return the counters)."""
        if self.closed:
            return counters or self.ingestor.counters
        self.closed = True
        stored = self.ingestor.close()
        finish_run(self.repo, self.run_id, status, counters or stored, error)
        return counters or stored

    def mark_closed(self) -> None:
        """The row was closed elsewhere (the crawler's :class:`~akhbar.crawler.run.SourceRun`
        closes it with the spider's finish reason)."""
        self.closed = True

    def __enter__(self) -> OpenRun:
        return self

    def __exit__(self, _type: object, exc: BaseException | None, _traceback: object) -> None:
        """A block left without :meth:`close` closes the run: ``failed`` when it raised,
        ``interrupted`` on Ctrl-C or when it just ended."""
        if isinstance(exc, KeyboardInterrupt):
            _close_quietly(self, "interrupted", "interrupted by the user")
        elif exc is not None:
            _close_quietly(self, "failed", describe(exc))
        _close_quietly(self, "interrupted", "process stopped mid-run")


@dataclass(slots=True)
class Store:
    """What one process's runs share: engine, repository, dedup index, writer, models."""

    settings: AkhbarSettings
    engine: Engine
    repo: Repository
    dedup: Deduplicator
    writer: IngestWriter
    boilerplate: BoilerplateStore
    runs: list[OpenRun] = field(default_factory=list)

    def ingestor(self, source: SourceConfig, run_id: int, *, learned: bool = True) -> Ingestor:
        """The Ingestor of one run. ``learned=False`` leaves out the source's boilerplate
        model, for a caller that applies it itself (``reprocess`` strips before deciding)."""
        return Ingestor(
            source=source,
            writer=self.writer,
            run_id=run_id,
            dedup=self.dedup,
            cleaner=self.settings.cleaner,
            boilerplate=self.boilerplate.load(source.name) if learned else None,
            boilerplate_store=self.boilerplate if learned else None,
            commit_interval=self.settings.crawl.commit_interval,
        )

    def start(
        self,
        source: SourceConfig,
        kind: str,
        *,
        worker: str | None = None,
        learned: bool = True,
    ) -> OpenRun:
        """Take the source's run lease and build its Ingestor; raises
        :class:`~akhbar.storage.runs.SourceBusy` when another run holds the source. The run
        is closed by :meth:`OpenRun.close`, at the end of a ``with`` block on it, or at the end
        of :func:`open_store` as interrupted."""
        self.repo.sync_source(source.name, source.home, source.languages)
        run_id = acquire_run(
            self.repo, source.name, kind, self.settings.scheduler.stale_after, worker
        )
        opened = OpenRun(self, source, run_id, self.ingestor(source, run_id, learned=learned))
        self.runs.append(opened)
        return opened


def _close_quietly(opened: OpenRun, status: str, error: str) -> None:
    """Close a run that its owner did not close; a database refusing this write too leaves the
    row to the reaper (it shows as interrupted once this process has ended)."""
    if opened.closed:
        return
    try:
        opened.close(status, error)
    except Exception as exc:
        log.error("%s run %d: not closed (%s)", opened.source.name, opened.run_id, describe(exc))
        with contextlib.suppress(Exception):
            close_run(opened.repo, opened.run_id, status, error)


@contextlib.contextmanager
def open_store(settings: AkhbarSettings) -> Iterator[Store]:
    """Schema checked, runs of dead processes reaped (they no longer hold their source), the
    dedup index loaded and the process's writer opened; all closed when the block ends, runs
    still open first (as interrupted)."""
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    try:
        ensure_schema(engine)
        repo = Repository(engine)
        reap_dead_runs(repo, settings.scheduler.stale_after)
        dedup, loaded = open_deduplicator(settings, repo.iter_signatures)
        log.info("dedup index loaded with %d stored articles", loaded)
        writer = repo.writer(settings.crawl.batch_size)
        UnitOfWork.of(writer).max_failed_commits = settings.crawl.max_failed_commits
        store = Store(settings, engine, repo, dedup, writer, BoilerplateStore(engine))
        try:
            yield store
        finally:
            for opened in store.runs:
                _close_quietly(opened, "interrupted", "process stopped mid-run")
            writer.close()
    finally:
        engine.dispose()


@contextlib.contextmanager
def open_source_run(
    settings: AkhbarSettings, source: SourceConfig, kind: str, *, learned: bool = True
) -> Iterator[OpenRun]:
    """One source's run in a store of its own (``akhbar backfill``): see :meth:`Store.start`."""
    with open_store(settings) as store, store.start(source, kind, learned=learned) as opened:
        yield opened
