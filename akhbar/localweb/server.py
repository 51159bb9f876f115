"""The local news web: one ``ThreadingHTTPServer`` per site, each on its own loopback address.

Every site binds ``127.0.0.(first_host + i)`` on a free port (port 0), so several webs (tests,
``make demo``, benchmarks) can run side by side, and nothing ever leaves the machine. Requests
are logged at DEBUG only.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from akhbar.localweb.content import load_sites
from akhbar.localweb.markup import Page
from akhbar.localweb.seedfiles import write_seeds
from akhbar.localweb.site import BuiltSite, build_site
from akhbar.localweb.truth import KnownTruth, SiteInfo, build_truth

log = logging.getLogger(__name__)


def etag_of(page: Page) -> str:
    """A strong validator of the page's body (what real servers derive from content)."""
    return '"' + hashlib.sha256(page.body).hexdigest()[:20] + '"'


def not_modified(headers: Message, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 conditional GET: ``If-None-Match`` decides when present, else
    ``If-Modified-Since`` against the page's modification time (whole seconds)."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since is None or last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(last_modified.timestamp()) <= int(when.timestamp())


def send_page(handler: BaseHTTPRequestHandler, page: Page, *, with_body: bool = True) -> None:
    """Answer a request with a rendered page (both local webs serve pages this way).

    Pages answered 200 carry an ``ETag`` (and ``Last-Modified`` when the page has a date) and
    a conditional request whose validators still match gets ``304 Not Modified``, no body.
    """
    etag = etag_of(page) if page.status == 200 else None
    modified = None
    if page.last_modified is not None:
        modified = handler.date_time_string(page.last_modified.timestamp())
    if etag is not None and not_modified(handler.headers, etag, page.last_modified):
        handler.send_response(304)
        handler.send_header("ETag", etag)
        if modified is not None:
            handler.send_header("Last-Modified", modified)
        handler.send_header("Connection", "close")
        handler.end_headers()
        return
    handler.send_response(page.status)
    handler.send_header("Content-Type", page.content_type)
    handler.send_header("Content-Length", str(len(page.body)))
    if etag is not None:
        handler.send_header("ETag", etag)
    if modified is not None:
        handler.send_header("Last-Modified", modified)
    handler.send_header("Connection", "close")
    handler.end_headers()
    if with_body:
        handler.wfile.write(page.body)


def serve_in_background(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve ``server`` on a daemon thread (the local webs' sites, one server per site)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True
    )
    thread.start()
    return thread


def shut_down(servers: list[ThreadingHTTPServer], threads: list[threading.Thread]) -> None:
    """Stop the servers started by :func:`serve_in_background` and release their ports."""
    for server, thread in zip(servers, threads, strict=False):
        server.shutdown()
        thread.join(timeout=5)
    for server in servers:
        server.server_close()


class QuietHTTPServer(ThreadingHTTPServer):
    """A local web's server: threads per request, ports reusable at once, and no stderr
    traceback when a client hangs up mid-response (normal for a crawler fixture)."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error while serving %s", client_address, exc_info=True)


class _SiteServer(QuietHTTPServer):
    site: BuiltSite | None = None


class _Handler(BaseHTTPRequestHandler):
    server_version = "akhbar-localweb/1.0"
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _respond(self, *, with_body: bool) -> None:
        site = cast(_SiteServer, self.server).site
        assert site is not None
        path = urlsplit(self.path).path or "/"
        if path not in site.routes and path + "/" in site.routes:
            self.send_response(301)
            self.send_header("Location", site.url(path + "/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        send_page(self, site.response(path), with_body=with_body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class LocalNewsWeb:
    """Three fictional Arabic news sites served on loopback, with the truth of what they hold."""

    def __init__(self, first_host: int = 11) -> None:
        if not 1 <= first_host <= 250:
            raise ValueError("first_host must leave room for the sites in 127.0.0.1-254")
        self.first_host = first_host
        self._lock = threading.Lock()
        self._servers: list[_SiteServer] = []
        self._threads: list[threading.Thread] = []
        self._built: list[BuiltSite] = []
        self._truth: KnownTruth | None = None

    def start(self) -> None:
        """Bind and serve every site (daemon threads); a second call does nothing."""
        with self._lock:
            if self._servers:
                return
            try:
                for offset, content in enumerate(load_sites()):
                    host = f"127.0.0.{self.first_host + offset}"
                    server = _SiteServer((host, 0), _Handler)
                    self._servers.append(server)
                    built = build_site(content, f"http://{host}:{server.server_address[1]}")
                    server.site = built
                    self._built.append(built)
                    self._threads.append(serve_in_background(server, f"localweb-{content.name}"))
                    log.debug("serving %s on %s", content.name, built.base)
            except BaseException:
                self._stop_locked()
                raise
            self._truth = build_truth(self._built)

    def stop(self) -> None:
        """Stop serving and release the ports; the web can be started again."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        shut_down(list(self._servers), self._threads)
        self._servers, self._threads, self._built = [], [], []
        self._truth = None

    def __enter__(self) -> LocalNewsWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _running(self) -> list[BuiltSite]:
        if not self._built:
            raise RuntimeError("LocalNewsWeb is not started")
        return self._built

    @property
    def sites(self) -> list[SiteInfo]:
        return [SiteInfo(b.content.name, b.content.title, b.base) for b in self._running()]

    @property
    def truth(self) -> KnownTruth:
        self._running()
        assert self._truth is not None
        return self._truth

    def write_seeds(self, directory: Path, *, schedule: str = "every 30m") -> list[Path]:
        """One seeds TOML per site (``<name>.toml``) pointing at the running sites."""
        return write_seeds(self._running(), Path(directory), schedule=schedule)
