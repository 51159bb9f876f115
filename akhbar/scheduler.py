"""``akhbar schedule``: crawl every source on its seeds schedule, for months, in the foreground.

Why it is built this way:

- APScheduler 3's ``BlockingScheduler`` runs in the foreground (systemd, containers); its jobs
  live in the same database (``SQLAlchemyJobStore``, table ``apscheduler_jobs``), one job per
  source with the id ``crawl:<source>``. At every start and on ``SIGHUP`` the jobs are synced
  with the seeds directory: new sources are added (first run at once), changed schedules are
  rescheduled, jobs of vanished sources removed, unchanged ones kept with their persisted next
  run time, so missed runs after downtime coalesce into one run (``coalesce=True``).
- Each run is its own ``python -m akhbar crawl SOURCE --kind scheduled`` process: Twisted's
  reactor cannot restart in one process, and a crawl that hangs or leaks can be stopped alone.
- Never two runs of one source: ``max_instances=1`` here, and the ``crawl_runs`` lease in the
  database (``akhbar.storage.runs``), which a manual ``akhbar crawl`` respects too.
- A global limit on concurrent crawls (``max_concurrent_runs``) and a per-run time limit
  (``run_time_limit``: SIGTERM, then SIGKILL after ``kill_after``; the row says why).
- ``SIGTERM``/``SIGINT``: start nothing more, give running crawls ``shutdown_grace`` seconds,
  then stop them; their rows end ``interrupted``, never ``running``. A second signal stops them
  at once. Runs of processes that died (kill -9, power loss) are reaped at the next start.
- On PostgreSQL several schedulers (on several hosts) may run: one is active, the others are
  standbys that take over when it dies (``akhbar.scheduler_lock``: why an advisory lock). An
  active that cannot confirm its lock steps down like on SIGTERM and becomes a standby. On
  SQLite there is one scheduler, as there is one host.
- ``--metrics-port``: Prometheus metrics read from the database (``akhbar.metrics``), served
  by active and standby alike.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from akhbar.errors import AkhbarError
from akhbar.metrics import Liveness, serve_metrics
from akhbar.scheduler_lock import SchedulerLock, StandbyReporter, holder_name
from akhbar.seeds import load_seeds
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.runs import (
    interrupt_runs_of,
    note_on_runs_of,
    reap_dead_runs,
    reap_on_read,
    recent_runs,
)
from akhbar.storage.types import utcnow
from akhbar.triggers import trigger_for

log = logging.getLogger(__name__)

JOB_FUNC = "akhbar.scheduler:run_scheduled_job"
JOB_PREFIX = "crawl:"
JOBS_TABLE = "apscheduler_jobs"
EXECUTOR_THREADS = 64  # one per source at most (max_instances=1); runs wait for a slot

# The scheduler of this process: persisted jobs name a module-level function, which finds it here.
_ACTIVE: CrawlScheduler | None = None


def run_scheduled_job(source: str) -> None:
    """The persisted jobs' entry point: one scheduled run of ``source``."""
    scheduler = _ACTIVE
    if scheduler is None:
        log.warning("%s: job fired outside `akhbar schedule`; ignored", source)
        return
    scheduler.run_source(source)


def job_id(source: str) -> str:
    return JOB_PREFIX + source


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync of the jobs with the seeds directory changed."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    kept: list[str]
    missed: dict[str, int]  # source -> run times missed while down (coalesced into one)


def _missed_runs(job: Any, now: datetime) -> int:
    count, when = 0, job.next_run_time
    while when is not None and when <= now and count < 10_000:
        count += 1
        when = job.trigger.get_next_fire_time(when, now)
    return count


