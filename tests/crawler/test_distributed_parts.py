"""The parts of a distributed crawl that need no Redis: queued requests as JSON, the database
key, and the per-worker run leases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.utils.request import request_from_dict
from sqlalchemy import Connection

from akhbar.crawler.distributed import database_key, dumps, loads
from akhbar.crawler.spider import ARTICLE_META, NewsSpider
from akhbar.seeds import load_seeds
from akhbar.storage import Repository
from akhbar.storage.runs import SourceBusy, acquire_run, close_run


def test_a_queued_article_request_comes_back_with_its_callbacks(local_seeds: Path) -> None:
    source = load_seeds(local_seeds).sources[0]
    spider = NewsSpider(source=source, known_url=lambda url: False)
    request = scrapy.Request(
        "http://127.0.0.11:8080/news/1?q=%D8%A7",
        callback=spider.parse_article,
        errback=spider.article_failed,
        meta={
            ARTICLE_META: True,
            "redirect_urls": ["http://127.0.0.11:8080/n/1"],
        },
        headers={"Referer": "http://127.0.0.11:8080/"},
        body=b"\x00\xff",
        priority=3,
    )
    data = request.to_dict(spider=spider)
    raw = dumps(data)
    assert raw.startswith(b"{") and b"__b" in raw  # JSON, bytes spelled out: no pickle
    back = request_from_dict(loads(raw), spider=spider)
    assert back.url == request.url and back.body == b"\x00\xff" and back.priority == 3
    assert back.callback == spider.parse_article and back.errback == spider.article_failed
    assert back.meta == request.meta
    assert back.headers.getlist("Referer") == [b"http://127.0.0.11:8080/"]
    assert len(raw) < 600  # no status list riding in every queued request


def test_a_request_holding_an_object_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot queue"):
        dumps({"meta": {"x": object()}})


def test_database_key_ignores_driver_and_password() -> None:
    a = database_key("postgresql+psycopg://akhbar:secret@db:5432/akhbar")
    assert a == database_key("postgresql://akhbar:other@db:5432/akhbar")
    assert a != database_key("postgresql+psycopg://akhbar:secret@db:5432/akhbar2")
    assert a != database_key("postgresql+psycopg://akhbar:secret@db2:5432/akhbar")


def test_workers_hold_a_lease_each_and_exclude_a_single_process_run(
    db_connection: Connection,
) -> None:
    repo = Repository(db_connection)
    repo.sync_source("alpha", "http://alpha.test/", ["ar"])
    one = acquire_run(repo, "alpha", "manual", 120.0, worker="h:1:a")
    two = acquire_run(repo, "alpha", "manual", 120.0, worker="h:2:b")
    assert one != two
    with pytest.raises(SourceBusy):  # the same worker twice
        acquire_run(repo, "alpha", "manual", 120.0, worker="h:1:a")
    with pytest.raises(SourceBusy):  # a single-process run beside the workers
        acquire_run(repo, "alpha", "manual", 120.0)
    close_run(repo, one, "ok", None)
    close_run(repo, two, "ok", None)
    single = acquire_run(repo, "alpha", "manual", 120.0)
    with pytest.raises(SourceBusy) as busy:  # a worker beside a single-process run
        acquire_run(repo, "alpha", "manual", 120.0, worker="h:3:c")
    assert busy.value.holder.id == single and busy.value.holder.worker is None
    with pytest.raises(SourceBusy):
        acquire_run(repo, "alpha", "manual", 120.0)


@pytest.mark.e2e  # a crawl of the local web
def test_requests_waiting_together_for_robots_txt_are_all_checked(
    local_web: Any, tmp_path: Path
) -> None:
    """Several requests to a host before its robots.txt is in (a worker starting on a leftover
    queue) must all be checked; scrapy 2.19's own middleware let all but the first through."""
    site = next(s for s in local_web.sites if s.name == "wahanews")
    forbidden = [u for u in local_web.truth.robots_disallowed if u.startswith(site.base_url)]
    assert len(forbidden) >= 3
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    local_web.write_seeds(tmp_path / "all")
    text = (tmp_path / "all" / "wahanews.toml").read_text(encoding="utf-8")
    lines = [
        f"start_urls = {json.dumps(forbidden)}"
        if line.startswith("start_urls")
        else "feeds = []"
        if line.startswith("feeds")
        else line
        for line in text.splitlines()
    ]
    (seeds / "wahanews.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "akhbar", "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    proc = subprocess.run(
        [*cmd, "--seeds", str(seeds), "crawl", "wahanews", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ) | {"AKHBAR_CRAWL__EXTRACT_WORKERS": "0"},
    )
    (summary,) = json.loads(proc.stdout)
    notes = " ".join(summary["notes"])
    for url in forbidden:
        assert f"{url}: " in notes and "Forbidden by robots.txt" in notes, notes
