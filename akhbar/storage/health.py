"""The numbers ``akhbar health`` judges, read with a few aggregate queries per database.

Pages and articles are counted by source and day in SQL (the day a ``CASE`` over the last
weeks, the reason key cut from ``pages.reason`` by the database itself), so the answer is a few
hundred rows whether a source has a hundred pages or millions; runs are read as per-source
aggregates and each source's latest runs (``row_number``). Only the median text length needs
the lengths themselves on SQLite, which has no percentile function; PostgreSQL computes it with
``percentile_cont``.

Days and windows are half-open ``[start, end)`` intervals of timezone-aware UTC instants
counted back from ``now``; the caller (:mod:`akhbar.health`) chooses them and never lets the
baseline overlap the recent window.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from akhbar.records import PageOutcome
from akhbar.storage.models import ARTICLE_WITHDRAWN, Article, CrawlRun, Page, Source

# runs that fetch pages; a reprocess only re-reads stored HTML
FETCHING_KINDS_EXCLUDED = ("reprocess",)
# how many latest finished runs per source are read (the failure and zero-fetch streaks)
LATEST_RUNS = 50


class reason_key(FunctionElement[str]):  # an SQL function, named like one
    """The part of ``pages.reason`` before its first colon: ``not_article: a tag page`` ->
    ``not_article``, ``http_503`` -> ``http_503`` (the key ``akhbar stats`` shows too)."""

    type = String()
    inherit_cache = True


@compiles(reason_key)
def _reason_key_sqlite(element: reason_key, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"substr({arg}, 1, instr({arg} || ':', ':') - 1)"


@compiles(reason_key, "postgresql")
def _reason_key_postgresql(element: reason_key, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"split_part({arg}, ':', 1)"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time interval ``[start, end)``."""

    start: datetime
    end: datetime

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


@dataclass(frozen=True, slots=True)
class RunRow:
    """One finished run, as the streak rules need it."""

    status: str
    started_at: datetime
    finished_at: datetime | None
    fetched: int
    new: int
    error: str | None


@dataclass(slots=True)
class PageCounts:
    """Pages of one source in one window, by outcome and by reason key."""

    total: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    first_seen: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def add(self, outcome: str, key: str, n: int, first: datetime | None) -> None:
        self.total += n
        self.by_outcome[outcome] = self.by_outcome.get(outcome, 0) + n
        if outcome == PageOutcome.REJECTED.value:
            self.rejected_by_reason[key] = self.rejected_by_reason.get(key, 0) + n
        elif outcome == PageOutcome.ERROR.value:
            self.failed_by_reason[key] = self.failed_by_reason.get(key, 0) + n
        if first is not None:
            seen = self.first_seen.get((outcome, key))
            self.first_seen[(outcome, key)] = first if seen is None else min(seen, first)


@dataclass(slots=True)
class SourceActivity:
    """What the database says about one source's recent crawling."""

    source: str
    first_run_at: datetime | None = None
    last_run: RunRow | None = None
    last_ok_run_at: datetime | None = None
    last_article_at: datetime | None = None
    latest_runs: list[RunRow] = field(default_factory=list)  # newest first, finished only
    articles_per_day: list[int] = field(default_factory=list)  # [0] = the latest day
    withdrawn_recent: int = 0
    pages_per_day: dict[int, PageCounts] = field(default_factory=dict)  # 0 = the latest day
    median_text_chars: dict[str, float | None] = field(default_factory=dict)


def source_names(engine: Engine) -> list[str]:
    """Every source the database knows (a ``sources`` row)."""
    with engine.connect() as conn:
        return list(conn.scalars(select(Source.name).order_by(Source.name)))


def read_activity(
    engine: Engine,
    now: datetime,
    days: int,
    text_windows: dict[str, Window],
    recent: Window,
) -> dict[str, SourceActivity]:
    """The activity of every source with any row: articles and pages per day for ``days``
    days back from ``now``; the median text length in each of the named ``text_windows``;
    the withdrawn articles among those stored in ``recent``."""
    out: dict[str, SourceActivity] = {}

    def of(name: str) -> SourceActivity:
        return out.setdefault(name, SourceActivity(name))

    with engine.connect() as conn:
        _read_runs(conn, of)
        _read_articles(conn, of, now, days, recent)
        _read_pages(conn, of, now, days)
        for name, window in text_windows.items():
            for source, median in _median_text_chars(conn, window).items():
                of(source).median_text_chars[name] = median
    return out


def _fetching_run() -> ColumnElement[bool]:
    return CrawlRun.kind.not_in(FETCHING_KINDS_EXCLUDED)


