"""Is each source still delivering? A verdict per source from the database alone.

A source is judged against its own history, not a global number: a wire service that stores
two hundred stories a day and a weekly column differ by orders of magnitude, and a feed that
always lists section pages has a high rejection rate that is normal *for it*. The recent window
(the last ``recent_days``, and the last 24 h on its own) is compared with the baseline, the
``baseline_days`` before it, which never overlaps it. Rules, worst first (docs/deploy.md):

- ``broken``: the last ``failed_runs`` runs failed (network, a blocked crawler), or nearly
  every page fetched recently was rejected (a redesign) or failed, well above the baseline;
- ``degraded``: the last run failed, or a large share of pages rejected or failed, or one
  rejection reason's share or the median article length moved (extraction drift);
- ``quiet``: runs succeed but new articles fell far below the source's usual day (a moved
  feed: runs ok, nothing fetched), or no successful run for ``max_run_age_hours``;
- ``never run``: a source of the seeds without any crawl or backfill run;
- ``ok``: none of the above.

Rate rules need ``min_pages`` pages in a window, so a source with a few pages a day is not
judged on noise; the article-count rules need an expected count large enough that a shortfall
is unlikely by chance. Thresholds are :class:`~akhbar.settings.HealthSettings`
(``AKHBAR_HEALTH__*``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine

from akhbar.records import PageOutcome
from akhbar.seeds import UnknownSource as UnknownSource  # raised by source_health
from akhbar.seeds import check_known, load_seeds
from akhbar.settings import AkhbarSettings, HealthSettings
from akhbar.storage.health import (
    PageCounts,
    RunRow,
    SourceActivity,
    Window,
    read_activity,
    source_names,
)
from akhbar.storage.types import utcnow


class HealthStatus(StrEnum):
    """A source's verdict, worst last."""

    OK = "ok"
    NEVER_RUN = "never run"
    QUIET = "quiet"
    DEGRADED = "degraded"
    BROKEN = "broken"


_SEVERITY = {
    HealthStatus.OK: 0,
    HealthStatus.NEVER_RUN: 1,
    HealthStatus.QUIET: 2,
    HealthStatus.DEGRADED: 3,
    HealthStatus.BROKEN: 4,
}


