"""Conditional GET of feeds, sitemaps and start pages, over real HTTP on the local web.

The local web sends ``ETag``/``Last-Modified`` and answers ``304 Not Modified`` to a request
whose validators still match; a second crawl therefore gets only 304s and parses nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from akhbar.crawler.discovery import parse_lastmod
from akhbar.storage import make_engine
from akhbar.storage.models import CrawlRun, DiscoveryUrl, Page
from akhbar.storage.repository import Repository

pytestmark = pytest.mark.e2e


def crawl(db_url: str, seeds: Path) -> tuple[list[dict[str, Any]], str]:
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds)]
    proc = subprocess.run(
        [*cmd, "crawl", "--all", "--json"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries: list[dict[str, Any]] = json.loads(proc.stdout)
    return summaries, proc.stderr


def discovery_rows(db_url: str) -> dict[str, DiscoveryUrl]:
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        rows = {row.url: row for row in session.scalars(select(DiscoveryUrl))}
    engine.dispose()
    return rows


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:  # urllib raises for 304
        return exc.code, dict(exc.headers), exc.read()


def test_local_web_answers_conditional_requests(local_web: Any) -> None:
    base = next(s.base_url for s in local_web.sites if s.name == "wahanews")
    status, headers, body = get(base + "/rss.xml")
    assert status == 200 and body
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert get(base + "/rss.xml", **{"If-None-Match": etag})[0] == 304
    assert get(base + "/rss.xml", **{"If-None-Match": '"other", ' + etag})[0] == 304
    assert get(base + "/rss.xml", **{"If-None-Match": '"stale"'})[0] == 200
    # If-None-Match decides when present, whatever If-Modified-Since says
    stale = {"If-None-Match": '"stale"', "If-Modified-Since": modified}
    assert get(base + "/rss.xml", **stale)[0] == 200
    assert get(base + "/rss.xml", **{"If-Modified-Since": modified})[0] == 304
    older = format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True)
    assert get(base + "/rss.xml", **{"If-Modified-Since": older})[0] == 200
    status, _, body = get(base + "/rss.xml", **{"If-None-Match": etag})
    assert status == 304 and body == b""


def test_second_crawl_gets_304s_and_parses_nothing(
    db_url: str, local_web: Any, local_seeds: Path
) -> None:
    first, _ = crawl(db_url, local_seeds)
    assert {s["status"] for s in first} == {"ok"}
    assert all(s["unchanged"] == 0 for s in first)
    rows = discovery_rows(db_url)
    # every feed, sitemap (index and children) and start page, with the validators it sent
    bases = {s.name: s.base_url for s in local_web.sites}
    expected = {
        bases["wahanews"] + "/rss.xml",
        bases["wahanews"] + "/",
        bases["najmagency"] + "/sitemap_index.xml",
        bases["najmagency"] + "/sitemaps/news.xml",
        bases["najmagency"] + "/sitemaps/posts-1.xml",
        bases["najmagency"] + "/",
        bases["sahilgate"] + "/feed/atom/",
        bases["sahilgate"] + "/",
    }
    assert set(rows) == expected
    assert all(r.etag and r.http_status == 200 and r.read_at for r in rows.values())
    assert rows[bases["wahanews"] + "/rss.xml"].last_modified

    second, log = crawl(db_url, local_seeds)
    by_source = {s["source"]: s for s in second}
    assert {s["status"] for s in second} == {"ok"}
    assert sum(s["counters"]["fetched"] for s in second) == 0
    # the top-level discovery URLs were answered 304; the index's children never asked for
    assert {name: s["unchanged"] for name, s in by_source.items()} == {
        "wahanews": 2,
        "najmagency": 2,
        "sahilgate": 2,
    }
    assert log.count("not modified (304)") == 6
    assert " links" not in log and "entries" not in log  # nothing parsed
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))[3:]
    assert len(runs) == 3
    for run in runs:
        assert run.status == "ok"
        assert "2 not modified (304), not parsed" in (run.error or ""), run.error
    after = discovery_rows(db_url)
    top = expected - {bases["najmagency"] + "/sitemaps/news.xml"}
    top -= {bases["najmagency"] + "/sitemaps/posts-1.xml"}
    assert {u for u, r in after.items() if r.http_status == 304} == top
    for url in top:  # a 304 keeps the validators and the time of the last full reading
        assert after[url].etag == rows[url].etag
        assert after[url].read_at == rows[url].read_at
        assert after[url].checked_at > rows[url].checked_at

    # the index changed (here: its validators forgotten) but its children did not: their
    # lastmod is older than our reading of them, so they are not fetched again
    index = bases["najmagency"] + "/sitemap_index.xml"
    with Repository(engine).write_sessions.begin() as session:
        session.execute(delete(DiscoveryUrl).where(DiscoveryUrl.url == index))
    third, log = crawl(db_url, local_seeds)
    najm = next(s for s in third if s["source"] == "najmagency")
    assert najm["unchanged"] == 3  # its start page (304) and both children (lastmod)
    assert "sitemap index " + index + ": 2 entries" in log
    assert "/sitemaps/news.xml" not in log and "/sitemaps/posts-1.xml" not in log
    assert any(
        "2 child sitemaps not fetched (lastmod before their last reading)" in n
        for n in najm["notes"]
    )
    assert discovery_rows(db_url)[index].http_status == 200
    with Repository(engine).sessions() as session:
        assert session.scalars(select(Page.id).where(Page.crawl_run_id > 6)).all() == []
    engine.dispose()


def test_incomplete_run_keeps_no_validators(
    db_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    # a page budget of 3: URLs are left for the next run, so the feed must be read again
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    body = (local_seeds / "wahanews.toml").read_text(encoding="utf-8")
    (seeds / "wahanews.toml").write_text(
        body.replace("max_pages_per_run = 500", "max_pages_per_run = 3")
    )
    first, _ = crawl(db_url, seeds)
    assert first[0]["status"] == "ok" and first[0]["skipped_budget"] > 0
    assert 0 < first[0]["counters"]["fetched"] <= 3
    assert discovery_rows(db_url) == {}
    second, log = crawl(db_url, seeds)
    assert second[0]["unchanged"] == 0 and "not modified" not in log
    assert second[0]["counters"]["fetched"] > 0  # the next URLs of the feed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-04T10:15:00+03:00", datetime(2024, 3, 4, 7, 15, tzinfo=UTC)),
        ("2024-03-04T10:15:00Z", datetime(2024, 3, 4, 10, 15, tzinfo=UTC)),
        ("2024-03-04", datetime(2024, 3, 4, 23, 59, 59, 999999, tzinfo=UTC)),
        ("yesterday", None),
    ],
)
def test_parse_lastmod(text: str, expected: datetime | None) -> None:
    assert parse_lastmod(text) == expected
