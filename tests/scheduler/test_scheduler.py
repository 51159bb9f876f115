"""``akhbar schedule`` and the run lease, with real processes on the local news web.

Short schedules ("every 5s") and bounded waits; every assertion is read from ``crawl_runs``,
``apscheduler_jobs`` and the scheduler's own log. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text

from akhbar.cli import cli
from akhbar.health import health_report
from akhbar.settings import AkhbarSettings as Settings
from akhbar.storage import Repository, make_engine
from akhbar.storage.models import Article, CrawlRun, Page
from akhbar.storage.runs import start_run

pytestmark = pytest.mark.e2e


def write_seeds(local_web: Any, directory: Path, **per_source: tuple[str, float]) -> Path:
    """Seeds for the named local sites only: name=(schedule, download_delay)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.toml"):
        old.unlink()
    local_web.write_seeds(directory)
    for path in directory.glob("*.toml"):
        if path.stem not in per_source:
            path.unlink()
            continue
        schedule, delay = per_source[path.stem]
        body = path.read_text(encoding="utf-8")
        body = re.sub(r'schedule = ".*"', f'schedule = "{schedule}"', body)
        body = body.replace("download_delay = 0.0", f"download_delay = {delay}")
        path.write_text(body, encoding="utf-8")
    return directory


def akhbar(db_url: str, seeds: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds), *args]


def env(**scheduler: object) -> dict[str, str]:
    values = {**os.environ, "AKHBAR_CRAWL__BATCH_SIZE": "1"}
    values.update({f"AKHBAR_SCHEDULER__{k.upper()}": str(v) for k, v in scheduler.items()})
    return values


