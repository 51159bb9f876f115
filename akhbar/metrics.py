"""Prometheus metrics of ``akhbar schedule --metrics-port N``: read from the database at scrape.

Why a collector over the database rather than counters kept in memory: the runs are made by
crawl subprocesses, by manual ``akhbar crawl`` and by other hosts' schedulers, and a scheduler
restarts; the database has the whole truth, so an active and a standby scheduler report the
same numbers and a restart loses nothing. The queries are aggregates over ``crawl_runs`` only
(one row per run, never over ``pages`` or ``articles``); runs that ended are summed once and
kept (:class:`RunFigures`), so a scrape reads only the recent runs however long the history,
and its result is kept for ``CACHE_SECONDS`` however often scrapes come.

Counters (``_total``) count finished runs and what they did, which never goes back; what is
still running is a gauge. Only the scheduler's own liveness and role come from memory.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Connection, Engine, func, select

from akhbar.records import PageOutcome
from akhbar.seeds import SourceConfig, load_seeds
from akhbar.settings import AkhbarSettings
from akhbar.storage.models import CrawlRun
from akhbar.storage.runs import HOSTNAME

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
HEALTH_STATUSES = ("ok", "quiet", "degraded", "broken", "never run")
QUIET_AFTER = timedelta(days=2)  # no new article for this long (and at least 2 intervals)
BROKEN_AFTER = 3  # finished runs in a row failed, or fetching nothing but rejections/errors
# crawl_runs counters new, duplicate, rejected, failed as page outcomes
OUTCOMES = (
    PageOutcome.ARTICLE.value,
    PageOutcome.DUPLICATE.value,
    PageOutcome.REJECTED.value,
    PageOutcome.ERROR.value,
)


@dataclass
class Liveness:
    """What this scheduler process reports about itself (updated by the scheduler)."""

    role: str = "starting"  # starting | standby | active (single: SQLite, no election)
    since: float = field(default_factory=time.time)
    tick: float = field(default_factory=time.time)  # last turn of the scheduler's watch loop
    running_crawls: int = 0

    def set_role(self, role: str) -> None:
        if role != self.role:
            self.role, self.since = role, time.time()


@dataclass(slots=True)
class SourceFigures:
    """One source's aggregates over a range of its runs; ranges add up with :meth:`add`."""

    runs: dict[str, int] = field(default_factory=dict)  # runs by status (running included)
    pages: dict[str, int] = field(default_factory=dict)  # PageOutcome value -> pages
    duration_count: int = 0  # finished runs
    duration_sum: float = 0.0
    last_ok: datetime | None = None
    last_new: datetime | None = None
    # the newest finished runs, newest first, at most BROKEN_AFTER: (id, status, fetched,
    # rejected + error pages)
    newest: list[tuple[int, str, int, int]] = field(default_factory=list)

    def add(self, other: SourceFigures) -> SourceFigures:
        return SourceFigures(
            runs={k: self.runs.get(k, 0) + other.runs.get(k, 0) for k in self.runs | other.runs},
            pages={
                k: self.pages.get(k, 0) + other.pages.get(k, 0) for k in self.pages | other.pages
            },
            duration_count=self.duration_count + other.duration_count,
            duration_sum=self.duration_sum + other.duration_sum,
            last_ok=_latest(self.last_ok, other.last_ok),
            last_new=_latest(self.last_new, other.last_new),
            newest=sorted(self.newest + other.newest, reverse=True)[:BROKEN_AFTER],
        )


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def aggregate_runs(
    conn: Connection, after: int, upto: int | None = None
) -> dict[str, SourceFigures]:
    """Aggregates of the runs with ``after < id <= upto`` (no upper bound: None), by source.

    The rows are read by primary-key range and summed here: the range is small after the
    first scrape, and a range scan is what every planner does with it (a GROUP BY tempts them
    to scan the whole table by the source index).
    """
    r = CrawlRun
    query = select(
        r.id, r.source, r.status, r.started_at, r.finished_at, r.heartbeat_at,
        r.fetched, r.new, r.duplicate, r.rejected, r.failed,
    ).where(r.id > after).order_by(r.id)  # fmt: skip
    if upto is not None:
        query = query.where(r.id <= upto)
    figures: dict[str, SourceFigures] = {}
    rows = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
    for run_id, source, status, started, finished, beat, fetched, new, dup, rej, err in rows:
        fig = figures.get(source)
        if fig is None:
            fig = figures[source] = SourceFigures(pages=dict.fromkeys(OUTCOMES, 0))
        fig.runs[status] = fig.runs.get(status, 0) + 1
        for outcome, n in zip(OUTCOMES, (new, dup, rej, err), strict=True):
            fig.pages[outcome] += n
        if new:
            fig.last_new = _latest(fig.last_new, finished or beat or started)
        if status == "running":
            continue
        if finished is not None:
            fig.duration_count += 1
            fig.duration_sum += (finished - started).total_seconds()
            if status == "ok":
                fig.last_ok = _latest(fig.last_ok, finished)
        fig.newest.insert(0, (run_id, status, fetched, rej + err))  # rows come in id order
        del fig.newest[BROKEN_AFTER:]
    return figures


