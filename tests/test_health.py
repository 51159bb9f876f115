"""``akhbar health`` on histories written into real databases (SQLite and PostgreSQL): each
status, the sentence saying why, and the CLI's exit status and JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, insert

from akhbar.cli import cli
from akhbar.health import (
    HealthStatus,
    SourceHealth,
    UnknownSource,
    all_ok,
    health_report,
    source_health,
)
from akhbar.settings import HealthSettings, load_settings
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import ARTICLE_WITHDRAWN, Article, CrawlRun, Page

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SETTINGS = HealthSettings()


class History:
    """Writes a source's past into the database: runs, pages and articles at chosen times.

    Day ``d`` is ``d`` days and two hours before ``now``: day 0 is within the last 24 h."""

    def __init__(self, engine: Engine, now: datetime = NOW) -> None:
        self.engine = engine
        self.now = now
        self.repo = Repository(engine)
        self.serial = 0

    def at(self, day: int) -> datetime:
        return self.now - timedelta(days=day, hours=2)

    def source(self, name: str) -> None:
        self.repo.sync_source(name, f"http://{name}.test/", ["ar"])

    def run(
        self,
        name: str,
        day: int,
        status: str = "ok",
        counters: dict[str, int] | None = None,
        error: str | None = None,
    ) -> int:
        started = self.at(day)
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(CrawlRun).values(
                    source=name,
                    kind="scheduled",
                    status=status,
                    started_at=started,
                    finished_at=started + timedelta(minutes=5),
                    heartbeat_at=started + timedelta(minutes=5),
                    error=error,
                    **(counters or {}),
                )
            )
            run_id = result.inserted_primary_key[0]
        assert isinstance(run_id, int)
        return run_id

    def day(
        self,
        name: str,
        day: int,
        articles: int = 10,
        rejected: dict[str, int] | None = None,
        failed: dict[str, int] | None = None,
        text_chars: int = 1500,
        withdrawn: int = 0,
    ) -> None:
        """One successful run on ``day`` that stored these pages and articles."""
        rejected = {"not_article": 2} if rejected is None else rejected
        failed = failed or {}
        n_rejected, n_failed = sum(rejected.values()), sum(failed.values())
        run_id = self.run(
            name,
            day,
            counters={
                "fetched": articles + n_rejected + n_failed,
                "new": articles,
                "rejected": n_rejected,
                "failed": n_failed,
            },
        )
        when = self.at(day)
        article_rows, page_rows = [], []
        for i in range(articles):
            self.serial += 1
            url = f"http://{name}.test/a/{self.serial}"
            article_rows.append(
                {
                    "source": name,
                    "url": url,
                    "canonical_url": url,
                    "title": f"خبر {self.serial}",
                    "text": "ن" * text_chars,
                    "text_hash": hashlib.sha256(url.encode()).hexdigest(),
                    "minhash": b"\0" * 16,
                    "created_at": when,
                    "crawl_run_id": run_id,
                    "status": ARTICLE_WITHDRAWN if i < withdrawn else "active",
                }
            )
            page_rows.append(self._page(name, url, when, "article", None, run_id))
        for outcome, reasons in (("rejected", rejected), ("error", failed)):
            for reason, n in reasons.items():
                for _ in range(n):
                    self.serial += 1
                    url = f"http://{name}.test/p/{self.serial}"
                    detail = f"{reason}: page {self.serial}" if outcome == "rejected" else reason
                    page_rows.append(self._page(name, url, when, outcome, detail, run_id))
        with self.engine.begin() as conn:
            if article_rows:
                conn.execute(insert(Article), article_rows)
            if page_rows:
                conn.execute(insert(Page), page_rows)

    @staticmethod
    def _page(
        name: str, url: str, when: datetime, outcome: str, reason: str | None, run_id: int
    ) -> dict[str, Any]:
        return {
            "source": name,
            "url": url,
            "outcome": outcome,
            "reason": reason,
            "first_fetched_at": when,
            "last_fetched_at": when,
            "crawl_run_id": run_id,
        }

    def normal(self, name: str, days: range, **kwargs: Any) -> None:
        """A usual day on each of ``days``, oldest first (ids grow with time, as in a crawl)."""
        for day in sorted(days, reverse=True):
            self.day(name, day, **kwargs)


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def history(engine: Engine) -> History:
    return History(engine)


def health_of(engine: Engine, name: str, **kwargs: Any) -> SourceHealth:
    (report,) = source_health(engine, SETTINGS, sources=[name], now=NOW, **kwargs)
    return report


def test_a_steady_source_is_ok_against_its_own_baseline(engine: Engine, history: History) -> None:
    history.source("steady")
    history.normal("steady", range(36))  # the first run before the 35 days judged
    h = health_of(engine, "steady")
    assert h.status is HealthStatus.OK
    assert h.reason == "10 new articles in the last 24 h, 70 in the last 7 days; usually 10 a day"
    assert (h.articles_24h, h.articles_recent, h.baseline_median_day) == (10, 70, 10.0)
    assert h.baseline_days == 28 and h.pages_recent == 84
    assert h.rejection_rate == pytest.approx(2 / 12)
    assert h.rejection_rate_baseline == pytest.approx(2 / 12)
    assert h.failure_rate == 0.0
    assert [(r.reason, r.pages) for r in h.top_rejections] == [("not_article", 14)]
    assert h.median_text_chars == h.median_text_chars_baseline == 1500
    assert h.last_run_status == "ok"
    assert h.last_ok_run_at == history.at(0) + timedelta(minutes=5)
    assert h.last_article_at == history.at(0)
    assert h.findings == [] and all_ok([h])


def test_a_redesign_rejecting_every_page_is_broken(engine: Engine, history: History) -> None:
    history.source("redesigned")
    history.normal("redesigned", range(3, 35))
    for day in (2, 1, 0):  # runs succeed, every page is now a "not_article"
        history.day("redesigned", day, articles=0, rejected={"not_article": 12})
    h = health_of(engine, "redesigned")
    assert h.status is HealthStatus.BROKEN
    assert h.reason == (
        "100% of pages rejected as not_article since 2026-03-08 (last 24 h); before: 17%"
    )
    # the missing articles are said too
    assert [f.status for f in h.findings] == [HealthStatus.BROKEN, HealthStatus.QUIET]
    assert h.findings[1].reason == "no new article in the last 24 h; usually 10 a day"
    assert h.top_rejections[0].reason == "not_article"
    assert h.top_rejections[0].baseline_share == pytest.approx(2 / 12)
    assert not all_ok([h])


def test_runs_failing_on_the_network_are_broken_then_degraded(
    engine: Engine, history: History
) -> None:
    history.source("down")
    history.normal("down", range(3, 35))
    for day in (2, 1, 0):
        history.run("down", day, "failed", error="network: connection_refused\ndetails")
    h = health_of(engine, "down")
    assert h.status is HealthStatus.BROKEN
    assert h.reason == (
        "last 3 runs failed (latest 2026-03-10 10:00 UTC: network: connection_refused); "
        "last successful run 2026-03-07 10:05 UTC"
    )
    assert h.failed_runs_in_row == 3 and h.last_run_status == "failed"

    history.source("flaky")
    history.normal("flaky", range(1, 35))
    history.run("flaky", 0, "interrupted", error="shutdown")  # says nothing about the source
    history.run("flaky", 0, "failed", error="http_503 on the sitemap")
    h = health_of(engine, "flaky")
    assert h.status is HealthStatus.DEGRADED
    assert h.reason.startswith("last run failed (latest 2026-03-10 10:00 UTC: http_503 on")


def test_a_source_that_never_succeeded_is_broken(engine: Engine, history: History) -> None:
    history.source("newborn")
    history.run("newborn", 0, "failed", error="dns: no such host")
    h = health_of(engine, "newborn")
    assert h.status is HealthStatus.BROKEN
    assert h.reason == (
        "every run failed, 1 so far (latest 2026-03-10 10:00 UTC: dns: no such host); "
        "never a successful run"
    )


def test_a_site_blocking_the_crawler_is_broken(engine: Engine, history: History) -> None:
    history.source("blocked")
    history.normal("blocked", range(2, 35))
    for day in (1, 0):
        history.day("blocked", day, articles=0, rejected={}, failed={"http_403": 12})
    h = health_of(engine, "blocked")
    assert h.status is HealthStatus.BROKEN
    assert h.reason == "100% of pages failed with http_403 since 2026-03-09 (last 24 h); before: 0%"
    assert [(r.reason, r.pages) for r in h.top_failures] == [("http_403", 24)]
    assert h.failure_rate == pytest.approx(24 / (24 + 5 * 12))


def test_a_moved_feed_is_quiet(engine: Engine, history: History) -> None:
    history.source("moved")
    history.normal("moved", range(3, 35))
    for day in (2, 1, 0):  # runs succeed and find nothing new
        history.run("moved", day)
    h = health_of(engine, "moved")
    assert h.status is HealthStatus.QUIET
    assert h.reason == (
        "no new article in the last 24 h; usually 10 a day; the last 3 runs succeeded but "
        "fetched no page since 2026-03-08 10:00 UTC (a moved feed or sitemap?)"
    )
    assert h.articles_recent == 40


def test_a_slow_weekly_shortfall_is_quiet(engine: Engine, history: History) -> None:
    history.source("slow")
    history.normal("slow", range(7, 35), articles=2, rejected={})
    history.day("slow", 0, articles=1, rejected={})  # one story this week: usually 14
    h = health_of(engine, "slow")
    assert h.status is HealthStatus.QUIET
    assert h.reason == "1 new articles in the last 7 days; usually 2 a day"


def test_a_source_with_few_pages_is_not_judged_on_noise(engine: Engine, history: History) -> None:
    history.source("weekly")
    for day in range(33, 0, -2):  # one story every other day
        history.day("weekly", day, articles=1, rejected={})
    history.day("weekly", 0, articles=0, rejected={"too_short": 1})  # one page, rejected
    h = health_of(engine, "weekly")
    assert h.status is HealthStatus.OK, h.findings
    assert h.baseline_median_day == 0.5
    assert h.rejection_rate == pytest.approx(1 / 4)


def test_extraction_drift_in_text_length_is_degraded(engine: Engine, history: History) -> None:
    history.source("drifting")
    history.normal("drifting", range(7, 35))
    history.normal("drifting", range(7), text_chars=300)  # the cleaner now keeps a teaser
    h = health_of(engine, "drifting")
    assert h.status is HealthStatus.DEGRADED
    assert h.reason == (
        "median article text 300 characters in the last 7 days; before: 1,500 (extraction drift?)"
    )
    assert (h.median_text_chars, h.median_text_chars_baseline) == (300, 1500)


def test_a_growing_rejection_reason_is_degraded(engine: Engine, history: History) -> None:
    history.source("shifting")
    history.normal("shifting", range(7, 35))
    # the total rejection rate barely moves, but too_short replaced not_article
    history.normal("shifting", range(7), articles=8, rejected={"too_short": 4})
    h = health_of(engine, "shifting")
    assert h.status is HealthStatus.DEGRADED
    assert h.reason == (
        "33% of pages rejected as too_short since 2026-03-04 (last 7 days); before: 0%"
    )
    # both reasons, now and before: the one that vanished too
    assert [(r.reason, r.pages, r.share, r.baseline_share) for r in h.top_rejections] == [
        ("too_short", 28, pytest.approx(1 / 3), 0.0),
        ("not_article", 0, 0.0, pytest.approx(2 / 12)),
    ]


def test_many_pages_rejected_for_several_reasons_is_degraded(
    engine: Engine, history: History
) -> None:
    history.source("mixed")
    history.normal("mixed", range(7, 35))
    history.normal("mixed", range(7), articles=3, rejected={"not_article": 4, "too_short": 3})
    h = health_of(engine, "mixed")
    assert h.status is HealthStatus.DEGRADED
    assert h.reason == (
        "70% of pages rejected (not_article 40%, too_short 30%) since 2026-03-04 (last 24 h); "
        "before: 17%"
    )
    assert [f.status for f in h.findings] == [HealthStatus.DEGRADED]


def test_only_interrupted_runs_for_days_is_quiet(engine: Engine, history: History) -> None:
    history.source("stopped")
    for day in (4, 3):
        history.run("stopped", day, "interrupted", error="run time limit")
    h = health_of(engine, "stopped")
    assert h.status is HealthStatus.QUIET
    assert h.reason == "no run has succeeded yet"
    assert h.last_run_status == "interrupted" and h.failed_runs_in_row == 0


def test_a_high_but_usual_rejection_rate_is_ok(engine: Engine, history: History) -> None:
    history.source("listings")  # a feed that always lists section pages
    history.normal("listings", range(35), articles=2, rejected={"not_article": 20})
    h = health_of(engine, "listings")
    assert h.status is HealthStatus.OK, h.findings
    assert h.rejection_rate == pytest.approx(20 / 22)


def test_never_run_retired_and_new_sources(engine: Engine, history: History) -> None:
    history.source("retired")
    history.normal("retired", range(20, 35))
    history.source("fresh")
    history.normal("fresh", range(2), withdrawn=3)
    report = source_health(engine, SETTINGS, seeds=["fresh", "planned"], now=NOW)
    by_name = {h.source: h for h in report}
    assert list(by_name) == ["fresh", "planned", "retired"]
    planned = by_name["planned"]
    assert planned.status is HealthStatus.NEVER_RUN and planned.in_seeds is True
    assert planned.reason == "no crawl or backfill run yet"
    fresh = by_name["fresh"]
    assert fresh.status is HealthStatus.OK and fresh.baseline_median_day is None
    assert fresh.notes == [
        "no baseline yet: first run 2026-03-09 10:00 UTC (a baseline needs 7 whole days "
        "before the last 7)",
        "6 of the articles stored in the last 7 days are withdrawn",
    ]
    assert fresh.articles_recent == 20  # withdrawn later, still stored by the crawl
    retired = by_name["retired"]
    assert retired.in_seeds is False and retired.status is HealthStatus.QUIET
    assert retired.reason.startswith("no successful run since 2026-02-18 10:05 UTC")
    assert not retired.counts
    # the retired source does not fail the check; the one never run does
    assert not all_ok(report)
    assert all_ok([fresh, retired])
    with pytest.raises(UnknownSource, match=r"source\(s\): nosuch \(known in .*: fresh, retired\)"):
        source_health(engine, SETTINGS, sources=["nosuch"], seeds=["fresh"], now=NOW)


def test_thresholds_come_from_the_settings(engine: Engine, history: History) -> None:
    history.source("tuned")
    history.normal("tuned", range(3, 35))
    for day in (2, 1, 0):
        history.run("tuned", day)
    strict = HealthSettings(quiet_day_median=20, quiet_min_expected=100)
    (h,) = source_health(engine, strict, sources=["tuned"], now=NOW)
    assert h.status is HealthStatus.OK  # 10 a day is below what these settings watch


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_exit_status_and_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    engine = make_engine(url)
    upgrade(engine)
    history = History(engine, now=datetime.now(UTC))
    history.source("steady")
    history.normal("steady", range(35))
    history.source("down")
    history.normal("down", range(3, 35))
    for day in (2, 1, 0):
        history.run("down", day, "failed", error="network: timeout")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("steady", "down", "planned"):
        (seeds / f"{name}.toml").write_text(
            f'name = "{name}"\nhome_url = "http://{name}.test/"\nlanguage = "ar"\n'
            f'feeds = ["http://{name}.test/feed.xml"]\n',
            encoding="utf-8",
        )
    base = ("--db", url, "--seeds", str(seeds), "health")

    result = run_cli(*base, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(h["source"], h["status"]) for h in report] == [
        ("down", "broken"),
        ("planned", "never run"),
        ("steady", "ok"),
    ]
    assert report[0]["reason"].startswith("last 3 runs failed (latest ")
    assert report[2]["top_rejections"] == [
        {"reason": "not_article", "pages": 14, "share": 2 / 12, "baseline_share": 2 / 12}
    ]
    assert report[2]["in_seeds"] is True and report[2]["baseline_median_day"] == 10.0

    result = run_cli(*base, "steady")
    assert result.exit_code == 0, result.output
    assert "steady" in result.output and "ok" in result.output
    assert "usually 10 a day" in result.output

    result = run_cli(*base, "down")
    assert result.exit_code == 1 and "broken" in result.output

    result = run_cli(*base, "nosuch")
    assert result.exit_code == 1 and "unknown or invalid source(s): nosuch (known" in result.output

    # the same report for programs (the metrics exporter)
    settings = load_settings(database_url=url, seeds_dir=seeds)
    assert [(h.source, h.status) for h in health_report(engine, settings)] == [
        ("down", HealthStatus.BROKEN),
        ("planned", HealthStatus.NEVER_RUN),
        ("steady", HealthStatus.OK),
    ]

    # without a seeds directory the database alone says which sources there are
    result = run_cli("--db", url, "--seeds", str(tmp_path / "none"), "health", "--json")
    assert [h["source"] for h in json.loads(result.stdout)] == ["down", "steady"]


def test_cli_refuses_a_missing_database(tmp_path: Path) -> None:
    result = run_cli("--db", f"sqlite:///{tmp_path / 'none.db'}", "health")
    assert result.exit_code == 1 and "no database at" in result.output
