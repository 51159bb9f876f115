"""Run bookkeeping: a ``crawl_runs`` row from start to close (:func:`start_run`,
:func:`heartbeat`, :func:`finish_run`, with :class:`RunCounters`), the run lease, and run
listings: who is crawling which source right now, and what ran.

A ``crawl_runs`` row with ``status = 'running'`` *is* the lease on its source: a partial unique
index (migration 0004) lets the database refuse a second one, whichever process asks (the
scheduler's subprocess or a manual ``akhbar crawl``). A process that dies without closing its
row (kill -9, power loss) would hold the lease for ever, so every start first reaps such rows:
a run whose process is gone from this host, or whose heartbeat is older than ``stale_after``,
is marked ``interrupted``. Commands that show runs (``runs``, ``stats``, ``schedule --list``)
reap too (:func:`reap_on_read`), so a dead run never shows as ``running``.

A run that did not close itself (killed, or stopped by a second signal before its summary)
gets its counters from the rows it stored (:func:`stored_counters`), not from its last
heartbeat: a run's counters always equal what it stored.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akhbar.processes import pid_alive
from akhbar.records import PageOutcome
from akhbar.storage.models import CrawlRun, Page
from akhbar.storage.types import utcnow

if TYPE_CHECKING:
    from akhbar.storage.repository import Repository

log = logging.getLogger(__name__)

HOSTNAME = socket.gethostname()


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


def _counter_values(counters: RunCounters) -> dict[str, int]:
    return {
        "fetched": counters.fetched,
        "new": counters.new,
        "duplicate": counters.duplicate,
        "rejected": counters.rejected,
        "failed": counters.failed,
    }


# -- a run's row: opened, beating, closed ---------------------------------------------------
def start_run(
    repo: Repository, source: str, kind: str = "manual", worker: str | None = None
) -> int:
    """Insert a running row (the lease: refused with IntegrityError when taken)."""
    with repo.sessions.begin() as session:
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


def heartbeat(repo: Repository, run_id: int, counters: RunCounters) -> None:
    with repo.sessions.begin() as session:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(heartbeat_at=utcnow(), **_counter_values(counters))
        )


def finish_run(
    repo: Repository, run_id: int, status: str, counters: RunCounters, error: str | None = None
) -> None:
    with repo.sessions.begin() as session:
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


def get_run(repo: Repository, run_id: int) -> CrawlRun | None:
    with repo.sessions() as session:
        return session.get(CrawlRun, run_id)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One ``crawl_runs`` row as the CLI and the scheduler show it."""

    id: int
    source: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    fetched: int
    new: int
    duplicate: int
    rejected: int
    failed: int
    error: str | None
    pid: int | None
    hostname: str | None
    worker: str | None = None

    @classmethod
    def of(cls, row: CrawlRun) -> RunInfo:
        return cls(
            id=row.id,
            source=row.source,
            kind=row.kind,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            heartbeat_at=row.heartbeat_at,
            fetched=row.fetched,
            new=row.new,
            duplicate=row.duplicate,
            rejected=row.rejected,
            failed=row.failed,
            error=row.error,
            pid=row.pid,
            hostname=row.hostname,
            worker=row.worker,
        )

    @property
    def seconds(self) -> float | None:
        """Duration of a finished run (or so far, from the last heartbeat)."""
        end = self.finished_at or self.heartbeat_at
        return (end - self.started_at).total_seconds() if end else None


class SourceBusy(Exception):
    """The source already has a running run (the lease is taken)."""

    def __init__(self, holder: RunInfo) -> None:
        self.holder = holder
        where = f"pid {holder.pid} on {holder.hostname}" if holder.pid else "another process"
        super().__init__(
            f"{holder.source}: already running as run {holder.id} ({holder.kind}, {where}, "
            f"started {holder.started_at:%Y-%m-%d %H:%M:%S} UTC); not started"
        )


def _death_reason(run: CrawlRun, now: datetime, stale_after: float) -> str | None:
    mine = run.hostname == HOSTNAME and run.pid is not None and run.pid != os.getpid()
    if mine and run.pid is not None and not pid_alive(run.pid):
        return f"process {run.pid} died without closing the run"
    beat = run.heartbeat_at or run.started_at
    if now - beat > timedelta(seconds=stale_after):
        return f"heartbeat stale since {beat:%Y-%m-%d %H:%M:%S} UTC (over {stale_after:g} s)"
    return None


def stored_counters(session: Session, run_id: int) -> RunCounters:
    """A crawl or backfill run's counters as its stored rows say: the pages it fetched last
    (``pages.crawl_run_id``), by outcome."""
    counters = RunCounters()
    for outcome, n in session.execute(
        select(Page.outcome, func.count()).where(Page.crawl_run_id == run_id).group_by(Page.outcome)
    ):
        counters.fetched += n
        if outcome == PageOutcome.ARTICLE.value:
            counters.new += n
        elif outcome == PageOutcome.DUPLICATE.value:
            counters.duplicate += n
        elif outcome == PageOutcome.REJECTED.value:
            counters.rejected += n
        else:
            counters.failed += n
    return counters


