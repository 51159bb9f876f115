"""Crawl the fault web (a hostile site on loopback) and account for every faulty URL.

The crawl runs as the user runs it (`python -m akhbar crawl faultweb` in its own process)
with the timeouts and size limits lowered through the environment; then each faulty URL must
have its page row with the expected outcome and reason, URLs that must never be requested
must have no row (and no hit on the server), and the run must finish ``ok``. Peak RSS of the
crawl process is measured (``wait4``) and bounded: a 50 MB page and a gzip bomb stay out of
memory.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultweb_server import NEVER_FETCHED, WORDS, FaultWeb, run_measured
from sqlalchemy import select

from akhbar.storage import make_engine
from akhbar.storage.models import Article, CrawlRun, Page
from akhbar.storage.repository import Repository

pytestmark = pytest.mark.e2e

MAX_BYTES = 8 * 1024 * 1024
RETRY_TIMES = 1
CRAWL_ENV = {
    "AKHBAR_CRAWL__DOWNLOAD_TIMEOUT": "2",
    "AKHBAR_CRAWL__RETRY_TIMES": str(RETRY_TIMES),
    "AKHBAR_CRAWL__RETRY_BACKOFF_BASE": "0.2",
    "AKHBAR_CRAWL__RETRY_BACKOFF_MAX": "3",
    "AKHBAR_CRAWL__MAX_RESPONSE_BYTES": str(MAX_BYTES),
    "AKHBAR_CRAWL__MAX_REDIRECTS": "5",
    # the suite allows loopback (the fault web's "other host" is 127.0.0.x too);
    # 10.x and 169.254.x stay refused
    "AKHBAR_CRAWL__ALLOWED_NETWORKS": '["127.0.0.0/8"]',
}

# fault → (outcome, start of reason); reasons of errors without a response are "network: <kind>"
EXPECTED: dict[str, tuple[str, str | None]] = {
    "ok": ("article", None),
    "slow": ("error", "network: timeout"),
    "hang-after-headers": ("error", "network: timeout"),
    "error-500": ("error", "http_500"),
    "error-503": ("error", "http_503"),
    "rate-limited": ("article", None),  # 429 + Retry-After: 1, then served
    "reset": ("error", "network: connection_lost"),
    "truncated": ("error", "network: truncated"),
    "short-length": ("article", None),  # Content-Length shorter than the body: cut, still read
    "wrong-charset": ("article", None),
    "huge": ("error", "network: too_large"),
    "gzip-bomb": ("error", "network: too_large"),
    "redirect-loop": ("error", "network: too_many_redirects"),
    "redirect-offsite": ("error", "network: offsite_redirect"),
    "redirect-private": ("error", "network: refused_private_address"),
    "redirect-private-10": ("error", "network: refused_private_address"),
    "redirect-localhost": ("error", "network: offsite_redirect"),  # a name: refused as offsite
    "image": ("rejected", "not_html"),
    "report": ("rejected", "not_html"),
    "deep": ("rejected", "empty"),  # 5,000 nested divs: lxml gives up its tree, no crash
}


@pytest.fixture
def fault_web() -> Iterator[FaultWeb]:
    with FaultWeb() as web:
        yield web


def crawl_measured(
    db_url: str, seeds: Path, timeout: float = 50.0, env_changes: dict[str, str] | None = None
) -> tuple[Any, int, float]:
    """Run the crawl; return (JSON summaries, peak RSS in KiB, seconds)."""
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds)]
    env = {**os.environ, **CRAWL_ENV, **(env_changes or {})}
    run = run_measured([*cmd, "crawl", "faultweb", "--json"], env, timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout), run.peak_rss_kib, run.seconds


def test_fault_web_every_faulty_url_accounted_for(
    db_url: str, fault_web: FaultWeb, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    fault_web.write_seeds(seeds)
    # no fault hangs the crawl: the slow and hanging pages end as timeouts (below), within
    # crawl_measured's own time limit
    (summary,), rss_kib, seconds = crawl_measured(db_url, seeds)
    assert summary["status"] == "ok"

    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        pages = {p.url: p for p in session.scalars(select(Page))}
        articles = {a.url: a for a in session.scalars(select(Article))}
        (run,) = session.scalars(select(CrawlRun))
    engine.dispose()

    for fault, (outcome, reason) in EXPECTED.items():
        url = fault_web.article_url(fault)
        assert url in pages, f"no page row for {fault}"
        page = pages[url]
        assert page.outcome == outcome, f"{fault}: {page.outcome} ({page.reason})"
        if reason is not None:
            assert page.reason and page.reason.startswith(reason), f"{fault}: {page.reason}"

    # robots.txt (1 MB, mostly invalid lines) still read: its one real rule is obeyed
    for fault in NEVER_FETCHED:
        assert fault_web.article_url(fault) not in pages
        assert fault_web.hits_on(f"/news/{fault}.html") == 0
    assert fault_web.hits_on("/robots.txt") == 1

    # retried, then failed (500/503) or served (429); the others not retried pointlessly
    assert fault_web.hits_on("/news/error-500.html") == RETRY_TIMES + 1
    assert fault_web.hits_on("/news/error-503.html") == RETRY_TIMES + 1
    assert fault_web.hits_on("/news/rate-limited.html") == 2
    assert fault_web.hits_on("/news/ok.html") == 1
    # the redirect chain was cut after max_redirects hops
    assert fault_web.hits_on("/news/redirect-loop-6.html") == 0
    # refused before connecting: the other host never saw a request
    assert fault_web.other_host_hits() == 0

    # the mis-labelled windows-1256 page is stored as readable Arabic
    stored = articles[fault_web.article_url("wrong-charset")].text
    assert sum(word in stored for word in WORDS[:20]) >= 5, stored[:200]

    # hostile XML: no entity was expanded (no billion laughs, no file contents in a URL)
    for url in pages:
        assert "lollol" not in url and "root:" not in url, url
    # only URLs the site listed (or hostile feeds produced, unexpanded) have rows
    assert all(url.startswith(fault_web.base + "/news/") for url in pages)

    # the run counts what happened, and says which discovery documents failed
    failed = sum(1 for p in pages.values() if p.outcome == "error")
    assert run.status == "ok"
    assert run.failed == failed
    assert any("sitemap-huge.xml: too_large" in note for note in summary["notes"])
    assert any("feed-huge.xml: too_large" in note for note in summary["notes"])
    (by_reason,) = [n for n in summary["notes"] if n.startswith("failed pages by reason: ")]
    for kind, n in [("timeout", 2), ("too_large", 2), ("refused_private_address", 2)]:
        assert f"{kind}={n}" in by_reason, by_reason
    assert run.error and by_reason in run.error

    # memory stays bounded: the 50 MB page and the 64 MB gzip bomb never sit in memory
    assert rss_kib < 350 * 1024, f"peak RSS {rss_kib} KiB"
    print(f"fault web crawl: {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")


def test_default_network_guard_refuses_loopback_targets_not_in_the_seeds(
    sqlite_url: str, fault_web: FaultWeb, tmp_path: Path
) -> None:
    """Without allowed networks, a redirect may leave the site (allow_offsite_redirects) but
    still never reaches a loopback, link-local or private address, by IP or by name; the
    seeded host itself (loopback here) stays allowed, as the operator chose it."""
    seeds = tmp_path / "seeds"
    fault_web.write_seeds(seeds, only_redirects=True)
    env = {"AKHBAR_CRAWL__ALLOWED_NETWORKS": "[]", "AKHBAR_CRAWL__ALLOW_OFFSITE_REDIRECTS": "1"}
    (summary,), _, _ = crawl_measured(sqlite_url, seeds, env_changes=env)
    assert summary["status"] == "ok"
    engine = make_engine(sqlite_url)
    with Repository(engine).sessions() as session:
        pages = {p.url: p for p in session.scalars(select(Page))}
    engine.dispose()
    assert pages[fault_web.article_url("ok")].outcome == "article"
    for fault in ("redirect-offsite", "redirect-localhost", "redirect-private"):
        reason = pages[fault_web.article_url(fault)].reason or ""
        assert reason.startswith("network: refused_private_address"), (fault, reason)
    assert "localhost is 127.0.0.1" in (
        pages[fault_web.article_url("redirect-localhost")].reason or ""
    )
    assert fault_web.other_host_hits() == 0