def sync_jobs(scheduler: BaseScheduler, settings: AkhbarSettings) -> SyncReport:
    """Make the job store hold exactly one job per valid source, with its current schedule."""
    loaded = load_seeds(settings.seeds_dir)
    for error in loaded.errors:
        log.warning("seeds: skipped %s", error)
    wanted = {job_id(s.name): s for s in loaded.sources}
    existing = {job.id: job for job in scheduler.get_jobs()}
    grace = settings.scheduler.misfire_grace_time
    grace_value = None if grace is None else int(grace)
    now = datetime.now(UTC)
    report = SyncReport([], [], [], [], {})
    for jid in existing:
        if jid not in wanted:
            scheduler.remove_job(jid)
            report.removed.append(jid.removeprefix(JOB_PREFIX))
    for jid, source in wanted.items():
        trigger = trigger_for(source)
        name = f"crawl {source.name} ({source.schedule})"
        job = existing.get(jid)
        if job is None:
            scheduler.add_job(
                JOB_FUNC,
                trigger=trigger,
                args=[source.name],
                id=jid,
                name=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=grace_value,
                next_run_time=now,  # a new source is crawled at once, then on schedule
                replace_existing=True,
            )
            report.added.append(source.name)
            continue
        if str(job.trigger) != str(trigger):
            scheduler.reschedule_job(jid, trigger=trigger)
            report.updated.append(source.name)
        else:
            missed = _missed_runs(job, now)
            if missed:
                report.missed[source.name] = missed
            report.kept.append(source.name)
        if (job.name, job.misfire_grace_time, job.func_ref, job.args) != (
            name,
            grace_value,
            JOB_FUNC,
            (source.name,),
        ):
            scheduler.modify_job(
                jid,
                name=name,
                misfire_grace_time=grace_value,
                func=JOB_FUNC,
                args=[source.name],
                max_instances=1,
                coalesce=True,
            )
    for source_name, missed in report.missed.items():
        log.info(
            "%s: %d run time(s) missed while the scheduler was down; coalesced into one run now",
            source_name,
            missed,
        )
    log.info(
        "jobs synced with %s: %d added, %d updated, %d removed, %d kept",
        settings.seeds_dir,
        len(report.added),
        len(report.updated),
        len(report.removed),
        len(report.kept),
    )
    return report


def _job_store(settings: AkhbarSettings) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(
        engine=make_engine(
            settings.database_url, connect_timeout=settings.database_connect_timeout
        ),
        tablename=JOBS_TABLE,
    )


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One line of ``akhbar schedule --list``."""

    source: str
    schedule: str | None
    next_run_at: datetime | None
    state: str  # scheduled | new (added at the next start) | changed | stale job
    last_run_status: str | None
    last_run_at: datetime | None


def schedule_listing(settings: AkhbarSettings) -> list[ScheduleEntry]:
    """Each source's schedule and persisted next run time, without running anything."""
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    ensure_schema(engine)
    repo = Repository(engine)
    loaded = load_seeds(settings.seeds_dir)
    # read the store directly: a started scheduler, even paused, could fire due jobs
    store = _job_store(settings)
    store.start(BlockingScheduler(timezone=UTC), "default")
    try:
        jobs = {job.id: job for job in store.get_all_jobs()}
    finally:
        store.shutdown()
    reap_on_read(repo, settings.scheduler.stale_after)  # a dead run is not shown running
    last: dict[str, tuple[str, datetime]] = {}
    for run in reversed(recent_runs(repo, limit=500)):
        last[run.source] = (run.status, run.started_at)
    entries: list[ScheduleEntry] = []
    for source in loaded.sources:
        job = jobs.pop(job_id(source.name), None)
        if job is None:
            state, next_run = "new (runs at the next start)", None
        elif str(job.trigger) != str(trigger_for(source)):
            state, next_run = "changed (rescheduled at the next start or SIGHUP)", None
        else:
            state, next_run = "scheduled", job.next_run_time
        status, at = last.get(source.name, (None, None))
        entries.append(ScheduleEntry(source.name, source.schedule, next_run, state, status, at))
    for jid, job in sorted(jobs.items()):
        name = jid.removeprefix(JOB_PREFIX)
        status, at = last.get(name, (None, None))
        entries.append(
            ScheduleEntry(
                name, None, job.next_run_time, "stale job (removed at the next start)", status, at
            )
        )
    engine.dispose()
    return entries


