"""Database errors mid-crawl: the run ends cleanly (never ``running``), nothing half-written,
and a rerun completes the local web with nothing stored twice.

PostgreSQL: the test kills the crawl's own server connections (``pg_terminate_backend`` on the
test's private database, as a server restart or a dropped network would) while it is writing.
The machine's server itself is never stopped. SQLite: another connection holds the write lock
for a while mid-crawl (shorter than the busy timeout): the crawl waits and goes on.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from crashkit import (
    CRAWL_MARKER,
    check_counters_are_stored_rows,
    check_missing_pages_reported,
    check_stored_once,
    crawl_cmd,
    crawl_env,
    crawl_to_end,
    slow_seeds,
    start_crawl,
    wait_for_log,
    wait_for_pages,
)
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from akhbar.dedup import Deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import FetchedPage, PageOutcome
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article, CrawlRun, Page

pytestmark = pytest.mark.e2e


def terminate_backends(db_url: str) -> int:
    """Terminate every other connection to the test's own database; how many there were."""
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        engine.dispose()


def test_postgres_connections_terminated_mid_crawl(
    postgres_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    seeds = slow_seeds(local_seeds, tmp_path / "seeds")
    log_path = tmp_path / "outage.log"
    proc = start_crawl(postgres_url, seeds, log_path)
    assert wait_for_log(proc, log_path, CRAWL_MARKER)
    terminated = []
    for n in (2, 4, 6, 8, 10, 12, 14, 16):  # outages while pages are being written
        wait_for_pages(proc, log_path, n)
        terminated.append(terminate_backends(postgres_url))
    out, _ = proc.communicate(timeout=120)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    errors = log.count("database error")
    print(f"\nterminated connections: {terminated}; database errors logged: {errors}")
    assert sum(terminated) > 0
    # the run ended cleanly: one line per database error, no traceback, every run closed
    assert proc.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    summaries = json.loads(out)
    assert {s["status"] for s in summaries} == {"ok"}, summaries
    # a terminated connection idle in the pool is replaced silently (pre-ping); one in the
    # middle of a batch is a database error, rolled back and retried, and noted on the run
    if "database error" in log:
        assert any("database errors" in note for s in summaries for note in s["notes"])
    # every page is stored or reported, and the runs' counters are what they stored
    check_counters_are_stored_rows(postgres_url, summaries)
    reported = check_missing_pages_reported(postgres_url, log)
    print(f"pages reported left for the next run: {len(reported)}")

    final = crawl_to_end(postgres_url, seeds)
    check_stored_once(postgres_url, local_web.truth, final)


def test_sqlite_write_lock_held_mid_crawl(
    sqlite_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    seeds = slow_seeds(local_seeds, tmp_path / "seeds")
    log_path = tmp_path / "busy.log"
    proc = start_crawl(sqlite_url, seeds, log_path)
    assert wait_for_log(proc, log_path, CRAWL_MARKER)
    assert wait_for_pages(proc, log_path, 3)
    path = make_url(sqlite_url).database
    assert path
    locker = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        time.sleep(2.0)  # the crawl blocks on its next commit, within the busy timeout
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    proc.communicate(timeout=120)
    assert proc.returncode == 0, log_path.read_text(encoding="utf-8")[-3000:]
    assert b"database is locked" not in log_path.read_bytes()
    final = crawl_to_end(sqlite_url, seeds)
    check_stored_once(sqlite_url, local_web.truth, final)


def _fetch(source: str, url: str) -> FetchedPage:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback: the local web
        body = response.read()
        status = response.status
    return FetchedPage(
        source=source,
        url=url,
        final_url=url,
        status=status,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


def _allow_connections(server_url: str, database: str, allow: bool) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allow).lower()}')
            )
            if not allow:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": database},
                )
    finally:
        engine.dispose()


def test_ingestor_survives_a_lasting_postgres_outage(
    postgres_server_url: str, postgres_url: str, local_web: Any
) -> None:
    """The database refuses connections for a while: pages met then are neither stored half
    nor raised; once it is back, ingesting them again stores each exactly once."""
    truth = local_web.truth
    wire = set(truth.wire_copies)
    expected = [a for a in truth.articles if a.url not in wire][:6]
    pages = [_fetch(a.source, a.url) for a in expected]
    database = make_url(postgres_url).database
    assert database

    engine = make_engine(postgres_url)
    upgrade(engine)
    repo = Repository(engine)
    sources = {a.source for a in expected}
    for name in sources:
        repo.sync_source(name, None, ["ar"])
    writer = repo.writer(batch_size=50)
    settings = AkhbarSettings()
    dedup = Deduplicator(settings.dedup)
    ingestors = {
        name: Ingestor(
            source=SourceConfig(name=name, start_urls=["http://127.0.0.1/"]),
            writer=writer,
            run_id=repo.start_run(name),
            dedup=dedup,
            cleaner=settings.cleaner,
        )
        for name in sorted(sources)
    }
    try:
        first = [ingestors[p.source].ingest(p) for p in pages[:2]]
        assert all(r.outcome is PageOutcome.ARTICLE for r in first)
        for ingestor in ingestors.values():  # their batch commits (batch_size or the timer)
            ingestor.flush()
        _allow_connections(postgres_server_url, database, allow=False)
        try:
            during = [ingestors[p.source].ingest(p) for p in pages[2:4]]  # never raises
        finally:
            _allow_connections(postgres_server_url, database, allow=True)
        assert all(r.outcome is PageOutcome.ERROR for r in during), during
        assert all((r.reason or "").startswith("database:") for r in during)
        assert sum(i.db_errors for i in ingestors.values()) >= 2
        assert sum(i.pages_lost for i in ingestors.values()) >= 2
        # back: the lost pages come again (as the next run would fetch them) with the rest
        after = [ingestors[p.source].ingest(p) for p in pages[2:]]
        assert all(r.outcome is PageOutcome.ARTICLE for r in after), after
        counters = [i.close() for i in ingestors.values()]
        assert sum(c.new for c in counters) == len(pages)  # the lost attempts are not counted
    finally:
        writer.close()
    with repo.sessions() as session:
        articles = list(session.scalars(select(Article)))
        stored_pages = {p.url: p for p in session.scalars(select(Page))}
    engine.dispose()
    assert sorted(a.url for a in articles) == sorted(p.url for p in pages)
    for article in articles:
        assert stored_pages[article.url].article_id == article.id
    assert len(stored_pages) == len(pages)


