"""Prometheus metrics of ``akhbar schedule --metrics-port N``: read from the database at scrape.

Why a collector over the database rather than counters kept in memory: the runs are made by
crawl subprocesses, by manual ``akhbar crawl`` and by other hosts' schedulers, and a scheduler
restarts; the database has the whole truth, so an active and a standby scheduler report the
same numbers and a restart loses nothing. The queries are aggregates over ``crawl_runs`` only
(one row per run, never over ``pages`` or ``articles``) and their result is kept for
``CACHE_SECONDS``, so a scrape costs a few small queries however often it comes.

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
from sqlalchemy import ColumnElement, Engine, Float, case, cast, func, select

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


@dataclass(frozen=True, slots=True)
class SourceFigures:
    """One source's aggregates over its runs."""

    runs: dict[str, int]  # finished runs by status
    running: int
    pages: dict[str, int]  # PageOutcome value -> pages, finished runs and running ones so far
    duration_count: int
    duration_sum: float
    last_ok: datetime | None
    last_new: datetime | None
    last_finished_statuses: list[str]  # newest first, at most BROKEN_AFTER
    last_fetched: int
    last_useless: int  # rejected + error pages of the newest finished run


def _seconds(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


def read_figures(engine: Engine) -> dict[str, SourceFigures]:
    """Every source's aggregates, from ``crawl_runs`` (a handful of grouped queries)."""
    r = CrawlRun
    finished = r.status != "running"
    done_at = func.coalesce(r.finished_at, r.heartbeat_at, r.started_at)
    dialect = engine.dialect.name
    with engine.connect() as conn:
        by_status = conn.execute(
            select(r.source, r.status, func.count()).group_by(r.source, r.status)
        ).all()
        sums = conn.execute(
            select(
                r.source,
                func.sum(r.new),
                func.sum(r.duplicate),
                func.sum(r.rejected),
                func.sum(r.failed),
                func.sum(case((finished, 1), else_=0)),
                func.sum(
                    case((finished, _seconds(r.started_at, r.finished_at, dialect)), else_=0.0)
                ),
                func.max(case((r.status == "ok", r.finished_at))),
                func.max(case((r.new > 0, done_at))),
            ).group_by(r.source)
        ).all()
        # the newest finished runs of each source, for the health status
        ranked = (
            select(
                r.source,
                r.status,
                r.fetched,
                r.rejected + r.failed,
                func.row_number().over(partition_by=r.source, order_by=r.id.desc()).label("n"),
            )
            .where(finished)
            .subquery()
        )
        newest = conn.execute(
            select(ranked).where(ranked.c.n <= BROKEN_AFTER).order_by(ranked.c.source, ranked.c.n)
        ).all()
    statuses: dict[str, dict[str, int]] = {}
    for source, status, n in by_status:
        statuses.setdefault(source, {})[status] = int(n)
    recent: dict[str, list[tuple[str, int, int]]] = {}
    for source, status, fetched, useless, _n in newest:
        recent.setdefault(source, []).append((status, int(fetched), int(useless)))
    figures: dict[str, SourceFigures] = {}
    for source, new, dup, rej, err, count, total, last_ok, last_new in sums:
        runs = statuses.get(source, {})
        last = recent.get(source, [])
        figures[source] = SourceFigures(
            runs={s: n for s, n in runs.items() if s != "running"},
            running=runs.get("running", 0),
            pages={
                PageOutcome.ARTICLE.value: int(new or 0),
                PageOutcome.DUPLICATE.value: int(dup or 0),
                PageOutcome.REJECTED.value: int(rej or 0),
                PageOutcome.ERROR.value: int(err or 0),
            },
            duration_count=int(count or 0),
            duration_sum=float(total or 0.0),
            last_ok=_aware(last_ok),
            last_new=_aware(last_new),
            last_finished_statuses=[s for s, _, _ in last],
            last_fetched=last[0][1] if last else 0,
            last_useless=last[0][2] if last else 0,
        )
    return figures


def _aware(value: Any) -> datetime | None:
    """Aggregates bypass the column type: SQLite gives naive text, PostgreSQL aware values."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    if figures is None or not figures.last_finished_statuses:
        return "never run"
    last = figures.last_finished_statuses
    if len(last) >= BROKEN_AFTER and all(s == "failed" for s in last):
        return "broken"
    if figures.last_fetched and figures.last_useless == figures.last_fetched:
        return "broken"
    if last[0] == "failed" or figures.last_useless * 2 > figures.last_fetched:
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
            figures = read_figures(self.engine)
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
                runs.add_metric([name, status], n)
            running.add_metric([name], fig.running)
            for outcome, n in fig.pages.items():
                pages.add_metric([name, outcome], n)
            dups.add_metric([name], fig.pages[PageOutcome.DUPLICATE.value])
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
