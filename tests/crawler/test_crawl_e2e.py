"""End to end over real HTTP: crawl the local news web into SQLite and PostgreSQL.

The crawl runs as the user runs it (`python -m akhbar crawl --all` in its own process: the
Twisted reactor cannot restart), then the database is checked against the web's known truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from akhbar.storage import make_engine
from akhbar.storage.models import Article, CrawlRun, Duplicate, Page
from akhbar.storage.repository import Repository

pytestmark = pytest.mark.e2e


def crawl(db_url: str, seeds: Path) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds)]
    proc = subprocess.run(
        [*cmd, "crawl", "--all", "--json"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries: list[dict[str, Any]] = json.loads(proc.stdout)
    return summaries


def test_crawl_matches_known_truth_then_recrawl_stores_nothing(
    db_url: str, local_web: Any, local_seeds: Path
) -> None:
    truth = local_web.truth
    first = crawl(db_url, local_seeds)
    assert {s["status"] for s in first} == {"ok"}

    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        articles = {a.url: a for a in session.scalars(select(Article))}
        duplicates = list(session.scalars(select(Duplicate)))
        pages = {p.url: p for p in session.scalars(select(Page))}
        runs = list(session.scalars(select(CrawlRun)))

    assert len(articles) == truth.expected_article_count
    assert len(duplicates) == truth.expected_duplicate_count

    # every distinct story stored, with its title and its own text
    wire = set(truth.wire_copies)
    for expected in truth.articles:
        if expected.url in wire:
            continue
        assert expected.url in articles, f"missing article {expected.url}"
        stored = articles[expected.url]
        assert stored.source == expected.source
        assert stored.title == expected.title
        assert expected.snippet in stored.text

    # the syndicated story: one article, the other copy points at it
    stored_wire = [u for u in truth.wire_copies if u in articles]
    assert len(stored_wire) == 1
    (dup,) = duplicates
    (copy_url,) = wire - set(stored_wire)
    assert dup.url == copy_url
    assert dup.article_id == articles[stored_wire[0]].id
    assert dup.kind in ("near", "exact") and dup.similarity > 0.5

    # the seed pair: same actors, different stories, both kept
    assert all(url in articles for url in truth.seed_pair)

    # no chrome in any stored text
    for article in articles.values():
        for chrome in truth.chrome_strings:
            assert chrome not in article.text, f"chrome {chrome!r} in {article.url}"

    # rejected and failed pages are recorded, robots-disallowed pages never fetched
    for url in truth.rejected:
        assert pages[url].outcome == "rejected" and pages[url].reason
    for url in truth.failed:
        assert pages[url].outcome == "error" and pages[url].http_status == 404
    for url in truth.robots_disallowed:
        assert url not in pages

    # counters of the runs add up to what is stored
    assert all(r.status == "ok" and r.finished_at is not None for r in runs)
    assert sum(r.new for r in runs) == len(articles)
    assert sum(r.duplicate for r in runs) == len(duplicates)
    assert sum(r.fetched for r in runs) == len(pages)

    # a second crawl fetches nothing already stored and stores nothing new
    second = crawl(db_url, local_seeds)
    assert sum(s["counters"]["new"] for s in second) == 0
    assert sum(s["counters"]["fetched"] for s in second) == 0
    with Repository(engine).sessions() as session:
        assert len(session.scalars(select(Article.id)).all()) == len(articles)
        assert len(session.scalars(select(Page.id)).all()) == len(pages)
    engine.dispose()
