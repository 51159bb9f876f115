"""Prometheus metrics of ``akhbar schedule --metrics-port N``: read from the database at scrape.

Why a collector over the database rather than counters kept in memory: the runs are made by
crawl subprocesses, by manual ``akhbar crawl`` and by other hosts' schedulers, and a scheduler
restarts; the database has the whole truth, so an active and a standby scheduler report the
same numbers and a restart loses nothing. The run and page counts come from ``crawl_runs``
(one row per run, never ``pages``); runs that ended are summed once and kept
(:class:`RunFigures`), so a scrape reads only the recent runs however long the history, and its
result is kept for ``CACHE_SECONDS`` however often scrapes come. The health verdicts are those
of ``akhbar health`` (:mod:`akhbar.health`), which reads weeks of pages: they are recomputed at
most every ``HEALTH_CACHE_SECONDS``.

Counters (``_total``) only grow: finished runs by status, and the pages of every run (a
running one's as of its last heartbeat); the number of running runs is a gauge. Only the
scheduler's own liveness and role come from memory.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

from akhbar.errors import AkhbarError
from akhbar.health import HealthStatus, SourceHealth, health_report
from akhbar.records import PageOutcome
from akhbar.seeds import SourceConfig, load_seeds
from akhbar.settings import AkhbarSettings
from akhbar.storage.models import CrawlRun
from akhbar.storage.runs import HOSTNAME
from akhbar.triggers import trigger_for

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
HEALTH_CACHE_SECONDS = 60.0  # `akhbar health` reads weeks of pages; its verdicts move slowly
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

    def add(self, other: SourceFigures) -> SourceFigures:
        return SourceFigures(
            runs={k: self.runs.get(k, 0) + other.runs.get(k, 0) for k in self.runs | other.runs},
            pages={
                k: self.pages.get(k, 0) + other.pages.get(k, 0) for k in self.pages | other.pages
            },
            duration_count=self.duration_count + other.duration_count,
            duration_sum=self.duration_sum + other.duration_sum,
            last_ok=_latest(self.last_ok, other.last_ok),
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
        r.source, r.status, r.started_at, r.finished_at, r.new, r.duplicate, r.rejected, r.failed
    ).where(r.id > after)
    if upto is not None:
        query = query.where(r.id <= upto)
    figures: dict[str, SourceFigures] = {}
    rows = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
    for source, status, started, finished, new, dup, rej, err in rows:
        fig = figures.get(source)
        if fig is None:
            fig = figures[source] = SourceFigures(pages=dict.fromkeys(OUTCOMES, 0))
        fig.runs[status] = fig.runs.get(status, 0) + 1
        for outcome, n in zip(OUTCOMES, (new, dup, rej, err), strict=True):
            fig.pages[outcome] += n
        if status == "running":
            continue
        if finished is not None:
            fig.duration_count += 1
            fig.duration_sum += (finished - started).total_seconds()
            if status == "ok":
                fig.last_ok = _latest(fig.last_ok, finished)
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
    trigger = trigger_for(source)
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    if first is None or second is None:
        return 0.0
    return float((second - first).total_seconds())


class AkhbarCollector(Collector):
    """The ``akhbar_`` series, computed at scrape time."""

    def __init__(self, settings: AkhbarSettings, engine: Engine, liveness: Liveness) -> None:
        self.settings = settings
        self.engine = engine
        self.liveness = liveness
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None
        self._figures = RunFigures()
        self._health: tuple[float, dict[str, SourceHealth]] | None = None

    def _health_report(self) -> dict[str, SourceHealth] | None:
        """``akhbar health``'s verdicts, recomputed at most every ``HEALTH_CACHE_SECONDS``."""
        now = time.monotonic()
        if self._health is None or now - self._health[0] > HEALTH_CACHE_SECONDS:
            try:
                report = health_report(self.engine, self.settings)
            except Exception as exc:
                log.warning("metrics: cannot judge source health: %s", str(exc).splitlines()[0])
                return None
            self._health = (now, {h.source: h for h in report})
        return self._health[1]

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
        verdicts = self._health_report()
        health_error = GaugeMetricFamily(
            "akhbar_metrics_health_error", "1 when the health verdicts could not be computed"
        )
        health_error.add_metric([], 1 if verdicts is None else 0)
        yield health_error

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
            "when the source's newest article was stored (as `akhbar health`, refreshed every "
            "minute)",
            labels=["source"],
        )
        interval = GaugeMetricFamily(
            "akhbar_source_schedule_interval_seconds",
            "seconds between two scheduled runs of the source (from the seeds)",
            labels=["source"],
        )
        health = GaugeMetricFamily(
            "akhbar_source_health",
            "1 for the source's `akhbar health` status, 0 for the others (refreshed every minute)",
            labels=["source", "status"],
        )
        for name in names:
            fig = figures.get(name)
            seconds = schedule_interval(sources[name]) if name in sources else 0.0
            if name in sources:
                interval.add_metric([name], seconds)
            verdict = (verdicts or {}).get(name)
            if verdict is not None:
                for state in HealthStatus:
                    health.add_metric([name, state.value], 1 if state is verdict.status else 0)
                if verdict.last_article_at is not None:
                    last_new.add_metric([name], verdict.last_article_at.timestamp())
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
        yield from (runs, running, pages, dups, duration, last_ok, last_new, interval, health)
        took = GaugeMetricFamily(
            "akhbar_metrics_scrape_seconds", "time the database part of the last scrape took"
        )
        took.add_metric([], time.monotonic() - started)
        yield took


class MetricsUnavailable(AkhbarError, OSError):
    """The metrics endpoint cannot listen where it was told to."""


def serve_metrics(
    settings: AkhbarSettings, engine: Engine, liveness: Liveness, port: int
) -> tuple[Any, int]:
    """Start the ``/metrics`` HTTP endpoint in a daemon thread; returns (server, bound port)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AkhbarCollector(settings, engine, liveness))
    host = settings.scheduler.metrics_host
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:  # port taken, address not of this host, name unknown
        raise MetricsUnavailable(f"cannot serve metrics on {host}:{port}: {exc}") from exc
    bound = int(server.server_port)
    shown = f"[{host}]" if ":" in host else host
    log.info("metrics: serving Prometheus metrics on http://%s:%d/metrics", shown, bound)
    return server, bound