@dataclass(frozen=True, slots=True)
class ReasonShare:
    """One rejection or failure reason: pages recently and its share now and before."""

    reason: str
    pages: int
    share: float
    baseline_share: float | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired: its status and the sentence saying why."""

    status: HealthStatus
    reason: str


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """The health of one source: its verdict, why, and the numbers behind it."""

    source: str
    status: HealthStatus
    reason: str
    findings: list[Finding]
    in_seeds: bool | None  # None: no seeds directory was read
    articles_24h: int
    articles_recent: int
    recent_days: int
    baseline_median_day: float | None  # None: not enough history yet
    baseline_days: int
    withdrawn_recent: int
    pages_recent: int
    rejection_rate: float | None  # None: no page fetched in the window
    rejection_rate_baseline: float | None
    failure_rate: float | None
    failure_rate_baseline: float | None
    top_rejections: list[ReasonShare]
    top_failures: list[ReasonShare]
    median_text_chars: float | None
    median_text_chars_baseline: float | None
    last_run_at: datetime | None
    last_run_status: str | None
    last_ok_run_at: datetime | None
    last_article_at: datetime | None
    failed_runs_in_row: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is HealthStatus.OK

    @property
    def counts(self) -> bool:
        """False for a source the seeds no longer name: it is not crawled any more, so its
        silence is expected and does not fail ``akhbar health``."""
        return self.in_seeds is not False


def source_health(
    engine: Engine,
    settings: HealthSettings,
    *,
    sources: Sequence[str] = (),
    seeds: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """The health of each source, sorted by name: those of ``sources``, or else every source
    of the seeds (``seeds``: the valid sources of the seeds directory, when it was read) and of
    the database. A seeds source without a run is ``never run``; a database source the seeds
    no longer name is judged too, with ``in_seeds`` false (see :attr:`SourceHealth.counts`).
    """
    now = now or utcnow()
    known = set(source_names(engine))
    if sources:
        check_known(sources, known | set(seeds or ()), where="in the seeds or the database")
        names = list(dict.fromkeys(sources))
    else:
        names = sorted(known | set(seeds or ()))
    activity = _read(engine, settings, now)
    return sorted(
        (
            judge(
                activity.get(name) or SourceActivity(name),
                settings,
                now,
                in_seeds=None if seeds is None else name in seeds,
            )
            for name in names
        ),
        key=lambda h: h.source,
    )


def health_report(
    engine: Engine, settings: AkhbarSettings, sources: Sequence[str] = ()
) -> list[SourceHealth]:
    """:func:`source_health` with the sources of the configured seeds directory (if there is
    one): what ``akhbar health`` reports, for callers such as a metrics exporter."""
    seeds = None
    if settings.seeds_dir.is_dir():
        seeds = [source.name for source in load_seeds(settings.seeds_dir).sources]
    return source_health(engine, settings.health, sources=sources, seeds=seeds)


def all_ok(report: Sequence[SourceHealth]) -> bool:
    """True when every source that counts is ``ok`` (the exit status of ``akhbar health``)."""
    return all(h.ok for h in report if h.counts)


def _read(engine: Engine, settings: HealthSettings, now: datetime) -> dict[str, SourceActivity]:
    day = timedelta(days=1)
    recent_start = now - settings.recent_days * day
    return read_activity(
        engine,
        now,
        settings.recent_days + settings.baseline_days,
        text_windows={
            "recent": Window(recent_start, now),
            "base": Window(recent_start - settings.baseline_days * day, recent_start),
        },
        recent=Window(recent_start, now),
    )


def _merged(*parts: PageCounts | None) -> PageCounts:
    merged = PageCounts()
    for part in parts:
        if part is None:
            continue
        for (outcome, key), first in part.first_seen.items():
            merged.add(outcome, key, 0, first)
        for outcome, n in part.by_outcome.items():
            merged.total += n
            merged.by_outcome[outcome] = merged.by_outcome.get(outcome, 0) + n
        for key, n in part.rejected_by_reason.items():
            merged.rejected_by_reason[key] = merged.rejected_by_reason.get(key, 0) + n
        for key, n in part.failed_by_reason.items():
            merged.failed_by_reason[key] = merged.failed_by_reason.get(key, 0) + n
    return merged


def _share(counts: PageCounts, outcome: PageOutcome, min_pages: int = 1) -> float | None:
    if counts.total < min_pages or counts.total == 0:
        return None
    return counts.by_outcome.get(outcome.value, 0) / counts.total


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _reasons(outcome: PageOutcome, counts: PageCounts) -> dict[str, int]:
    if outcome is PageOutcome.REJECTED:
        return counts.rejected_by_reason
    return counts.failed_by_reason


def _top(
    outcome: PageOutcome, recent: PageCounts, base: PageCounts, limit: int = 5
) -> list[ReasonShare]:
    """The reasons of the recent window, most pages first, then the baseline's reasons that
    vanished (a reason's share falling is drift too)."""
    reasons = _reasons(outcome, recent)
    base_reasons = _reasons(outcome, base)
    keys = sorted(reasons, key=lambda k: (-reasons[k], k))[:limit]
    keys += sorted(
        (k for k in base_reasons if k not in reasons), key=lambda k: (-base_reasons[k], k)
    )[: max(0, limit - len(keys))]
    return [
        ReasonShare(
            reason=key,
            pages=reasons.get(key, 0),
            share=reasons.get(key, 0) / recent.total if recent.total else 0.0,
            baseline_share=base_reasons.get(key, 0) / base.total if base.total else None,
        )
        for key in keys
    ]


def _since(
    per_day: dict[int, PageCounts],
    share: Callable[[PageCounts], float],
    threshold: float,
    key: tuple[str, str],
) -> datetime | None:
    """When the latest run of days with ``share`` at or above ``threshold`` began: the first
    such page of its earliest day (days without pages do not break the run)."""
    start = None
    for index in sorted(per_day):
        counts = per_day[index]
        if not counts.total:
            continue
        if share(counts) < threshold:
            break
        start = counts.first_seen.get(key, start)
    return start


def _rate_finding(
    outcome: PageOutcome,
    windows: list[tuple[str, PageCounts]],
    base: PageCounts,
    per_day: dict[int, PageCounts],
    settings: HealthSettings,
) -> Finding | None:
    """Broken or degraded when most recent pages were rejected (or failed), above baseline."""
    base_rate = _share(base, outcome, settings.min_pages)
    for label, counts in windows:
        rate = _share(counts, outcome, settings.min_pages)
        if rate is None:
            continue
        above = base_rate is None or rate >= base_rate + settings.min_increase
        if not above or rate < settings.degraded_rate:
            continue
        status = HealthStatus.BROKEN if rate >= settings.broken_rate else HealthStatus.DEGRADED
        reasons = _reasons(outcome, counts)
        top, top_n = max(reasons.items(), key=lambda kv: (kv[1], kv[0]))
        verb = "rejected as" if outcome is PageOutcome.REJECTED else "failed with"
        has_base = base.total >= settings.min_pages
        one = top_n >= 0.8 * sum(reasons.values())  # one reason says it all
        if one:
            what = f"{_pct(top_n / counts.total)} of pages {verb} {top}"
            before = _reasons(outcome, base).get(top, 0) / base.total if has_base else 0.0
        else:
            parts = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            listed = ", ".join(f"{k} {_pct(n / counts.total)}" for k, n in parts)
            what = f"{_pct(rate)} of pages {verb.split()[0]} ({listed})"
            before = base_rate or 0.0

        def share(c: PageCounts, top: str = top, one: bool = one) -> float:
            n = _reasons(outcome, c).get(top, 0) if one else c.by_outcome.get(outcome.value, 0)
            return n / c.total

        first = _since(per_day, share, settings.degraded_rate, (outcome.value, top))
        since = f" since {first:%Y-%m-%d}" if first else ""
        compared = f"before: {_pct(before)}" if has_base else "no baseline to compare"
        return Finding(status, f"{what}{since} ({label}); {compared}")
    return None


def _reason_drift(
    recent: PageCounts,
    base: PageCounts,
    per_day: dict[int, PageCounts],
    label: str,
    settings: HealthSettings,
) -> Finding | None:
    """Degraded when one rejection reason's share grew a lot, even if the total did not."""
    if recent.total < settings.min_pages or base.total < settings.min_pages:
        return None
    grown = []
    for key, n in recent.rejected_by_reason.items():
        now_share = n / recent.total
        before = base.rejected_by_reason.get(key, 0) / base.total
        if now_share - before >= settings.reason_increase:
            grown.append((now_share - before, key, now_share, before))
    if not grown:
        return None
    _, key, now_share, before = max(grown)

    def share(c: PageCounts) -> float:
        return c.rejected_by_reason.get(key, 0) / c.total

    first = _since(
        per_day, share, before + settings.reason_increase, (PageOutcome.REJECTED.value, key)
    )
    since = f" since {first:%Y-%m-%d}" if first else ""
    return Finding(
        HealthStatus.DEGRADED,
        f"{_pct(now_share)} of pages rejected as {key}{since} ({label}); before: {_pct(before)}",
    )


def _failed_streak(runs: list[RunRow]) -> list[RunRow]:
    """The failed runs since the last successful one, newest first (interrupted runs, stopped
    by a shutdown or a time limit, say nothing about the source and are skipped)."""
    streak = []
    for run in runs:
        if run.status == "interrupted":
            continue
        if run.status != "failed":
            break
        streak.append(run)
    return streak


def _empty_ok_runs(runs: list[RunRow]) -> list[RunRow]:
    """The latest successful runs in a row that fetched nothing."""
    streak = []
    for run in runs:
        if run.status == "interrupted":
            continue
        if run.status != "ok" or run.fetched:
            break
        streak.append(run)
    return streak


def _first_line(text: str | None) -> str:
    line = next((x.strip() for x in (text or "").splitlines() if x.strip()), "no error recorded")
    return line if len(line) <= 120 else line[:119] + "…"


def _run_findings(activity: SourceActivity, settings: HealthSettings) -> list[Finding]:
    failed = _failed_streak(activity.latest_runs)
    if not failed:
        return []
    latest = failed[0]
    cause = f"latest {_when(latest.started_at)}: {_first_line(latest.error)}"
    if activity.last_ok_run_at is None:
        return [
            Finding(
                HealthStatus.BROKEN,
                f"every run failed, {len(failed)} so far ({cause}); never a successful run",
            )
        ]
    last_ok = f"last successful run {_when(activity.last_ok_run_at)}"
    if len(failed) >= settings.failed_runs:
        return [
            Finding(HealthStatus.BROKEN, f"last {len(failed)} runs failed ({cause}); {last_ok}")
        ]
    return [Finding(HealthStatus.DEGRADED, f"last run failed ({cause}); {last_ok}")]


def _baseline_days(activity: SourceActivity, settings: HealthSettings, now: datetime) -> list[int]:
    """The article counts of the baseline's whole days since the source's first run."""
    if activity.first_run_at is None:
        return []
    counts = activity.articles_per_day or [0] * (settings.recent_days + settings.baseline_days)
    days = []
    for i in range(settings.recent_days, settings.recent_days + settings.baseline_days):
        if now - timedelta(days=i + 1) >= activity.first_run_at:
            days.append(counts[i])
    return days


def _quiet_findings(
    activity: SourceActivity,
    settings: HealthSettings,
    now: datetime,
    median_day: float | None,
    articles_24h: int,
    articles_recent: int,
) -> list[Finding]:
    findings = []
    empty = _empty_ok_runs(activity.latest_runs)
    hint = ""
    if len(empty) >= 2:
        more = "+" if len(empty) == len(activity.latest_runs) else ""
        hint = (
            f"; the last {len(empty)}{more} runs succeeded but fetched no page since "
            f"{_when(empty[-1].started_at)} (a moved feed or sitemap?)"
        )
    failing = bool(_failed_streak(activity.latest_runs))  # said by the run rules already
    if settings.max_run_age_hours > 0 and not failing:  # the cause first: no run at all
        limit = now - timedelta(hours=settings.max_run_age_hours)
        if activity.last_ok_run_at is not None and activity.last_ok_run_at < limit:
            findings.append(
                Finding(
                    HealthStatus.QUIET,
                    f"no successful run since {_when(activity.last_ok_run_at)} "
                    f"(over {settings.max_run_age_hours:g} h; is the scheduler running?)",
                )
            )
        elif (
            activity.last_ok_run_at is None
            and activity.first_run_at is not None
            and activity.first_run_at < limit
        ):
            findings.append(Finding(HealthStatus.QUIET, "no run has succeeded yet"))
    if median_day is not None:
        usually = f"usually {median_day:g} a day"
        expected = median_day * settings.recent_days
        if articles_24h == 0 and median_day >= settings.quiet_day_median and median_day > 0:
            findings.append(
                Finding(HealthStatus.QUIET, f"no new article in the last 24 h; {usually}{hint}")
            )
        elif (
            expected >= settings.quiet_min_expected
            and expected > 0
            and articles_recent < settings.quiet_ratio * expected
        ):
            findings.append(
                Finding(
                    HealthStatus.QUIET,
                    f"{articles_recent} new articles in the last {settings.recent_days} days; "
                    f"{usually}{hint}",
                )
            )
    return findings


def _text_drift(
    activity: SourceActivity,
    settings: HealthSettings,
    articles_recent: int,
    articles_base: int,
) -> Finding | None:
    now_chars = activity.median_text_chars.get("recent")
    base_chars = activity.median_text_chars.get("base")
    if now_chars is None or not base_chars or articles_base < settings.min_articles:
        return None
    if articles_recent < settings.min_articles:
        return None
    ratio = now_chars / base_chars
    if 1 / settings.text_change < ratio < settings.text_change:
        return None
    return Finding(
        HealthStatus.DEGRADED,
        f"median article text {now_chars:,.0f} characters in the last {settings.recent_days} "
        f"days; before: {base_chars:,.0f} (extraction drift?)",
    )


def judge(
    activity: SourceActivity, settings: HealthSettings, now: datetime, in_seeds: bool | None
) -> SourceHealth:
    """The verdict on one source from its activity (pure: no database access)."""
    per_day_pages = activity.pages_per_day
    day_pages = per_day_pages.get(0) or PageCounts()
    recent = _merged(*(per_day_pages.get(i) for i in range(settings.recent_days)))
    base = _merged(
        *(
            per_day_pages.get(i)
            for i in range(settings.recent_days, settings.recent_days + settings.baseline_days)
        )
    )
    per_day = activity.articles_per_day or [0] * (settings.recent_days + settings.baseline_days)
    articles_24h = per_day[0]
    articles_recent = sum(per_day[: settings.recent_days])
    base_days = _baseline_days(activity, settings, now)
    min_days = min(7, settings.baseline_days)
    median_day = float(statistics.median(base_days)) if len(base_days) >= min_days else None
    notes: list[str] = []
    if activity.first_run_at is not None and median_day is None:
        notes.append(
            f"no baseline yet: first run {_when(activity.first_run_at)} "
            f"(a baseline needs {min_days} whole days before the last {settings.recent_days})"
        )
    if in_seeds is False:
        notes.append("not in the seeds any more: not crawled, left out of the exit status")
    if activity.withdrawn_recent:
        notes.append(
            f"{activity.withdrawn_recent} of the articles stored in the last "
            f"{settings.recent_days} days are withdrawn"
        )
    recent_label = f"last {settings.recent_days} days"
    windows = [("last 24 h", day_pages), (recent_label, recent)]

    findings: list[Finding] = []
    if activity.first_run_at is None:
        findings.append(Finding(HealthStatus.NEVER_RUN, "no crawl or backfill run yet"))
    else:
        findings += _run_findings(activity, settings)
        for outcome in (PageOutcome.ERROR, PageOutcome.REJECTED):
            finding = _rate_finding(outcome, windows, base, per_day_pages, settings)
            if finding is not None:
                findings.append(finding)
            elif outcome is PageOutcome.REJECTED:
                drift = _reason_drift(recent, base, per_day_pages, recent_label, settings)
                if drift is not None:
                    findings.append(drift)
        drift = _text_drift(activity, settings, articles_recent, sum(base_days))
        if drift is not None:
            findings.append(drift)
        findings += _quiet_findings(
            activity, settings, now, median_day, articles_24h, articles_recent
        )
    findings.sort(key=lambda f: -_SEVERITY[f.status])
    if findings:
        status, reason = findings[0].status, findings[0].reason
    else:
        status = HealthStatus.OK
        usually = f"; usually {median_day:g} a day" if median_day is not None else ""
        reason = (
            f"{articles_24h} new articles in the last 24 h, {articles_recent} in the last "
            f"{settings.recent_days} days{usually}"
        )
    last = activity.last_run
    return SourceHealth(
        source=activity.source,
        status=status,
        reason=reason,
        findings=findings,
        in_seeds=in_seeds,
        articles_24h=articles_24h,
        articles_recent=articles_recent,
        recent_days=settings.recent_days,
        baseline_median_day=median_day,
        baseline_days=len(base_days),
        withdrawn_recent=activity.withdrawn_recent,
        pages_recent=recent.total,
        rejection_rate=_share(recent, PageOutcome.REJECTED),
        rejection_rate_baseline=_share(base, PageOutcome.REJECTED),
        failure_rate=_share(recent, PageOutcome.ERROR),
        failure_rate_baseline=_share(base, PageOutcome.ERROR),
        top_rejections=_top(PageOutcome.REJECTED, recent, base),
        top_failures=_top(PageOutcome.ERROR, recent, base),
        median_text_chars=activity.median_text_chars.get("recent"),
        median_text_chars_baseline=activity.median_text_chars.get("base"),
        last_run_at=last.started_at if last else None,
        last_run_status=last.status if last else None,
        last_ok_run_at=activity.last_ok_run_at,
        last_article_at=activity.last_article_at,
        failed_runs_in_row=len(_failed_streak(activity.latest_runs)),
        notes=notes,
    )
