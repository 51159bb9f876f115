"""Shared by the crash tests: run real crawls of the local web in a subprocess, and check that
the database holds the local web's truth exactly once with no orphan rows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from akhbar.storage import make_engine
from akhbar.storage.models import Article, CrawlRun, Duplicate, Page
from akhbar.storage.repository import Repository

CRAWL_MARKER = b"dedup index loaded"  # logged when the crawl is about to start fetching
DOWNLOAD_DELAY = 0.1  # slows the crawl a little (about 1.5 s of fetching) for mid-crawl faults


def slow_seeds(local_seeds: Path, directory: Path, delay: float = DOWNLOAD_DELAY) -> Path:
    """A copy of the local web's seeds with a small download delay."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in sorted(local_seeds.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^download_delay = .*$", f"download_delay = {delay}", text)
        (directory / path.name).write_text(text, encoding="utf-8")
    return directory


def crawl_env() -> dict[str, str]:
    """Batches of 2 pages, so commits happen all through the crawl; INFO logs (and the per-page
    lines of ``--verbose``) to follow it."""
    env = dict(os.environ)
    env["AKHBAR_CRAWL__BATCH_SIZE"] = "2"
    env["AKHBAR_LOG_LEVEL"] = "INFO"
    return env


def crawl_cmd(db_url: str, seeds: Path) -> list[str]:
    return [
        sys.executable, "-m", "akhbar", "--verbose", "--db", db_url, "--seeds", str(seeds),
        "crawl", "--all", "--json",
    ]  # fmt: skip


def start_crawl(db_url: str, seeds: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``akhbar crawl --all`` with its log (stderr) going to ``log_path``."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            crawl_cmd(db_url, seeds), stdout=subprocess.PIPE, stderr=log, env=crawl_env()
        )