def runs(engine: Engine) -> list[CrawlRun]:
    try:
        with Repository(engine).sessions() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    except Exception:  # the first process has not created the schema yet
        return []


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def jobs(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    return {str(job_id): float(when) for job_id, when in rows}


def stop(proc: subprocess.Popen[str], log: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]
    return log.read_text()


def assert_no_overlap(rows: list[CrawlRun]) -> None:
    spans = sorted((r.started_at, r.finished_at or datetime.max.replace(tzinfo=UTC)) for r in rows)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, f"overlapping runs: {spans}"


def test_schedule_lifecycle_sigterm_restart_and_coalesced_misfires(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    seeds = write_seeds(
        local_web, tmp_path / "seeds", wahanews=("every 5s", 0.0), sahilgate=("every 5s", 0.5)
    )
    log1 = tmp_path / "session1.log"
    cmd = akhbar(db_url, seeds, "schedule")
    settings = {"shutdown_grace": 0.5, "kill_after": 5}

    # session 1: both sources run at once; SIGTERM while sahilgate's crawl is still going
    with log1.open("w") as out:
        proc = subprocess.Popen(cmd, env=env(**settings), stderr=out, text=True)
    try:

        def wahanews_done_sahilgate_running() -> bool:
            rows = runs(engine)
            return any(r.source == "wahanews" and r.status == "ok" for r in rows) and any(
                r.source == "sahilgate" and r.status == "running" for r in rows
            )

        wait_for(wahanews_done_sahilgate_running, 30, "a finished and a running crawl")
    finally:
        output = stop(proc, log1)
    rows = runs(engine)
    assert not [r for r in rows if r.status == "running"], output[-3000:]
    (cut,) = [r for r in rows if r.source == "sahilgate"]
    assert cut.status == "interrupted" and cut.kind == "scheduled"
    assert "grace period over" in (cut.error or ""), cut.error
    assert set(jobs(engine)) == {"crawl:wahanews", "crawl:sahilgate"}

    # downtime: at least two fire times of wahanews pass while the scheduler is down
    missed_until = jobs(engine)["crawl:wahanews"] + 5 + 0.3
    time.sleep(max(0.0, missed_until - time.time()))

    # seeds edited: sahilgate gone, najmagency new, wahanews unchanged; one slot only
    write_seeds(local_web, seeds, wahanews=("every 5s", 0.0), najmagency=("every 1h", 0.0))
    log2 = tmp_path / "session2.log"
    with log2.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env(max_concurrent_runs=1, **settings), stderr=out, text=True
        )
    try:
        first_id = rows[-1].id

        def both_ran() -> bool:
            done = {r.source for r in runs(engine) if r.id > first_id and r.status == "ok"}
            return done == {"wahanews", "najmagency"}

        wait_for(both_ran, 40, "a run of wahanews and of najmagency")
    finally:
        output = stop(proc, log2)
    assert set(jobs(engine)) == {"crawl:wahanews", "crawl:najmagency"}, "one job per source"
    assert re.search(r"wahanews: [2-9] run time\(s\) missed .* coalesced into one run", output)
    assert output.count("wahanews: scheduled crawl started") == 1, output[-3000:]
    session2 = [r for r in runs(engine) if r.id > first_id]
    assert {r.status for r in session2} == {"ok"}
    assert_no_overlap(session2)  # max_concurrent_runs=1
    for source in ("wahanews", "sahilgate", "najmagency"):
        assert_no_overlap([r for r in runs(engine) if r.source == source])
    engine.dispose()

    # what an operator sees
    base = ["--db", db_url, "--seeds", str(seeds)]
    listing = CliRunner().invoke(cli, [*base, "schedule", "--list", "--json"])
    assert listing.exit_code == 0, listing.output
    entries = {e["source"]: e for e in json.loads(listing.stdout)}
    assert set(entries) == {"wahanews", "najmagency"}
    assert all(e["state"] == "scheduled" and e["next_run_at"] for e in entries.values())
    shown = CliRunner().invoke(cli, [*base, "runs", "wahanews", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [r["status"] for r in json.loads(shown.stdout)] == ["ok", "ok"]


def test_killed_crawl_is_reaped_and_lease_refuses_a_second_run(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    seeds = write_seeds(
        local_web, tmp_path / "seeds", wahanews=("every 1h", 0.4), sahilgate=("every 1h", 0.0)
    )
    engine = make_engine(db_url)
    repo = Repository(engine)
    victim = subprocess.Popen(
        akhbar(db_url, seeds, "crawl", "wahanews"),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def some_pages() -> bool:
        try:
            with repo.sessions() as session:
                return len(session.scalars(select(Page.id)).all()) >= 2
        except Exception:  # schema not created yet
            return False

    try:
        wait_for(some_pages, 30, "the first pages of the crawl")
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    (dead,) = runs(engine)
    assert dead.status == "running"  # nobody closed it

    # the lease: a run of sahilgate held by a live process (this test) refuses a second one
    holder = start_run(repo, "sahilgate", "manual") if _sync(repo) else 0
    proc = subprocess.run(
        akhbar(db_url, seeds, "crawl", "wahanews", "sahilgate", "--json"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert re.search(rf"sahilgate: already running as run {holder}\b", proc.stderr)
    by_id = {r.id: r for r in runs(engine)}
    assert by_id[dead.id].status == "interrupted"
    assert "died" in (by_id[dead.id].error or "")
    assert by_id[holder].status == "running"  # the live holder is untouched
    rerun = [r for r in by_id.values() if r.source == "wahanews" and r.id != dead.id]
    assert [r.status for r in rerun] == ["ok"]
    assert [r for r in by_id.values() if r.source == "sahilgate"] == [by_id[holder]]

    # the next run completed the work; nothing stored twice
    expected = [a for a in local_web.truth.articles if a.source == "wahanews"]
    with repo.sessions() as session:
        urls = list(session.scalars(select(Article.url).where(Article.source == "wahanews")))
    assert sorted(urls) == sorted(a.url for a in expected)
    assert sum(r.new for r in by_id.values() if r.source == "wahanews") <= len(urls) + 0
    engine.dispose()


def _sync(repo: Repository) -> bool:
    repo.sync_source("sahilgate", None, ["ar"])
    return True


def test_time_limit_stops_a_run_and_says_so(
    sqlite_url: str, local_web: Any, tmp_path: Path
) -> None:
    seeds = write_seeds(local_web, tmp_path / "seeds", sahilgate=("every 1h", 1.0))
    log = tmp_path / "schedule.log"
    engine = make_engine(sqlite_url)
    with log.open("w") as out:
        proc = subprocess.Popen(
            akhbar(sqlite_url, seeds, "schedule"),
            env=env(run_time_limit=5, kill_after=1),
            stderr=out,
            text=True,
        )
    try:
        wait_for(
            lambda: any(r.status == "interrupted" for r in runs(engine)), 30, "the stopped run"
        )
    finally:
        output = stop(proc, log)
    (run,) = runs(engine)
    assert run.status == "interrupted"
    assert (run.error or "").startswith("stopped by the scheduler: time limit of 5 s reached")
    assert "sahilgate: stopping crawl pid" in output
    engine.dispose()


def test_shutdown_stops_a_delayed_crawl_before_the_kill(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    # download_delay 4: stopping by waiting for the queued requests would take > 30 s, far
    # beyond kill_after; the crawl must close its run itself, not be SIGKILLed
    seeds = write_seeds(local_web, tmp_path / "seeds", sahilgate=("every 1h", 4.0))
    engine = make_engine(db_url)
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            akhbar(db_url, seeds, "schedule"),
            env=env(shutdown_grace=0, kill_after=15),
            stderr=out,
            text=True,
        )
    try:

        def some_pages() -> bool:
            try:
                with Repository(engine).sessions() as session:
                    return len(session.scalars(select(Page.id)).all()) >= 2
            except Exception:
                return False

        wait_for(some_pages, 90, "pages of the delayed crawl")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=25)  # grace 0 + the crawl's own quick stop, well under 15 s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert "did not stop; killing it" not in output, output[-3000:]
    (run,) = runs(engine)
    assert run.status == "interrupted", run.error
    assert "killed by signal" not in (run.error or ""), run.error
    with Repository(engine).sessions() as session:
        pages = session.scalars(select(Page.id).where(Page.crawl_run_id == run.id)).all()
        articles = session.scalars(select(Article.id).where(Article.crawl_run_id == run.id)).all()
    assert (run.fetched, run.new) == (len(pages), len(articles))
    assert run.fetched >= 2
    engine.dispose()


# -- metrics and failover ---------------------------------------------------------------------
def metrics_url(log: Path, timeout: float = 30) -> str:
    """The /metrics address a scheduler logged (started with --metrics-port 0)."""
    found: list[str] = []

    def logged() -> bool:
        match = re.search(r"Prometheus metrics on (http://\S+/metrics)", log.read_text())
        if match:
            found.append(match.group(1))
        return bool(match)

    wait_for(logged, timeout, "the metrics address in the log")
    return found[0]


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One real HTTP scrape, parsed: (sample name, sorted labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        body = response.read().decode("utf-8")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[name, tuple(sorted(labels.items()))]


def test_metrics_endpoint_reports_runs_and_pages_from_the_database(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    seeds = write_seeds(local_web, tmp_path / "seeds", wahanews=("every 1h", 0.0))
    engine = make_engine(db_url)
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            akhbar(db_url, seeds, "schedule", "--metrics-port", "0"),
            env=env(),
            stderr=out,
            text=True,
        )
    try:
        url = metrics_url(log)
        assert url.startswith("http://127.0.0.1:"), url  # loopback unless told otherwise
        wait_for(lambda: [r.status for r in runs(engine)] == ["ok"], 60, "the first run")
        samples = scrape(url)
    finally:
        stop(proc, log)
    (run,) = runs(engine)
    with Repository(engine).sessions() as session:
        outcomes = dict(
            session.execute(
                select(Page.outcome, func.count())
                .where(Page.source == "wahanews")
                .group_by(Page.outcome)
            ).all()
        )
        newest = session.scalar(
            select(func.max(Article.created_at)).where(Article.source == "wahanews")
        )
    assert run.new > 0 and outcomes.get("article") == run.new
    assert newest is not None
    assert value(samples, "akhbar_runs_total", source="wahanews", status="ok") == 1
    assert value(samples, "akhbar_runs_running", source="wahanews") == 0
    for outcome in ("article", "duplicate", "rejected", "error"):
        shown = value(samples, "akhbar_pages_total", source="wahanews", outcome=outcome)
        assert shown == outcomes.get(outcome, 0), (outcome, outcomes)
    assert value(samples, "akhbar_duplicates_total", source="wahanews") == run.duplicate
    assert value(samples, "akhbar_run_duration_seconds_count", source="wahanews") == 1
    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else -1
    assert value(samples, "akhbar_run_duration_seconds_sum", source="wahanews") == pytest.approx(
        took, abs=0.01
    )
    assert run.finished_at is not None
    assert value(
        samples, "akhbar_last_successful_run_timestamp_seconds", source="wahanews"
    ) == pytest.approx(run.finished_at.timestamp(), abs=0.01)
    assert value(
        samples, "akhbar_last_new_article_timestamp_seconds", source="wahanews"
    ) == pytest.approx(newest.timestamp(), abs=0.01)
    assert value(samples, "akhbar_source_schedule_interval_seconds", source="wahanews") == 3600
    # the verdict of `akhbar health` (a first crawl has no baseline yet: ok or quiet)
    (verdict,) = health_report(engine, Settings(database_url=db_url, seeds_dir=seeds))
    shown = {
        status: value(samples, "akhbar_source_health", source="wahanews", status=status)
        for status in ("ok", "quiet", "degraded", "broken", "never run")
    }
    assert shown == {s: float(s == verdict.status.value) for s in shown}, verdict.reason
    assert value(samples, "akhbar_metrics_health_error") == 0
    assert value(samples, "akhbar_scheduler_up") == 1
    assert value(samples, "akhbar_scheduler_active") == 1
    assert value(samples, "akhbar_metrics_database_error") == 0
    assert all(name.startswith("akhbar_") for name, _ in samples)
    engine.dispose()


@pytest.mark.postgres
def test_failover_between_two_schedulers_without_overlapping_runs(
    postgres_url: str, local_web: Any, tmp_path: Path
) -> None:
    """Two real schedulers on one database, three failovers: the active's lock session is cut
    on the server (it steps down), the active is frozen (SIGSTOP: alive to the kernel, dead to
    us; PostgreSQL ends its idle session), the active is killed (-9). The standby takes over
    each time, and every source keeps one run at a time throughout."""
    # every 5 s, and sahilgate slow enough (its first run ~20 s, twice the time a new active
    # takes to fire its first trigger, also on a loaded machine) that a run of the old active
    # still holds its lease when the new active wants to run sahilgate too
    seeds = write_seeds(
        local_web, tmp_path / "seeds", wahanews=("every 5s", 0.0), sahilgate=("every 5s", 3.0)
    )
    engine = make_engine(postgres_url)
    cmd = akhbar(postgres_url, seeds, "schedule", "--metrics-port", "0")
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
    procs: dict[str, subprocess.Popen[str]] = {}

    def start(name: str) -> None:
        with logs[name].open("w") as out:
            procs[name] = subprocess.Popen(cmd, env=env(failover_after=10), stderr=out, text=True)

    def logged(name: str, pattern: str, times: int = 1) -> Callable[[], bool]:
        return lambda: len(re.findall(pattern, logs[name].read_text())) >= times

    def standby_of(name: str) -> str:
        return rf"standby: the active scheduler is 'akhbar schedule \S+ pid {procs[name].pid}'"

    def sahilgate_running_since(after: int) -> bool:
        return any(
            r.source == "sahilgate" and r.status == "running" and r.id > after for r in runs(engine)
        )

    def last_run_id() -> int:
        return max((r.id for r in runs(engine)), default=0)

    try:
        start("a")
        wait_for(logged("a", "this scheduler is active"), 30, "a active")
        start("b")
        wait_for(logged("b", standby_of("a")), 30, "b standby, naming a")
        a_metrics, b_metrics = metrics_url(logs["a"]), metrics_url(logs["b"])
        assert value(scrape(b_metrics), "akhbar_scheduler_active") == 0
        listing = CliRunner().invoke(
            cli, ["--db", postgres_url, "--seeds", str(seeds), "schedule", "--list"]
        )
        assert listing.exit_code == 0, listing.output
        assert f"pid {procs['a'].pid}" in listing.output, listing.output

        # 1. a's lock session is cut on the server while a crawl of a runs: a steps down
        wait_for(lambda: sahilgate_running_since(0), 60, "a crawl started by a")
        with engine.connect() as conn:
            cut = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": f"akhbar schedule {socket.gethostname()} pid {procs['a'].pid}"},
            ).all()
        assert cut == [(True,)]
        wait_for(logged("a", "stepping down"), 30, "a stepping down")
        wait_for(logged("b", "this scheduler is active"), 60, "b active")
        wait_for(logged("a", standby_of("b")), 90, "a standby again, naming b")
        assert value(scrape(a_metrics), "akhbar_scheduler_active") == 0
        assert value(scrape(b_metrics), "akhbar_scheduler_active") == 1

        # 2. b freezes (SIGSTOP): PostgreSQL ends its idle lock session, a takes over; b,
        # thawed, finds its lock gone and steps down before starting anything
        procs["b"].send_signal(signal.SIGSTOP)
        frozen_at = time.monotonic()
        wait_for(logged("a", "this scheduler is active", times=2), 60, "a active again")
        freeze_takeover = time.monotonic() - frozen_at
        procs["b"].send_signal(signal.SIGCONT)
        wait_for(logged("b", "stepping down"), 30, "b stepping down")
        wait_for(logged("b", standby_of("a")), 90, "b standby again, naming a")

        # 3. kill -9 of the active while a crawl it started is running: b takes over
        marker = last_run_id()
        wait_for(lambda: sahilgate_running_since(marker), 60, "a crawl started by a")
        procs["a"].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        procs["a"].wait(timeout=10)
        marker = last_run_id()
        wait_for(logged("b", "this scheduler is active", times=2), 60, "b active again")
        takeover = time.monotonic() - killed_at
        assert takeover < 60, takeover
        assert value(scrape(b_metrics), "akhbar_scheduler_active") == 1

        def both_crawled_since_kill() -> bool:
            done = {r.source for r in runs(engine) if r.id > marker and r.status == "ok"}
            return done == {"wahanews", "sahilgate"}

        wait_for(both_crawled_since_kill, 60, "runs of both sources after the takeover")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=90)
    output = logs["a"].read_text() + logs["b"].read_text()
    assert procs["b"].returncode == 0, output[-3000:]
    print(f"takeover: {freeze_takeover:.1f} s after SIGSTOP, {takeover:.1f} s after kill -9")
    # the lease held across the takeovers: a new active found the old one's crawl running
    assert re.search(r"sahilgate: already running as run \d+ \(scheduled, pid", output), output[
        -3000:
    ]
    # the crawl the killed scheduler left behind ends by itself; nothing stays running
    wait_for(lambda: all(r.status != "running" for r in runs(engine)), 60, "orphan runs ended")
    rows = runs(engine)
    for source in ("wahanews", "sahilgate"):
        assert_no_overlap([r for r in rows if r.source == source])
    assert {r.status for r in rows} <= {"ok", "interrupted"}, [
        (r.source, r.status, r.error) for r in rows
    ]
    engine.dispose()