class SchedulerFailed(AkhbarError, RuntimeError):
    """The scheduler could not start its jobs."""


class CrawlScheduler:
    """The foreground scheduler: jobs, crawl subprocesses, limits and signals."""

    def __init__(
        self,
        settings: AkhbarSettings,
        *,
        liveness: Liveness | None = None,
        lock: SchedulerLock | None = None,
    ) -> None:
        self.settings = settings
        self.liveness = liveness or Liveness()
        self.lock = lock  # held by this process when given; watched while running
        self.lost_lock = False
        self.config = settings.scheduler
        self.engine = make_engine(
            settings.database_url, connect_timeout=settings.database_connect_timeout
        )
        self.repo = Repository(self.engine)
        self.stopping = threading.Event()
        self._grace_deadline: float | None = None
        self._slots = threading.BoundedSemaphore(self.config.max_concurrent_runs)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._active: set[str] = set()
        self.failed = False
        self._watch_stop = threading.Event()
        self.scheduler = BlockingScheduler(
            jobstores={"default": _job_store(settings)},
            executors={"default": ThreadPoolExecutor(EXECUTOR_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    # -- lifecycle ----------------------------------------------------------------------------
    def run(self) -> None:
        """Run until SIGTERM/SIGINT; returns when every crawl it started has ended."""
        global _ACTIVE
        ensure_schema(self.engine)
        reaped = reap_dead_runs(self.repo, self.config.stale_after)
        if reaped:
            log.warning("marked %d run(s) of dead processes interrupted", len(reaped))
        self.scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        _ACTIVE = self
        previous = {
            sig: signal.signal(sig, handler)
            for sig, handler in (
                (signal.SIGTERM, self._on_stop_signal),
                (signal.SIGINT, self._on_stop_signal),
                (signal.SIGHUP, self._on_reload_signal),
            )
        }
        log.info(
            "scheduler started (pid %d): at most %d concurrent run(s), time limit %g s per run",
            os.getpid(),
            self.config.max_concurrent_runs,
            self.config.run_time_limit,
        )
        watch = threading.Thread(target=self._watch, name="akhbar-watch", daemon=True)
        watch.start()
        try:
            if not self.stopping.is_set():
                self.scheduler.start()  # blocks until shutdown
        finally:
            self._drain()
            self._watch_stop.set()
            watch.join(timeout=5)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _ACTIVE = None
            self.engine.dispose()
        log.info("scheduler stopped")
        if self.failed:
            raise SchedulerFailed("the scheduler could not load its jobs (see the log above)")

    def _on_started(self, _event: Any) -> None:
        """Sync the persisted jobs with the seeds once the job store is open, before the
        scheduler's loop looks for due jobs (same thread: nothing fires while syncing)."""
        try:
            sync_jobs(self.scheduler, self.settings)
        except Exception:
            log.exception("cannot sync jobs with the seeds directory; stopping")
            self.failed = True
            self.stopping.set()
            self._grace_deadline = time.monotonic()
            threading.Thread(target=self._shutdown_scheduler, name="akhbar-shutdown").start()

    def _watch(self) -> None:
        """Every second: note that the scheduler lives (metrics); with a lock, confirm it is
        still ours and step down when it has not been confirmed for ``step_down_after`` s."""
        lock = self.lock
        beat: threading.Thread | None = None
        next_beat = time.monotonic()
        while not self._watch_stop.wait(1.0):
            self.liveness.tick = time.time()
            with self._lock:
                self.liveness.running_crawls = len(self._children)
            if lock is None or self.stopping.is_set():
                continue
            now = time.monotonic()
            # in its own thread: a heartbeat stuck on a dead network must not delay the check
            if now >= next_beat and (beat is None or not beat.is_alive()):
                beat = threading.Thread(target=lock.heartbeat, name="akhbar-lock", daemon=True)
                beat.start()
                next_beat = now + lock.heartbeat_every
            if lock.lost():
                self.step_down(lock.why_lost)

    def step_down(self, why: str) -> None:
        """Stop being the active scheduler: start nothing more, let running crawls finish
        within the grace period (their run leases keep another scheduler off their sources)."""
        if self.stopping.is_set():
            return
        log.error(
            "%s: stepping down; no new runs, running crawls have %g s",
            why,
            self.config.shutdown_grace,
        )
        self.lost_lock = True
        self._grace_deadline = time.monotonic() + self.config.shutdown_grace
        self.stopping.set()
        threading.Thread(target=self._shutdown_scheduler, name="akhbar-shutdown").start()

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stopping.is_set():
            log.warning("%s again: stopping running crawls now", name)
            self._grace_deadline = time.monotonic()
            return
        self._grace_deadline = time.monotonic() + self.config.shutdown_grace
        self.stopping.set()
        log.info(
            "%s: no new runs; running crawls have %g s to finish", name, self.config.shutdown_grace
        )
        # not from the signal handler itself: shutdown takes the scheduler's locks
        threading.Thread(target=self._shutdown_scheduler, name="akhbar-shutdown").start()

    def _shutdown_scheduler(self) -> None:
        give_up = time.monotonic() + 10.0
        while True:
            try:
                self.scheduler.shutdown(wait=False)
                return
            except SchedulerNotRunningError:  # a signal just before start(): wait for it
                if time.monotonic() > give_up:
                    return
                time.sleep(0.05)

    def _on_reload_signal(self, _signum: int, _frame: FrameType | None) -> None:
        log.info("SIGHUP: reloading seeds from %s", self.settings.seeds_dir)
        threading.Thread(target=self.reload, name="akhbar-reload").start()

    def reload(self) -> SyncReport | None:
        """Sync the running scheduler's jobs with the seeds directory."""
        if self.stopping.is_set():
            return None
        with self._sync_lock:
            try:
                return sync_jobs(self.scheduler, self.settings)
            except Exception:
                log.exception("reload failed; jobs unchanged")
                return None

    def _drain(self) -> None:
        """After the scheduler loop ends: wait for running crawls (they obey the grace period),
        then make sure no row of ours is left ``running``."""
        if self._grace_deadline is None:
            self._grace_deadline = time.monotonic() + self.config.shutdown_grace
        self.stopping.set()
        while True:
            with self._lock:
                if not self._active:
                    break
            # the run threads stop their crawls at the grace deadline (sooner on a 2nd signal)
            if time.monotonic() > self._grace_deadline + self.config.kill_after + 5.0:
                break
            time.sleep(0.1)
        with self._lock:
            leftovers = dict(self._children)
        for pid, proc in leftovers.items():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            interrupt_runs_of(self.repo, pid, "scheduler stopped")

    # -- one run ------------------------------------------------------------------------------
    def run_source(self, source: str) -> None:
        """One scheduled run: wait for a concurrency slot, run the crawl process, watch it."""
        if self.stopping.is_set():
            return
        with self._lock:
            self._active.add(source)
        try:
            while not self._slots.acquire(timeout=0.2):
                if self.stopping.is_set():
                    log.info("%s: scheduled run not started (shutting down)", source)
                    return
            try:
                if self.stopping.is_set():
                    log.info("%s: scheduled run not started (shutting down)", source)
                    return
                # a process that was frozen may fire jobs before its watch notices the lock gone
                if self.lock is not None and self.lock.lost():
                    log.warning("%s: scheduled run not started (%s)", source, self.lock.why_lost)
                    return
                self._crawl(source)
            finally:
                self._slots.release()
        except Exception:
            log.exception("%s: scheduled run failed to start", source)
        finally:
            with self._lock:
                self._active.discard(source)

    def crawl_command(self, source: str) -> list[str]:
        return [sys.executable, "-m", "akhbar", "crawl", source, "--kind", "scheduled"]

    def _crawl(self, source: str) -> None:
        env = {
            **os.environ,
            "AKHBAR_DATABASE_URL": self.settings.database_url,  # in the environment, not argv
            "AKHBAR_SEEDS_DIR": str(Path(self.settings.seeds_dir).resolve()),
            "AKHBAR_LOG_LEVEL": self.settings.log_level,
        }
        started_at = utcnow()
        clock = time.monotonic()
        # own session: a terminal's Ctrl-C reaches the scheduler only, which applies the grace
        proc = subprocess.Popen(
            self.crawl_command(source),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        with self._lock:
            self._children[proc.pid] = proc
        log.info("%s: scheduled crawl started (pid %d)", source, proc.pid)
        deadline = clock + self.config.run_time_limit
        stop_reason: str | None = None
        term_sent: float | None = None
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if term_sent is None:
                grace = self._grace_deadline
                if now >= deadline:
                    stop_reason = f"time limit of {self.config.run_time_limit:g} s reached"
                elif self.stopping.is_set() and grace is not None and now >= grace:
                    stop_reason = "scheduler shutting down, grace period over"
                if stop_reason:
                    log.warning("%s: stopping crawl pid %d: %s", source, proc.pid, stop_reason)
                    proc.send_signal(signal.SIGTERM)
                    term_sent = now
            elif now - term_sent >= self.config.kill_after:
                log.warning("%s: crawl pid %d did not stop; killing it", source, proc.pid)
                proc.kill()
                term_sent = float("inf")
        if code != 0:  # killed, crashed or refused: no row of it may stay 'running'
            how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
            interrupt_runs_of(self.repo, proc.pid, f"crawl process ended ({how})")
        if stop_reason:
            note = f"stopped by the scheduler: {stop_reason}"
            note_on_runs_of(self.repo, proc.pid, started_at, note)
        with self._lock:
            self._children.pop(proc.pid, None)
        log.info(
            "%s: scheduled crawl ended (pid %d, exit %d) after %.1f s",
            source,
            proc.pid,
            code,
            time.monotonic() - clock,
        )


def run_scheduler(settings: AkhbarSettings) -> None:
    """``akhbar schedule``: run the scheduler in the foreground until SIGTERM/SIGINT; on
    PostgreSQL as the active scheduler or as a standby, with metrics when asked."""
    liveness = Liveness()
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    server = None
    port = settings.scheduler.metrics_port
    try:
        if port is not None:
            server, _bound = serve_metrics(settings, engine, liveness, port)
        if engine.dialect.name != "postgresql":
            liveness.set_role("single")
            CrawlScheduler(settings, liveness=liveness).run()
        else:
            _run_with_failover(settings, liveness)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        engine.dispose()


def _run_with_failover(settings: AkhbarSettings, liveness: Liveness) -> None:
    """Standby until the scheduler lock is ours, then active until SIGTERM/SIGINT; an active
    that loses its lock goes back to standby."""
    lock = SchedulerLock(
        settings.database_url,
        failover_after=settings.scheduler.failover_after,
        connect_timeout=settings.database_connect_timeout,
    )
    stopping = threading.Event()
    reporter = StandbyReporter()

    def on_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: standby scheduler stopping", signal.Signals(signum).name)
        stopping.set()

    def on_reload(_signum: int, _frame: FrameType | None) -> None:
        log.info("SIGHUP: standby; the seeds are read when this scheduler becomes active")

    def tick() -> None:
        liveness.tick = time.time()

    previous = {
        sig: signal.signal(sig, handler)
        for sig, handler in (
            (signal.SIGTERM, on_stop),
            (signal.SIGINT, on_stop),
            (signal.SIGHUP, on_reload),
        )
    }
    try:
        while True:
            liveness.set_role("standby")
            if not lock.wait_for_lock(stopping, reporter, tick) or stopping.is_set():
                return
            reporter.reset()
            liveness.set_role("active")
            log.info("scheduler lock acquired: this scheduler is active (%s)", holder_name())
            crawls = CrawlScheduler(settings, liveness=liveness, lock=lock)
            try:
                crawls.run()  # its own signal handlers while it runs
            finally:
                lock.release()
            if not crawls.lost_lock or stopping.is_set():
                return
            log.warning("this scheduler is a standby again")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.close()