def ingested(log_path: Path) -> int:
    """How many pages the crawl's log says went through the pipeline (committed or not)."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return len(re.findall(r"akhbar\.pages: \S+ (article|duplicate|rejected|error) ", text))


def wait_for_log(
    proc: subprocess.Popen[bytes], log_path: Path, marker: bytes, timeout: float = 30
) -> bool:
    """Wait until ``marker`` appears in the log (False if the process ended or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if marker in log_path.read_bytes():
            return True
        time.sleep(0.01)
    return False


def wait_for_pages(
    proc: subprocess.Popen[bytes], log_path: Path, n: int, timeout: float = 30
) -> bool:
    """Wait until at least ``n`` pages went through the pipeline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ingested(log_path) >= n:
            return True
        time.sleep(0.01)
    return False


def crawl_to_end(db_url: str, seeds: Path) -> list[dict[str, Any]]:
    """One complete crawl; its per-source summaries (``--json``)."""
    proc = subprocess.run(
        crawl_cmd(db_url, seeds), capture_output=True, text=True, timeout=120, env=crawl_env()
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries: list[dict[str, Any]] = json.loads(proc.stdout)
    return summaries


@dataclass
class Stored:
    """Everything in the database after the final crawl."""

    articles: list[Article]
    duplicates: list[Duplicate]
    pages: list[Page]
    runs: list[CrawlRun]


def check_stored_once(db_url: str, truth: Any, final: list[dict[str, Any]]) -> Stored:
    """Assert the local web's truth is stored exactly once, with no orphan rows, no run left
    ``running`` and a final crawl (``final``) whose counters match the rows it wrote."""
    assert {s["status"] for s in final} == {"ok"}, final
    engine = make_engine(db_url)
    try:
        with Repository(engine).sessions() as session:
            articles = list(session.scalars(select(Article)))
            duplicates = list(session.scalars(select(Duplicate)))
            pages = list(session.scalars(select(Page)))
            runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            per_run_pages: dict[int | None, int] = {
                run_id: n
                for run_id, n in session.execute(
                    select(Page.crawl_run_id, func.count()).group_by(Page.crawl_run_id)
                )
            }
    finally:
        engine.dispose()

    # every article of the local web stored exactly once
    urls = Counter(a.url for a in articles)
    assert len(articles) == truth.expected_article_count, sorted(urls)
    assert all(n == 1 for n in urls.values())
    wire = set(truth.wire_copies)
    for expected in truth.articles:
        if expected.url not in wire:
            assert urls[expected.url] == 1, f"missing article {expected.url}"
    stored_wire = [u for u in truth.wire_copies if u in urls]
    assert len(stored_wire) == 1, stored_wire
    assert len(duplicates) == truth.expected_duplicate_count
    (dup,) = duplicates
    assert dup.url == (wire - set(stored_wire)).pop()
    by_url = {a.url: a for a in articles}
    assert dup.article_id == by_url[stored_wire[0]].id

    # no orphan rows, no page fetched and stored twice
    article_ids = {a.id for a in articles}
    page_by_url = {p.url: p for p in pages}
    assert len(page_by_url) == len(pages)
    assert all(d.article_id in article_ids for d in duplicates)
    for page in pages:
        if page.outcome in ("article", "duplicate"):
            assert page.article_id in article_ids, f"orphan page {page.url}"
        assert page.fetch_count == 1, f"{page.url} fetched {page.fetch_count} times"
    for article in articles:
        page = page_by_url.get(article.url)
        assert page is not None and page.outcome == "article", f"no page for {article.url}"
        assert page.article_id == article.id
    assert page_by_url[dup.url].outcome == "duplicate"
    assert page_by_url[dup.url].article_id == dup.article_id
    for url in truth.rejected:
        assert page_by_url[url].outcome == "rejected"
    for url in truth.failed:
        assert page_by_url[url].outcome == "error" and page_by_url[url].http_status == 404

    # no run left running
    assert all(r.status != "running" for r in runs), [(r.id, r.status) for r in runs]
    assert all(r.finished_at is not None for r in runs)

    # the final run's counters agree with each other and with the rows it wrote
    for summary in final:
        c = summary["counters"]
        assert c["fetched"] == c["new"] + c["duplicate"] + c["rejected"] + c["failed"]
        run_id = summary["run_id"]
        assert per_run_pages.get(run_id, 0) == c["fetched"]
        assert sum(a.crawl_run_id == run_id for a in articles) == c["new"]
        assert sum(d.crawl_run_id == run_id for d in duplicates) == c["duplicate"]
    return Stored(articles, duplicates, pages, runs)


def check_counters_are_stored_rows(db_url: str, summaries: list[dict[str, Any]]) -> None:
    """Each run's counters (summary and ``crawl_runs`` row) equal the rows it stored."""
    engine = make_engine(db_url)
    try:
        with Repository(engine).sessions() as session:
            for summary in summaries:
                run_id = summary["run_id"]
                pages = session.scalar(
                    select(func.count()).select_from(Page).where(Page.crawl_run_id == run_id)
                )
                articles = session.scalar(
                    select(func.count()).select_from(Article).where(Article.crawl_run_id == run_id)
                )
                run = session.get(CrawlRun, run_id)
                assert run is not None
                c = summary["counters"]
                assert (c["fetched"], c["new"]) == (pages, articles), (summary, pages, articles)
                assert (run.fetched, run.new) == (pages, articles), (run_id, run.fetched, pages)
    finally:
        engine.dispose()


def check_missing_pages_reported(db_url: str, log: str) -> set[str]:
    """Every page the log shows going through the pipeline is stored, or named in a "pages
    left for the next run" line; returns the reported ones."""
    met = set(re.findall(r"akhbar\.pipeline: \S+ (?:article|duplicate|rejected|error) (\S+)", log))
    reported: set[str] = set()
    for urls in re.findall(r"pages left for the next run: (.*)$", log, re.M):
        reported.update(urls.split())
    engine = make_engine(db_url)
    try:
        with Repository(engine).sessions() as session:
            stored = set(session.scalars(select(Page.url)))
    finally:
        engine.dispose()
    missing = met - stored
    assert missing <= reported, f"pages lost silently: {sorted(missing - reported)}"
    return reported