class RunFigures:
    """Every source's aggregates, read incrementally: runs that ended long enough ago are
    summed once and kept (a finished run's status, counters and times never change), so a
    scrape reads only the runs since the oldest one still running.

    "Long enough" is ``SETTLE_AFTER`` seconds after their id was first seen: a run id drawn
    from the sequence is not visible until its insert commits, so a lower id may still appear
    after a higher one; no insert takes that long.
    """

    SETTLE_AFTER = 60.0

    def __init__(self) -> None:
        self._settled: dict[str, SourceFigures] = {}
        self._watermark = 0  # every run with an id up to here is summed in _settled
        self._ripe = 0  # the highest id seen SETTLE_AFTER seconds ago or earlier
        self._seen: list[tuple[float, int]] = []  # (monotonic time, highest id then)

    def read(self, engine: Engine) -> dict[str, SourceFigures]:
        r = CrawlRun
        now = time.monotonic()
        with engine.connect() as conn:
            highest = int(conn.execute(select(func.max(r.id))).scalar_one_or_none() or 0)
            oldest_running = conn.execute(
                select(func.min(r.id)).where(r.status == "running")
            ).scalar_one_or_none()
            if highest < self._watermark:  # another database behind the same URL: start over
                self._settled, self._watermark, self._ripe, self._seen = {}, 0, 0, []
            self._seen.append((now, highest))
            ripe = [seen for when, seen in self._seen if now - when >= self.SETTLE_AFTER]
            if ripe:
                self._ripe = max(self._ripe, ripe[-1])
                self._seen = [(w, h) for w, h in self._seen if now - w < self.SETTLE_AFTER]
            settle = self._ripe
            if oldest_running is not None:
                settle = min(settle, int(oldest_running) - 1)
            if settle > self._watermark:
                for source, fig in aggregate_runs(conn, self._watermark, settle).items():
                    self._settled[source] = self._settled.get(source, SourceFigures()).add(fig)
                self._watermark = settle
            recent = aggregate_runs(conn, self._watermark)
        total = dict(self._settled)
        for source, fig in recent.items():
            total[source] = total.get(source, SourceFigures()).add(fig)
        return total


def schedule_interval(source: SourceConfig) -> float:
    """Seconds between two runs of the source (for a cron schedule: its next two runs)."""
    from akhbar.scheduler import trigger_for

    trigger = trigger_for(source)
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    if first is None or second is None:
        return 0.0
    return float((second - first).total_seconds())


def health_status(figures: SourceFigures | None, interval: float, now: datetime) -> str:
    """A source's status from its runs alone (the statuses of ``akhbar health``, simpler):
    broken when its last runs all failed or fetched nothing usable, degraded when the last one
    failed or most of its pages were rejected, quiet when no new article came for long."""
    if figures is None or not figures.newest:
        return "never run"
    statuses = [status for _, status, _, _ in figures.newest]
    _, _, fetched, useless = figures.newest[0]
    if len(statuses) >= BROKEN_AFTER and all(s == "failed" for s in statuses):
        return "broken"
    if fetched and useless == fetched:
        return "broken"
    if statuses[0] == "failed" or useless * 2 > fetched:
        return "degraded"
    quiet_after = max(QUIET_AFTER, timedelta(seconds=2 * interval))
    if figures.last_new is None or now - figures.last_new > quiet_after:
        return "quiet"
    return "ok"


