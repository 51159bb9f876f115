"""Run bookkeeping of runs that did not close themselves: killed (``kill -9``) or stopped by a
second SIGTERM. Their counters are what they stored, and every command that shows runs shows a
dead run as dead at once (reaped on read), not only at the next crawl's start."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from crashkit import (
    CRAWL_MARKER,
    check_counters_are_stored_rows,
    slow_seeds,
    start_crawl,
    wait_for_log,
    wait_for_pages,
)
from sqlalchemy import select

from akhbar.cli import cli
from akhbar.records import FetchedPage, PageOutcome
from akhbar.storage import Repository, RunCounters, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import CrawlRun
from akhbar.storage.runs import close_run

pytestmark = pytest.mark.e2e


def runs_json(db_url: str, seeds: Path | None = None) -> list[dict[str, Any]]:
    args = ["--db", db_url, *(["--seeds", str(seeds)] if seeds else []), "runs", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def as_summaries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``runs --json`` rows in the shape of crawl summaries (for the shared check)."""
    return [{"run_id": r["id"], "counters": {k: r[k] for k in ("fetched", "new")}} for r in rows]


def test_killed_crawl_is_shown_dead_with_its_stored_counters(
    db_url: str, local_seeds: Path, tmp_path: Path
) -> None:
    seeds = slow_seeds(local_seeds, tmp_path / "seeds", delay=0.3)
    log_path = tmp_path / "kill.log"
    proc = start_crawl(db_url, seeds, log_path)
    assert wait_for_log(proc, log_path, CRAWL_MARKER)
    assert wait_for_pages(proc, log_path, 8)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    rows = runs_json(db_url)  # no crawl started since: `runs` itself reaps
    assert rows and {r["status"] for r in rows} == {"interrupted"}, rows
    assert all("died without closing the run" in (r["error"] or "") for r in rows)
    check_counters_are_stored_rows(db_url, as_summaries(rows))
    assert sum(r["fetched"] for r in rows) > 0


def test_double_sigterm_closes_runs_with_their_stored_counters(
    db_url: str, local_seeds: Path, tmp_path: Path
) -> None:
    seeds = slow_seeds(local_seeds, tmp_path / "seeds", delay=0.3)
    log_path = tmp_path / "term.log"
    proc = start_crawl(db_url, seeds, log_path)
    assert wait_for_log(proc, log_path, CRAWL_MARKER)
    assert wait_for_pages(proc, log_path, 8)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)  # the second one forces the stop
    proc.communicate(timeout=60)
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun)))
    engine.dispose()
    assert runs and {r.status for r in runs} <= {"interrupted", "ok"}, [r.status for r in runs]
    summaries = [{"run_id": r.id, "counters": {"fetched": r.fetched, "new": r.new}} for r in runs]
    check_counters_are_stored_rows(db_url, summaries)
    assert sum(r.fetched for r in runs) > 0


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _page(url: str) -> FetchedPage:
    return FetchedPage(
        source="s",
        url=url,
        final_url=url,
        status=200,
        headers={},
        body=b"<html></html>",
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


def test_runs_stats_and_schedule_show_a_dead_run_as_dead(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("s", "http://s.test/", ["ar"])
    run_id = repo.start_run("s")
    writer = repo.writer()
    for n in range(3):  # what the run stored before it died
        writer.record_page(_page(f"http://s.test/{n}"), PageOutcome.REJECTED, run_id=run_id)
    writer.commit()
    writer.close()
    repo.heartbeat(run_id, RunCounters(fetched=1, rejected=1))  # its last heartbeat, older
    with repo.sessions.begin() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        run.pid = _dead_pid()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "s.toml").write_text(
        'name = "s"\nstart_urls = ["http://s.test/"]\nlanguage = "ar"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["--db", db_url, "--seeds", str(seeds), "schedule", "--list", "--json"]
    )
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["last_run_status"] == "interrupted"
    result = CliRunner().invoke(cli, ["--db", db_url, "stats", "--json"])
    assert result.exit_code == 0, result.output
    [row] = runs_json(db_url)
    assert (row["status"], row["fetched"], row["rejected"]) == ("interrupted", 3, 3)
    engine.dispose()


def test_close_run_counts_what_the_run_stored(db_url: str) -> None:
    """A crawl stopped before its summary (the forced-stop path) closes its run with the
    counters of its rows, not the zeros or the last heartbeat's."""
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("s", "http://s.test/", ["ar"])
    run_id = repo.start_run("s")
    writer = repo.writer()
    writer.record_page(_page("http://s.test/a"), PageOutcome.REJECTED, run_id=run_id)
    writer.record_page(_page("http://s.test/b"), PageOutcome.ERROR, run_id=run_id)
    writer.commit()
    writer.close()
    close_run(repo, run_id, "interrupted", "process stopped mid-crawl")
    run = repo.get_run(run_id)
    assert run is not None
    assert (run.status, run.fetched, run.rejected, run.failed) == ("interrupted", 2, 1, 1)
    assert run.error == "process stopped mid-crawl"
    engine.dispose()