def refuse_page_writes(db_url: str) -> None:
    """Make every write to ``pages`` fail, as a full disk does: a trigger raising PostgreSQL's
    own ``disk_full`` error (SQLSTATE 53100) or, on SQLite, aborting the statement."""
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION USING ERRCODE = 'disk_full', "
                    "MESSAGE = 'could not extend file: No space left on device'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_pages BEFORE INSERT OR UPDATE ON pages "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_writes()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_pages BEFORE INSERT ON pages BEGIN "
                    "SELECT RAISE(ABORT, 'database or disk is full'); END"
                )
            )
    engine.dispose()


def test_persistent_write_error_stops_the_crawl(
    db_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    """Every batch fails: after ``max_failed_commits`` of them the crawl stops fetching and
    closes each run ``failed`` with the reason, in one log line and without a traceback."""
    refuse_page_writes(db_url)
    seeds = slow_seeds(local_seeds, tmp_path / "seeds", delay=1.0)  # a page a second a site
    env = {**crawl_env(), "AKHBAR_CRAWL__MAX_FAILED_COMMITS": "3"}
    proc = subprocess.run(
        crawl_cmd(db_url, seeds), capture_output=True, text=True, timeout=120, env=env
    )
    log = proc.stderr
    assert proc.returncode == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert log.count("database writes keep failing; crawl stopped") == 1, log[-3000:]
    summaries = json.loads(proc.stdout)
    assert {s["status"] for s in summaries} == {"failed"}, summaries
    for summary in summaries:
        assert summary["counters"]["fetched"] == 0  # nothing was stored
        assert any("database writes failing" in note for note in summary["notes"])
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun)))
        assert session.scalar(select(func.count()).select_from(Page)) == 0
    engine.dispose()
    assert {r.status for r in runs} == {"failed"}
    assert all("database_failed" in (r.error or "") for r in runs)
    assert all(r.fetched == 0 for r in runs)
    # a few error lines (the failed batches), then one line saying why the crawl stopped;
    # the pages still in flight are not stored and not counted, the runs say how many
    assert log.count(" ERROR ") <= 2 * 3 + 1, log[-3000:]
    lost = sum(int(m) for m in re.findall(r"(\d+) pages left for the next run", proc.stdout))
    assert lost >= 3, summaries


def test_a_blip_replays_the_pages_of_every_source_sharing_the_writer(
    postgres_url: str, local_web: Any
) -> None:
    """Two sources share one writer (as in ``crawl --all``), both with uncommitted pages, when
    the connection is killed: the error met by one source replays the other's pages too, so
    every page is stored once and each source's counters equal its stored rows."""
    truth = local_web.truth
    wire = set(truth.wire_copies)
    by_source: dict[str, list[FetchedPage]] = {}
    for expected in truth.articles:
        if expected.url not in wire:
            by_source.setdefault(expected.source, []).append(_fetch(expected.source, expected.url))
    names = sorted(by_source)[:2]
    engine = make_engine(postgres_url)
    upgrade(engine)
    repo = Repository(engine)
    for name in names:
        repo.sync_source(name, None, ["ar"])
    writer = repo.writer(batch_size=1000)  # nothing commits until the test says so
    settings = AkhbarSettings()
    dedup = Deduplicator(settings.dedup)
    ingestors = {
        name: Ingestor(
            source=SourceConfig(name=name, start_urls=["http://127.0.0.1/"]),
            writer=writer,
            run_id=repo.start_run(name),
            dedup=dedup,
            cleaner=settings.cleaner,
            commit_interval=3600,
        )
        for name in names
    }
    first, second = (ingestors[n] for n in names)
    pages_a, pages_b = by_source[names[0]][:3], by_source[names[1]][:3]
    try:
        for page in pages_a:  # source A's pages wait in the open transaction
            assert first.ingest(page).outcome is PageOutcome.ARTICLE
        second.ingest(pages_b[0])
        assert terminate_backends(postgres_url) >= 1  # the writer's connection is gone
        for page in pages_b[1:]:  # source B meets the error; the batch is replayed
            assert second.ingest(page).outcome is PageOutcome.ARTICLE
        for page in by_source[names[0]][3:5]:
            assert first.ingest(page).outcome is PageOutcome.ARTICLE
        counters = {name: ingestors[name].close() for name in names}
        assert second.db_errors >= 1 and first.pages_lost == second.pages_lost == 0
    finally:
        writer.close()
    with repo.sessions() as session:
        stored = {
            name: session.scalar(select(func.count()).select_from(Page).where(Page.source == name))
            for name in names
        }
        urls = set(session.scalars(select(Article.url)))
    engine.dispose()
    expected_urls = {p.url for p in [*pages_a, *pages_b, *by_source[names[0]][3:5]]}
    assert urls == expected_urls  # source A's pages of the killed transaction included
    assert stored == {names[0]: 5, names[1]: 3}
    assert {n: (c.fetched, c.new) for n, c in counters.items()} == {
        names[0]: (5, 5),
        names[1]: (3, 3),
    }