class AkhbarCollector(Collector):
    """The ``akhbar_`` series, computed at scrape time."""

    def __init__(self, settings: AkhbarSettings, engine: Engine, liveness: Liveness) -> None:
        self.settings = settings
        self.engine = engine
        self.liveness = liveness
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None
        self._figures = RunFigures()

    def collect(self) -> Iterator[Metric]:
        yield from self._scheduler_metrics()
        with self._lock:  # concurrent scrapes share one database read
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > CACHE_SECONDS:
                self._cached = (now, list(self._database_metrics()))
            yield from self._cached[1]

    def _scheduler_metrics(self) -> Iterable[Metric]:
        live = self.liveness
        up = GaugeMetricFamily("akhbar_scheduler_up", "1 while this scheduler process runs")
        up.add_metric([], 1)
        yield up
        active = GaugeMetricFamily(
            "akhbar_scheduler_active",
            "1 when this scheduler runs the jobs, 0 on a standby (sum over instances: 1)",
        )
        active.add_metric([], 1 if live.role in ("active", "single") else 0)
        yield active
        info = GaugeMetricFamily(
            "akhbar_scheduler_info",
            "this scheduler's role and host",
            labels=["role", "host", "pid"],
        )
        info.add_metric([live.role, HOSTNAME, str(os.getpid())], 1)
        yield info
        since = GaugeMetricFamily(
            "akhbar_scheduler_role_since_timestamp_seconds", "when this scheduler took its role"
        )
        since.add_metric([], live.since)
        yield since
        tick = GaugeMetricFamily(
            "akhbar_scheduler_heartbeat_timestamp_seconds",
            "last turn of the scheduler's watch loop (stale: the scheduler hangs)",
        )
        tick.add_metric([], live.tick)
        yield tick
        crawls = GaugeMetricFamily(
            "akhbar_scheduler_running_crawls", "crawl processes this scheduler runs now"
        )
        crawls.add_metric([], live.running_crawls)
        yield crawls

    def _database_metrics(self) -> Iterable[Metric]:
        started = time.monotonic()
        error = GaugeMetricFamily(
            "akhbar_metrics_database_error", "1 when the last scrape could not read the database"
        )
        try:
            figures = self._figures.read(self.engine)
        except Exception as exc:
            log.warning("metrics: cannot read the database: %s", str(exc).splitlines()[0])
            error.add_metric([], 1)
            yield error
            return
        error.add_metric([], 0)
        yield error
        sources = {s.name: s for s in load_seeds(self.settings.seeds_dir).sources}
        names = sorted(set(sources) | set(figures))
        now = datetime.now(UTC)

        runs = CounterMetricFamily(
            "akhbar_runs", "finished runs by source and status", labels=["source", "status"]
        )
        running = GaugeMetricFamily("akhbar_runs_running", "runs in progress", labels=["source"])
        pages = CounterMetricFamily(
            "akhbar_pages",
            "pages fetched by source and outcome (article: a new article)",
            labels=["source", "outcome"],
        )
        dups = CounterMetricFamily(
            "akhbar_duplicates", "pages found to be copies of a stored article", labels=["source"]
        )
        duration = SummaryMetricFamily(
            "akhbar_run_duration_seconds", "duration of finished runs", labels=["source"]
        )
        last_ok = GaugeMetricFamily(
            "akhbar_last_successful_run_timestamp_seconds",
            "end of the source's last run that ended ok",
            labels=["source"],
        )
        last_new = GaugeMetricFamily(
            "akhbar_last_new_article_timestamp_seconds",
            "end of the source's last run that stored a new article (its last heartbeat while "
            "it runs)",
            labels=["source"],
        )
        interval = GaugeMetricFamily(
            "akhbar_source_schedule_interval_seconds",
            "seconds between two scheduled runs of the source (from the seeds)",
            labels=["source"],
        )
        health = GaugeMetricFamily(
            "akhbar_source_health",
            "1 for the source's current health status, 0 for the others",
            labels=["source", "status"],
        )
        for name in names:
            fig = figures.get(name)
            seconds = schedule_interval(sources[name]) if name in sources else 0.0
            if name in sources:
                interval.add_metric([name], seconds)
            current = health_status(fig, seconds, now)
            for status in HEALTH_STATUSES:
                health.add_metric([name, status], 1 if status == current else 0)
            if fig is None:
                continue
            for status, n in sorted(fig.runs.items()):
                if status != "running":
                    runs.add_metric([name, status], n)
            running.add_metric([name], fig.runs.get("running", 0))
            for outcome, n in fig.pages.items():
                pages.add_metric([name, outcome], n)
            dups.add_metric([name], fig.pages.get(PageOutcome.DUPLICATE.value, 0))
            duration.add_metric([name], fig.duration_count, fig.duration_sum)
            if fig.last_ok is not None:
                last_ok.add_metric([name], fig.last_ok.timestamp())
            if fig.last_new is not None:
                last_new.add_metric([name], fig.last_new.timestamp())
        yield from (runs, running, pages, dups, duration, last_ok, last_new, interval, health)
        took = GaugeMetricFamily(
            "akhbar_metrics_scrape_seconds", "time the database part of the last scrape took"
        )
        took.add_metric([], time.monotonic() - started)
        yield took


def serve_metrics(
    settings: AkhbarSettings, engine: Engine, liveness: Liveness, port: int
) -> tuple[Any, int]:
    """Start the ``/metrics`` HTTP endpoint in a daemon thread; returns (server, bound port)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AkhbarCollector(settings, engine, liveness))
    host = settings.scheduler.metrics_host
    server, _thread = start_http_server(port, addr=host, registry=registry)
    bound = int(server.server_port)
    shown = f"[{host}]" if ":" in host else host
    log.info("metrics: serving Prometheus metrics on http://%s:%d/metrics", shown, bound)
    return server, bound
