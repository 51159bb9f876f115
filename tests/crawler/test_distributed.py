"""Three distributed workers crawl the local news web together.

Three ``akhbar crawl --distributed --all`` processes, started separately as a user would start
them on three machines, share each source's request queue and seen-URL filter on the real Redis
and store into one fresh PostgreSQL database. The database must hold the web's known truth
exactly once, no URL may be fetched by two workers, every run row must be closed, and the round
must leave no Redis keys behind (a later crawl rediscovers the feeds and fetches nothing known).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from akhbar.storage import make_engine
from akhbar.storage.models import Article, CrawlRun, Duplicate, Page
from akhbar.storage.repository import Repository

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
log = logging.getLogger(__name__)

REDIS_URL = os.environ.get("AKHBAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 3
DELAY = 0.3  # seconds between two pages of one site per worker: one worker alone needs ~3 s


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"akhbar-test-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def polite_seeds(local_web: Any, tmp_path: Path) -> Path:
    """The local web's seeds with a download delay, so one worker cannot finish alone before
    the others have started."""
    directory = tmp_path / "seeds"
    local_web.write_seeds(directory)
    for path in directory.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert "download_delay = 0.0" in text
        path.write_text(
            text.replace("download_delay = 0.0", f"download_delay = {DELAY}"), encoding="utf-8"
        )
    return directory


def start_worker(
    db_url: str, seeds: Path, prefix: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds)]
    return subprocess.Popen(
        [*cmd, "crawl", "--distributed", "--all", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env | {"AKHBAR_REDIS_KEY_PREFIX": prefix},
    )


def finish(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    summaries: list[dict[str, Any]] = json.loads(out)
    return summaries


def test_three_workers_store_each_story_once(
    postgres_url: str, local_web: Any, polite_seeds: Path, redis_prefix: str
) -> None:
    truth = local_web.truth
    env = dict(os.environ) | {
        "AKHBAR_REDIS_URL": REDIS_URL,
        "AKHBAR_CRAWL__EXTRACT_WORKERS": "0",  # 3 crawl processes already share 2 cores
    }
    env.pop("AKHBAR_CRAWL__DISTRIBUTED", None)
    # the deployment's migrate step (workers starting on an empty database would race to
    # create the schema)
    migrate = [sys.executable, "-m", "akhbar", "--db", postgres_url, "db", "upgrade"]
    subprocess.run(migrate, check=True, capture_output=True, timeout=120)
    started = time.monotonic()
    procs = [start_worker(postgres_url, polite_seeds, redis_prefix, env) for _ in range(WORKERS)]
    results = [finish(p) for p in procs]
    elapsed = time.monotonic() - started
    for summaries in results:
        assert {s["status"] for s in summaries} == {"ok"}, summaries

    engine = make_engine(postgres_url)
    with Repository(engine).sessions() as session:
        articles = list(session.scalars(select(Article)))
        duplicates = list(session.scalars(select(Duplicate)))
        pages = {p.url: p for p in session.scalars(select(Page))}
        runs = list(session.scalars(select(CrawlRun)))
    engine.dispose()

    # each story stored once, the syndicated copy a duplicate of it
    by_url = {a.url: a for a in articles}
    assert len(by_url) == len(articles) == truth.expected_article_count
    assert len({a.text_hash for a in articles}) == len(articles)
    assert len(duplicates) == truth.expected_duplicate_count
    wire = set(truth.wire_copies)
    for expected in truth.articles:
        if expected.url in wire:
            continue
        assert expected.url in by_url, f"missing article {expected.url}"
        assert expected.snippet in by_url[expected.url].text
    assert len([u for u in truth.wire_copies if u in by_url]) == 1
    for url in truth.rejected:
        assert pages[url].outcome == "rejected"
    for url in truth.failed:
        assert pages[url].outcome == "error" and pages[url].http_status == 404
    for url in truth.robots_disallowed:
        assert url not in pages

    # one run row per (source, worker), all closed; no URL fetched by two workers
    sources = {s.name for s in local_web.sites}
    assert all(r.status == "ok" and r.finished_at is not None for r in runs)
    assert {(r.source, r.worker) for r in runs} == {
        (source, worker) for source in sources for worker in {r.worker for r in runs}
    }
    workers = {r.worker for r in runs}
    assert len(workers) == WORKERS and None not in workers
    assert sum(r.fetched for r in runs) == len(pages)
    assert {p.fetch_count for p in pages.values()} == {1}
    assert sum(r.new for r in runs) == len(articles)
    assert sum(r.duplicate for r in runs) == len(duplicates)

    # the work was shared: the split is logged (timing on a loaded machine decides it)
    split = Counter[str]()
    for r in runs:
        split[str(r.worker)] += r.fetched
    log.warning(
        "pages fetched per worker: %s (%.1f s for %d workers)", dict(split), elapsed, WORKERS
    )
    assert sum(split.values()) == len(pages)

    # the round cleared its keys: a later crawl reads the feeds again and fetches nothing known
    client = redis.Redis.from_url(REDIS_URL)
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    client.close()
    again = finish(start_worker(postgres_url, polite_seeds, redis_prefix, env))
    assert {s["status"] for s in again} == {"ok"}
    assert sum(s["counters"]["fetched"] for s in again) == 0
    assert sum(s["skipped_known"] for s in again) >= truth.expected_article_count


def test_a_killed_worker_loses_no_queued_url(
    postgres_url: str, local_web: Any, tmp_path: Path, redis_prefix: str
) -> None:
    """Worker A is killed (SIGKILL) mid-crawl; worker B, started after, takes over A's queue and
    waits for A's heartbeat to go stale before ending the round; a later crawl fetches what A
    had taken but not stored. In the end the truth is stored once and no page fetched twice."""
    truth = local_web.truth
    seeds = tmp_path / "seeds"
    local_web.write_seeds(seeds)
    for path in seeds.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("download_delay = 0.0", "download_delay = 0.5"), "utf-8")
    env = dict(os.environ) | {
        "AKHBAR_REDIS_URL": REDIS_URL,
        "AKHBAR_CRAWL__EXTRACT_WORKERS": "0",
        "AKHBAR_CRAWL__BATCH_SIZE": "1",  # every page committed at once: A's count is exact
        "AKHBAR_SCHEDULER__STALE_AFTER": "16",  # B waits this long for the dead A
    }
    migrate = [sys.executable, "-m", "akhbar", "--db", postgres_url, "db", "upgrade"]
    subprocess.run(migrate, check=True, capture_output=True, timeout=120)
    engine = make_engine(postgres_url)

    def stored_pages() -> int:
        with Repository(engine).sessions() as session:
            return len(session.scalars(select(Page.id)).all())

    worker_a = start_worker(postgres_url, seeds, redis_prefix, env)
    deadline = time.monotonic() + 60
    while stored_pages() < 3 and worker_a.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    worker_a.kill()
    worker_a.wait()
    killed_at = stored_pages()
    assert 3 <= killed_at < len(truth.articles), "worker A was not killed mid-crawl"
    client = redis.Redis.from_url(REDIS_URL)
    queued = sum(
        int(client.zcard(key)) for key in client.scan_iter(match=f"{redis_prefix}:*:requests")
    )
    assert queued > 0  # A's queue outlived A

    second = finish(start_worker(postgres_url, seeds, redis_prefix, env))
    assert {s["status"] for s in second} == {"ok"}
    assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []  # B ended the round
    third = finish(start_worker(postgres_url, seeds, redis_prefix, env))
    assert {s["status"] for s in third} == {"ok"}
    client.close()

    with Repository(engine).sessions() as session:
        articles = list(session.scalars(select(Article)))
        duplicates = list(session.scalars(select(Duplicate)))
        pages = list(session.scalars(select(Page)))
        runs = list(session.scalars(select(CrawlRun)))
    engine.dispose()
    by_id = {a.id: a.url for a in articles}
    assert len(articles) == truth.expected_article_count
    assert len(duplicates) == truth.expected_duplicate_count, [
        (d.url, d.kind, d.similarity, by_id.get(d.article_id), d.crawl_run_id) for d in duplicates
    ]
    assert {p.fetch_count for p in pages} == {1}
    assert len(pages) == len({p.url for p in pages})
    # B starts on A's leftover queue: many requests wait for robots.txt at once, all checked
    assert not {p.url for p in pages} & set(truth.robots_disallowed)
    killed = [r for r in runs if r.pid == worker_a.pid]
    assert killed and {r.status for r in killed} == {"interrupted"}  # reaped by B's start
    assert all(r.status == "ok" for r in runs if r.pid != worker_a.pid)
    log.warning(
        "killed worker A after %d stored pages; B fetched %d, the later crawl %d",
        killed_at,
        sum(s["counters"]["fetched"] for s in second),
        sum(s["counters"]["fetched"] for s in third),
    )