def _read_runs(conn: Any, of: Any) -> None:
    ok = CrawlRun.status == "ok"
    for source, first, last_ok in conn.execute(
        select(
            CrawlRun.source,
            func.min(CrawlRun.started_at),
            func.max(case((ok, func.coalesce(CrawlRun.finished_at, CrawlRun.started_at)))),
        )
        .where(_fetching_run())
        .group_by(CrawlRun.source)
    ):
        activity = of(source)
        activity.first_run_at = _aware(first)
        activity.last_ok_run_at = _aware(last_ok)
    # the latest finished runs of each source, newest first (a window function: both
    # databases have row_number)
    rank = (
        func.row_number()
        .over(partition_by=CrawlRun.source, order_by=CrawlRun.id.desc())
        .label("rank")
    )
    latest = (
        select(
            CrawlRun.source,
            CrawlRun.status,
            CrawlRun.started_at,
            CrawlRun.finished_at,
            CrawlRun.fetched,
            CrawlRun.new,
            CrawlRun.error,
            rank,
        )
        .where(_fetching_run(), CrawlRun.status != "running")
        .subquery()
    )
    rows = conn.execute(
        select(latest).where(latest.c.rank <= LATEST_RUNS).order_by(latest.c.source, "rank")
    )
    for source, status, started, finished, fetched, new, error, _rank in rows:
        run = RunRow(
            status=status,
            started_at=_aware_required(started),
            finished_at=_aware(finished),
            fetched=fetched,
            new=new,
            error=error,
        )
        activity = of(source)
        activity.latest_runs.append(run)
        if activity.last_run is None:
            activity.last_run = run


def _read_articles(conn: Any, of: Any, now: datetime, days: int, recent: Window) -> None:
    day = _day_index(Article.created_at, now, days).label("day")
    withdrawn = func.sum(
        case((and_(recent.holds(Article.created_at), Article.status == ARTICLE_WITHDRAWN), 1))
    )
    for source, index, n, n_withdrawn in conn.execute(
        select(Article.source, day, func.count(), withdrawn)
        .where(Article.created_at >= now - days * timedelta(days=1), Article.created_at < now)
        .group_by(Article.source, day)
    ):
        activity = of(source)
        if not activity.articles_per_day:
            activity.articles_per_day = [0] * days
        if 0 <= index < days:
            activity.articles_per_day[int(index)] += int(n)
        activity.withdrawn_recent += int(n_withdrawn or 0)
    for source, last in conn.execute(
        select(Article.source, func.max(Article.created_at)).group_by(Article.source)
    ):
        of(source).last_article_at = _aware(last)


def _day_index(column: Any, now: datetime, days: int) -> Any:
    """0 for the last 24 h before ``now``, 1 for the day before, ... (-1 further back)."""
    day = timedelta(days=1)
    return case(*((column >= now - (i + 1) * day, i) for i in range(days)), else_=-1)


def _read_pages(conn: Any, of: Any, now: datetime, days: int) -> None:
    day = _day_index(Page.last_fetched_at, now, days).label("day")
    key = func.coalesce(reason_key(Page.reason), "unknown").label("key")
    query = (
        select(
            Page.source,
            day,
            Page.outcome,
            key,
            func.count(),
            func.min(Page.last_fetched_at),
        )
        .where(Page.last_fetched_at >= now - days * timedelta(days=1), Page.last_fetched_at < now)
        .group_by(Page.source, day, Page.outcome, key)
    )
    for source, index, outcome, reason, n, first in conn.execute(query):
        if index < 0:
            continue
        activity = of(source)
        counts = activity.pages_per_day.setdefault(int(index), PageCounts())
        counts.add(outcome, (reason or "unknown").strip() or "unknown", int(n), _aware(first))


def _median_text_chars(conn: Any, window: Window) -> dict[str, float | None]:
    """Median character length of the articles stored in ``window``, per source."""
    where = window.holds(Article.created_at)
    length = func.length(Article.text)
    if conn.dialect.name == "postgresql":
        median = func.percentile_cont(0.5).within_group(length)
        return {
            source: float(value) if value is not None else None
            for source, value in conn.execute(
                select(Article.source, median).where(where).group_by(Article.source)
            )
        }
    lengths: dict[str, list[int]] = {}
    for source, n in conn.execute(select(Article.source, length).where(where)):
        lengths.setdefault(source, []).append(int(n or 0))
    return {source: float(statistics.median(values)) for source, values in lengths.items()}


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates (min, max, case) lose the column type on SQLite: bring back UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns an aggregate over a DateTime as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _aware_required(value: datetime) -> datetime:
    aware = _aware(value)
    assert aware is not None
    return aware