def _close_unfinished(session: Session, run: CrawlRun, error: str, finished: datetime) -> None:
    """Close a run that did not close itself, with the counters of what it stored (a
    reprocess keeps its heartbeat's counters: it rewrites pages other runs fetched)."""
    run.status = "interrupted"
    run.finished_at = finished
    run.error = error
    if run.kind != "reprocess":
        counters = stored_counters(session, run.id)
        run.fetched, run.new, run.duplicate = counters.fetched, counters.new, counters.duplicate
        run.rejected, run.failed = counters.rejected, counters.failed


def reap_dead_runs(repo: Repository, stale_after: float, source: str | None = None) -> list[int]:
    """Mark ``interrupted`` every running row whose process is gone; returns their ids."""
    now = utcnow()
    reaped: list[int] = []
    with repo.write_sessions.begin() as session:
        query = select(CrawlRun).where(CrawlRun.status == "running")
        if source is not None:
            query = query.where(CrawlRun.source == source)
        for run in session.scalars(query):
            reason = _death_reason(run, now, stale_after)
            if reason is None:
                continue
            error = f"{reason}; marked interrupted at {now:%Y-%m-%d %H:%M:%S} UTC"
            _close_unfinished(session, run, error, run.heartbeat_at or now)
            reaped.append(run.id)
            log.warning("%s run %d interrupted: %s", run.source, run.id, reason)
    return reaped


def reap_on_read(repo: Repository, stale_after: float) -> None:
    """Reap before showing runs; a database the reader may not write to is shown as it is."""
    try:
        reap_dead_runs(repo, stale_after)
    except Exception as exc:  # e.g. a read-only user or file: the listing still works
        log.debug("dead runs not reaped (%s)", exc)


def running_run(repo: Repository, source: str) -> RunInfo | None:
    """The run currently holding ``source``'s lease, if any."""
    with repo.sessions() as session:
        row = session.scalar(
            select(CrawlRun).where(CrawlRun.source == source, CrawlRun.status == "running")
        )
        return RunInfo.of(row) if row else None


def _running_other_mode(repo: Repository, source: str, worker: str | None) -> RunInfo | None:
    """A running row of the other mode: distributed workers when ``worker`` is None, else a
    single-process run (the two modes never crawl one source at once)."""
    with repo.sessions() as session:
        mode = CrawlRun.worker.is_(None) if worker is not None else CrawlRun.worker.is_not(None)
        row = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source == source, CrawlRun.status == "running", mode)
            .limit(1)
        ).first()
        return RunInfo.of(row) if row else None


def acquire_run(
    repo: Repository, source: str, kind: str, stale_after: float, worker: str | None = None
) -> int:
    """Start a run of ``source`` (take its lease) or raise :class:`SourceBusy`.

    A dead holder is reaped first, so a crash never blocks the source for longer than
    ``stale_after`` (on the same host: not at all). With ``worker`` (a distributed crawl) the
    lease is per (source, worker): the workers of one crawl run side by side, each with its own
    row, but not beside a single-process run of the source (checked before the insert, so two
    modes starting in the same instant could both start; each story is still stored once).
    """
    reap_dead_runs(repo, stale_after, source)
    other = _running_other_mode(repo, source, worker)
    if other is not None:
        raise SourceBusy(other)
    try:
        return start_run(repo, source, kind, worker)
    except IntegrityError:
        holder = running_run(repo, source)
        if holder is None:  # the holder finished in between: one more try
            return start_run(repo, source, kind, worker)
        raise SourceBusy(holder) from None


def interrupt_runs_of(
    repo: Repository, pid: int, reason: str, hostname: str = HOSTNAME
) -> list[int]:
    """Close the running rows of process ``pid`` (which is gone or being stopped)."""
    now = utcnow()
    with repo.write_sessions.begin() as session:
        rows = list(
            session.scalars(
                select(CrawlRun).where(
                    CrawlRun.status == "running",
                    CrawlRun.pid == pid,
                    CrawlRun.hostname == hostname,
                )
            )
        )
        for run in rows:
            _close_unfinished(
                session, run, reason if not run.error else f"{reason}; {run.error}", now
            )
            log.warning("%s run %d interrupted: %s", run.source, run.id, reason)
        return [r.id for r in rows]


def note_on_runs_of(repo: Repository, pid: int, since: datetime, note: str) -> None:
    """Prefix ``note`` to the error of the runs process ``pid`` started after ``since``."""
    with repo.write_sessions.begin() as session:
        for run in session.scalars(
            select(CrawlRun).where(
                CrawlRun.pid == pid, CrawlRun.hostname == HOSTNAME, CrawlRun.started_at >= since
            )
        ):
            run.error = note if not run.error else f"{note}; {run.error}"


def recent_runs(repo: Repository, source: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The latest runs, newest first (of one source, or of all)."""
    with repo.sessions() as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source is not None:
            query = query.where(CrawlRun.source == source)
        return [RunInfo.of(r) for r in session.scalars(query)]


def close_run(repo: Repository, run_id: int, status: str, error: str | None) -> None:
    """Set the final status of a run that never got to close itself, with the counters of the
    rows it stored."""
    with repo.write_sessions.begin() as session:
        run = session.get(CrawlRun, run_id)
        if run is None or run.status != "running":
            return
        _close_unfinished(session, run, error or "", utcnow())
        run.status, run.error = status, error
