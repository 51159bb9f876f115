"""Crash safety: ``kill -9`` a real crawl at random moments, then rerun it to completion.

A crawl is a separate process (``python -m akhbar crawl --all``) writing in small batches
(``AKHBAR_CRAWL__BATCH_SIZE=2``) so commits happen all through the crawl; the test SIGKILLs it
at moments drawn from a fixed-seed ``random.Random`` (reproducible), repeatedly on the same
database, then lets one crawl finish. Whatever the moments were, the database must hold every
article of the local web exactly once, no orphan rows, no run left ``running`` (the next crawl
reaps the dead runs as ``interrupted``) and a final run whose counters match its rows.
"""

from __future__ import annotations

import random
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crashkit import (
    CRAWL_MARKER,
    check_stored_once,
    crawl_to_end,
    ingested,
    slow_seeds,
    start_crawl,
    wait_for_log,
)

pytestmark = pytest.mark.e2e

SEED = 20260808  # fixed: the kill moments are the same on every run of the suite
KILLS = 10  # per backend; with the delays below the test stays well under a minute
# A quarter of the kills land in the start-up (imports, migration, reaping, run rows): a delay
# after spawn. The others land in the crawl itself: a delay after the crawl logs that it has
# loaded its dedup index (the moment it starts fetching), so a slow start-up on a loaded
# machine does not turn them all into start-up kills.
STARTUP_SHARE = 0.25
STARTUP_DELAY = (0.3, 2.5)  # seconds after spawn
CRAWL_DELAY = (0.3, 2.0)  # seconds after the crawl started fetching


@dataclass
class Kill:
    """One killed crawl: when it was killed and how far it had got (from its log)."""

    phase: str  # "startup": delay after spawn; "crawl": delay after the crawl began fetching
    delay: float
    ingested: int  # pages the log says were ingested before the kill (committed or not)
    exited_before: bool  # the crawl had already finished when the kill was due


def crawl_and_kill(db_url: str, seeds: Path, phase: str, delay: float, log_path: Path) -> Kill:
    """Start a crawl, SIGKILL it ``delay`` seconds into ``phase`` (unless it already ended)."""
    proc = start_crawl(db_url, seeds, log_path)
    try:
        if phase == "crawl":
            wait_for_log(proc, log_path, CRAWL_MARKER)
        proc.communicate(timeout=delay)
        exited = True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)  # reaped: the next crawl sees the pid gone
        exited = False
    return Kill(phase, delay, ingested(log_path), exited)


def test_kill9_at_random_moments_then_rerun_stores_everything_once(
    db_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    seeds = slow_seeds(local_seeds, tmp_path / "seeds")
    rng = random.Random(SEED)
    moments = []
    for _ in range(KILLS):
        phase = "startup" if rng.random() < STARTUP_SHARE else "crawl"
        low, high = STARTUP_DELAY if phase == "startup" else CRAWL_DELAY
        moments.append((phase, round(rng.uniform(low, high), 3)))
    kills = [
        crawl_and_kill(db_url, seeds, phase, delay, tmp_path / f"kill{i}.log")
        for i, (phase, delay) in enumerate(moments)
    ]
    final = crawl_to_end(db_url, seeds)
    print(
        f"\n{db_url.split(':')[0]}: seed {SEED}, {KILLS} kills; "
        "(phase, delay s, pages ingested before the kill, already ended): "
        + ", ".join(f"({k.phase}, {k.delay}, {k.ingested}, {k.exited_before})" for k in kills)
    )
    assert any(k.ingested and not k.exited_before for k in kills), "no kill landed mid-crawl"

    stored = check_stored_once(db_url, local_web.truth, final)

    # the killed runs were reaped as interrupted by the next crawl's start
    final_ids = {s["run_id"] for s in final}
    earlier = [r for r in stored.runs if r.id not in final_ids]
    for run in earlier:
        assert run.status in ("ok", "interrupted"), (run.id, run.status, run.error)
        if run.status == "interrupted":
            assert run.error and "died without closing the run" in run.error, run.error
            # its counters are the rows it stored, not its last heartbeat's
            pages = sum(p.crawl_run_id == run.id for p in stored.pages)
            articles = sum(a.crawl_run_id == run.id for a in stored.articles)
            assert (run.fetched, run.new) == (pages, articles), (run.id, run.fetched, pages)
