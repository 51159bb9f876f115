"""SIGTERM stops a crawl with a long download delay at once, with true counters.

Real processes over real HTTP on the local web. With ``download_delay = 4`` every site has
several requests queued in scrapy's downloader, each waiting its turn: a stop that waits for
them takes over half a minute; akhbar drops them and closes its runs within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from akhbar.storage import make_engine
from akhbar.storage.models import Article, CrawlRun, Page
from akhbar.storage.repository import Repository

pytestmark = pytest.mark.e2e

DELAY = 4.0  # seconds between two requests to one site
STOP_BOUND = 15.0  # generous under load; waiting for the queued requests takes > 30 s


def seeds_with_delay(local_web: Any, directory: Path, delay: float) -> Path:
    local_web.write_seeds(directory)
    for path in directory.glob("*.toml"):
        body = path.read_text(encoding="utf-8")
        path.write_text(body.replace("download_delay = 0.0", f"download_delay = {delay}"))
    return directory


def stored_pages(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with Repository(engine).sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Page)) or 0)
    except Exception:  # the crawl has not created the schema yet
        return 0
    finally:
        engine.dispose()


def assert_runs_interrupted_with_true_counters(db_url: str) -> list[CrawlRun]:
    """Every run ``interrupted``; its counters equal the page and article rows it stored."""
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        assert runs
        for run in runs:
            pages = session.scalar(
                select(func.count()).select_from(Page).where(Page.crawl_run_id == run.id)
            )
            articles = session.scalar(
                select(func.count()).select_from(Article).where(Article.crawl_run_id == run.id)
            )
            assert run.status == "interrupted", (run.source, run.status, run.error)
            assert run.finished_at is not None
            assert (run.source, run.fetched, run.new) == (run.source, pages, articles)
    engine.dispose()
    return runs


def test_sigterm_stops_a_delayed_crawl_within_seconds(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    seeds = seeds_with_delay(local_web, tmp_path / "seeds", DELAY)
    env = {**os.environ, "AKHBAR_CRAWL__BATCH_SIZE": "1"}
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds), "crawl", "--all"]
    log = tmp_path / "crawl.log"
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while stored_pages(db_url) < 2:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no pages stored in 120 s"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            proc.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"crawl still running {STOP_BOUND:g} s after SIGTERM")
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert "Traceback" not in output, output[-3000:]
    assert "queued requests dropped" in output, output[-3000:]
    runs = assert_runs_interrupted_with_true_counters(db_url)
    assert {r.source for r in runs} == {"wahanews", "najmagency", "sahilgate"}
    assert sum(r.fetched for r in runs) >= 2
    print(f"stopped {took:.1f} s after SIGTERM")


class _HangingHandler(BaseHTTPRequestHandler):
    """A site whose feed answers at once and whose articles never do (until the test ends)."""

    server: _HangingSite

    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            items = "".join(
                f"<item><title>{n}</title><link>{base}/news/{n}</link></item>" for n in (1, 2, 3)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            self._send(200, (body + "</channel></rss>").encode(), "application/rss+xml")
        elif self.path.startswith("/news/"):
            self.server.article_hits += 1
            self.server.release.wait(120)  # on the wire until the test is over
            self._send(200, b"<html><body>late</body></html>", "text/html")
        else:
            self._send(404, b"", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the crawler hung up: that is the point

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HangingSite(ThreadingHTTPServer):
    daemon_threads = True
    article_hits = 0
    release = threading.Event()


def test_sigterm_cancels_downloads_stuck_on_the_wire(sqlite_url: str, tmp_path: Path) -> None:
    server = _HangingSite(("127.0.0.1", 0), _HangingHandler)
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "hanging.toml").write_text(
        f'name = "hanging"\nhome_url = "{base}/"\nfeeds = ["{base}/feed.xml"]\n'
        "allow = ['/news/\\d+$']\n[politeness]\ndownload_delay = 0.0\nconcurrency = 4\n",
        encoding="utf-8",
    )
    # a download timeout far beyond the bound: waiting for the downloads would fail the test
    env = {**os.environ, "AKHBAR_CRAWL__DOWNLOAD_TIMEOUT": "120"}
    cmd = [sys.executable, "-m", "akhbar", "--db", sqlite_url, "--seeds", str(seeds)]
    log = tmp_path / "crawl.log"
    try:
        with log.open("w") as err:
            proc = subprocess.Popen(
                [*cmd, "crawl", "hanging"], env=env, stdout=subprocess.DEVNULL, stderr=err
            )
        deadline = time.monotonic() + 60
        while server.article_hits < 3:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the articles were never requested"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"crawl still running {STOP_BOUND:g} s after SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.release.set()
        server.shutdown()
        server.server_close()
    output = log.read_text()
    assert "Traceback" not in output, output[-3000:]
    assert "3 downloads cancelled" in output, output[-3000:]
    # the cancelled pages are not failures: no page row, the next run fetches them
    (run,) = assert_runs_interrupted_with_true_counters(sqlite_url)
    assert (run.fetched, run.failed) == (0, 0)
