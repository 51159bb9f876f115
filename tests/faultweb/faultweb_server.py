"""The fault web: one hostile news site on loopback, for testing how a crawl survives it.

Every faulty page sits under an article-looking URL (``/news/<fault>.html``) listed in the
site's feed and sitemap, beside malformed, huge and hostile feeds, sitemaps and robots.txt.
It binds ``127.0.0.<host>`` on a free port, plus a second "other host" that must never be
hit. Every server loop is bounded (hangs wait at most ``hang_seconds`` or until ``stop()``),
and every hit is counted per path so tests can check retries and refusals from the outside.
"""

from __future__ import annotations

import gzip
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WORDS = [
    "الحكومة",
    "أعلنت",
    "اليوم",
    "عن",
    "خطة",
    "جديدة",
    "لتطوير",
    "البنية",
    "التحتية",
    "في",
    "المدن",
    "الساحلية",
    "وقال",
    "الوزير",
    "إن",
    "المشروع",
    "يشمل",
    "بناء",
    "طرق",
    "ومدارس",
    "ومستشفيات",
    "خلال",
    "السنوات",
    "الخمس",
    "المقبلة",
    "بتمويل",
    "من",
    "الموازنة",
    "العامة",
    "والقطاع",
    "الخاص",
    "وأكد",
    "المسؤولون",
    "أن",
    "الأعمال",
    "ستبدأ",
    "في",
    "الربيع",
    "المقبل",
    "بعد",
    "استكمال",
    "الدراسات",
    "الفنية",
    "والبيئية",
    "كما",
    "أشار",
    "التقرير",
    "إلى",
    "ارتفاع",
    "أسعار",
    "المواد",
    "الغذائية",
    "في",
    "الأسواق",
    "المحلية",
    "بسبب",
    "موجة",
    "الجفاف",
    "التي",
    "ضربت",
    "المناطق",
    "الزراعية",
    "وطالب",
    "المزارعون",
    "بدعم",
    "عاجل",
    "لتعويض",
    "خسائرهم",
    "وفي",
    "الرياضة",
    "فاز",
    "المنتخب",
    "الوطني",
    "على",
    "منافسه",
    "بهدفين",
    "مقابل",
    "هدف",
    "في",
    "مباراة",
    "ودية",
    "أقيمت",
    "مساء",
    "أمس",
    "على",
    "الملعب",
    "الأولمبي",
    "بحضور",
    "آلاف",
    "المشجعين",
    "الذين",
    "ملأوا",
    "المدرجات",
]

FAULTS = (
    "ok",
    "slow",
    "hang-after-headers",
    "error-500",
    "error-503",
    "rate-limited",
    "reset",
    "truncated",
    "short-length",
    "wrong-charset",
    "huge",
    "gzip-bomb",
    "redirect-loop",
    "redirect-offsite",
    "redirect-private",
    "redirect-private-10",
    "redirect-localhost",
    "image",
    "report",
    "deep",
)
# listed in the feed and sitemap but disallowed by the (huge, mostly invalid) robots.txt
NEVER_FETCHED = ("forbidden",)


# Linux folds the RSS a process had before exec into its ru_maxrss, so a child forked from a
# big pytest process reports the parent's size. The crawl is therefore started by this shim
# (small), which reports its child's true peak RSS in KiB on its last stderr line.
_SHIM = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class MeasuredRun:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_kib: int
    seconds: float


def run_measured(cmd: list[str], env: dict[str, str], timeout: float) -> MeasuredRun:
    """Run ``cmd`` (killed after ``timeout`` s) and measure its wall time and peak RSS."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _SHIM, *cmd],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.monotonic() - start
    *lines, last = proc.stderr.rstrip("\n").split("\n")
    return MeasuredRun(proc.returncode, proc.stdout, "\n".join(lines), int(last), seconds)


def arabic_text(seed: str, paragraphs: int = 6) -> list[str]:
    """Distinct Arabic paragraphs per seed (so the dedup stage sees different stories)."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = [" ".join(rng.choices(WORDS, k=rng.randint(9, 15))) for _ in range(3)]
        out.append(". ".join(sentences) + ".")
    return out


def article_html(slug: str, *, charset: str = "utf-8", depth: int = 0) -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in arabic_text(slug))
    body = f"<article><h1>خبر {slug}</h1>\n{paras}\n</article>"
    if depth:
        body = "<div>" * depth + body + "</div>" * depth
    return (
        f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="{charset}">'
        f"<title>خبر {slug}</title></head><body>{body}</body></html>"
    )


def _png() -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 64 for _ in range(64))
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    web: FaultWeb

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on hostile pages is the point


class _Handler(BaseHTTPRequestHandler):
    server_version = "faultweb/1.0"
    protocol_version = "HTTP/1.0"
    server: _Server

    def do_GET(self) -> None:
        web = self.server.web
        path = urlsplit(self.path).path
        web.count(self.server.server_address[0], path)
        special: Callable[[], None] | None = None
        if path.startswith("/news/"):
            name = path.strip("/").replace("/", "_").replace("-", "_").replace(".", "_")
            special = getattr(self, "_" + name, None)
        if special is not None:
            special()
            return
        reply = web.reply(path)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers:
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    # -- pages that misbehave at the socket level ------------------------------------------
    def _news_slow_html(self) -> None:
        self.server.web.stopping.wait(self.server.web.hang_seconds)
        self._send(Reply(200, article_html("slow").encode()))

    def _news_hang_after_headers_html(self) -> None:
        body = article_html("hang").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:200])
        self.wfile.flush()
        self.server.web.stopping.wait(self.server.web.hang_seconds)

    def _news_reset_html(self) -> None:
        # SO_LINGER 0: close() sends RST instead of FIN
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _news_truncated_html(self) -> None:
        body = article_html("truncated").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body) + 5000))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])

    def _news_short_length_html(self) -> None:
        body = article_html("short-length").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body) * 2 // 3))  # a lie: body is longer
        self.end_headers()
        self.wfile.write(body)

    def _news_huge_html(self) -> None:
        chunk = ("<p>" + " ".join(WORDS) + "</p>\n").encode() * 64
        total = self.server.web.huge_bytes
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        try:
            while sent < total and not self.server.web.stopping.is_set():
                piece = chunk[: total - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass  # the crawler hung up at its size limit

    def _news_huge_chunked_html(self) -> None:  # pragma: no cover - spare fault
        self._news_huge_html()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FaultWeb:
    """A hostile site on ``127.0.0.<host>`` and an "other host" on ``127.0.0.<host+1>``."""

    def __init__(self, host: int = 201, hang_seconds: float = 8.0) -> None:
        self.host = f"127.0.0.{host}"
        self.other_host = f"127.0.0.{host + 1}"
        self.hang_seconds = hang_seconds
        self.huge_bytes = 50 * 1024 * 1024
        self.stopping = threading.Event()
        self.hits: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
        self._replies: dict[str, Reply] = {}

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self.stopping.clear()
        for host in (self.host, self.other_host):
            server = _Server((host, 0), _Handler)
            server.web = self
            self._servers.append(server)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._replies = self._build()

    def stop(self) -> None:
        self.stopping.set()
        for server, thread in zip(self._servers, self._threads, strict=True):
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
        self._servers, self._threads = [], []

    def __enter__(self) -> FaultWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self._servers[0].server_address[1]}"

    @property
    def other_base(self) -> str:
        return f"http://{self.other_host}:{self._servers[1].server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def article_url(self, fault: str) -> str:
        return self.url(f"/news/{fault}.html")

    def count(self, host: str, path: str) -> None:
        with self._lock:
            self.hits[(host, path)] += 1

    def hits_on(self, path: str, host: str | None = None) -> int:
        with self._lock:
            return self.hits[(host or self.host, path)]

    def other_host_hits(self) -> int:
        with self._lock:
            return sum(n for (h, _), n in self.hits.items() if h == self.other_host)

    # -- content -------------------------------------------------------------------------------
    feeds = (
        "/feed.xml",
        "/feed-malformed.xml",
        "/feed-huge.xml",
        "/feed-laughs.xml",
        "/feed-xxe.xml",
    )
    sitemaps = (
        "/sitemap.xml",
        "/sitemap-index.xml",
        "/sitemap-laughs.xml",
        "/sitemap-xxe.xml",
        "/sitemap-malformed.xml",
        "/sitemap-huge.xml",
    )

    def reply(self, path: str) -> Reply:
        if path == "/news/rate-limited.html" and self.hits_on(path) == 1:
            return Reply(429, b"slow down", "text/plain", (("Retry-After", "1"),))
        if path.startswith("/news/redirect-loop"):
            n = int(path.rsplit("-", 1)[-1].split(".")[0]) if path[-6].isdigit() else 0
            return Reply(302, b"", headers=(("Location", f"/news/redirect-loop-{n + 1}.html"),))
        reply = self._replies.get(path)
        return reply if reply is not None else Reply(404, b"<h1>404</h1>")

    def _build(self) -> dict[str, Reply]:
        xml = "application/xml"
        links = [self.article_url(f) for f in (*FAULTS, *NEVER_FETCHED)]
        items = "".join(
            f"<item><title>{f}</title><link>{u}</link></item>"
            for f, u in zip((*FAULTS, *NEVER_FETCHED), links, strict=True)
        )
        rss = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>fault web</title><link>{self.base}/</link>{items}</channel></rss>"
        )
        redirects = "".join(
            f"<item><title>{f}</title><link>{self.article_url(f)}</link></item>"
            for f in FAULTS
            if f == "ok" or f.startswith("redirect-")
        )
        rss_redirects = rss.replace(items, redirects)
        urlset = "".join(f"<url><loc>{u}</loc></url>" for u in links)
        sitemap = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urlset}</urlset>'
        )
        index_a = (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.url('/sitemap-index-b.xml')}</loc></sitemap>"
            f"<sitemap><loc>{self.url('/sitemap-index.xml')}</loc></sitemap></sitemapindex>"
        )
        index_b = index_a.replace("/sitemap-index-b.xml", "/sitemap.xml")
        index_b = index_b.replace(
            "</sitemapindex>",
            f"<sitemap><loc>{self.url('/sitemap-index.xml')}</loc></sitemap></sitemapindex>",
        )
        laughs_feed = LAUGHS.replace("lolz", "rss") + (
            '<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
            f"<link>{self.url('/news/laughs-&lol9;.html')}</link></item></channel></rss>"
        )
        laughs_map = LAUGHS.replace("lolz", "urlset") + (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{self.base}/news/laughs-&lol9;.html</loc></url></urlset>"
        )
        xxe_doc = (
            '<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        )
        xxe_feed = xxe_doc.format(root="rss") + (
            '<rss version="2.0"><channel><title>x</title><item><title>x</title>'
            f"<link>{self.base}/news/xxe-&xxe;.html</link></item></channel></rss>"
        )
        xxe_map = xxe_doc.format(root="urlset") + (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{self.base}/news/xxe-&xxe;.html</loc></url></urlset>"
        )
        huge_items = "<url><loc>" + self.url("/section/not-an-article.html") + "</loc></url>"
        huge = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + huge_items * (12 * 1024 * 1024 // len(huge_items))
            + "</urlset>"
        )
        huge_feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
            + "<item><title>x</title><link>"
            + self.url("/section/x.html")
            + "</link></item>" * 1
            + "<item><title>"
            + "ع" * (12 * 1024 * 1024)
            + "</title></item></channel></rss>"
        )
        robots = "".join(f"Disallow /{i} ??? not a rule \x00\n" for i in range(30000))
        robots += "User-agent: *\nDisallow: /news/forbidden.html\nAllow: /\n"
        robots += "Sitemap: nonsense\n" * 1000
        text_ar = article_html("wrong-charset", charset="utf-8")
        r: dict[str, Reply] = {
            "/": Reply(200, f'<html><body><a href="{links[0]}">x</a></body></html>'.encode()),
            "/robots.txt": Reply(200, robots.encode(), "text/plain"),
            "/feed.xml": Reply(200, rss.encode(), "application/rss+xml"),
            "/feed-redirects.xml": Reply(200, rss_redirects.encode(), "application/rss+xml"),
            "/feed-malformed.xml": Reply(
                200, rss[: len(rss) // 2].encode() + b"<<&&</item", "application/rss+xml"
            ),
            "/feed-huge.xml": Reply(200, huge_feed.encode(), "application/rss+xml"),
            "/feed-laughs.xml": Reply(200, laughs_feed.encode(), "application/rss+xml"),
            "/feed-xxe.xml": Reply(200, xxe_feed.encode(), "application/rss+xml"),
            "/sitemap.xml": Reply(200, sitemap.encode(), xml),
            "/sitemap-index.xml": Reply(200, index_a.encode(), xml),
            "/sitemap-index-b.xml": Reply(200, index_b.encode(), xml),
            "/sitemap-laughs.xml": Reply(200, laughs_map.encode(), xml),
            "/sitemap-xxe.xml": Reply(200, xxe_map.encode(), xml),
            "/sitemap-malformed.xml": Reply(200, b"<urlset><url><loc>" + b"\xff\xfe" * 50, xml),
            "/sitemap-huge.xml": Reply(200, huge.encode(), xml),
            "/news/ok.html": Reply(200, article_html("ok").encode()),
            "/news/rate-limited.html": Reply(200, article_html("rate-limited").encode()),
            "/news/error-500.html": Reply(500, b"<h1>Internal Server Error</h1>"),
            "/news/error-503.html": Reply(503, b"<h1>Service Unavailable</h1>"),
            "/news/wrong-charset.html": Reply(
                200, text_ar.encode("cp1256", errors="replace"), "text/html; charset=utf-8"
            ),
            "/news/gzip-bomb.html": Reply(
                200, self._bomb, "text/html; charset=utf-8", (("Content-Encoding", "gzip"),)
            ),
            "/news/redirect-offsite.html": Reply(
                302, b"", headers=(("Location", self.other_base + "/news/elsewhere.html"),)
            ),
            "/news/redirect-localhost.html": Reply(
                302,
                b"",
                headers=(("Location", self.other_base.replace(self.other_host, "localhost")),),
            ),
            "/news/redirect-private.html": Reply(
                302, b"", headers=(("Location", "http://169.254.169.254/latest/meta-data/"),)
            ),
            "/news/redirect-private-10.html": Reply(
                302, b"", headers=(("Location", "http://10.255.255.1/news/x.html"),)
            ),
            "/news/image.html": Reply(200, _png(), "image/png"),
            "/news/report.html": Reply(200, PDF, "application/pdf"),
            "/news/deep.html": Reply(200, article_html("deep", depth=5000).encode()),
        }
        return r

    # -- seeds ---------------------------------------------------------------------------------
    def write_seeds(self, directory: Path, *, only_redirects: bool = False) -> Path:
        """``faultweb.toml`` in the public seeds format (``only_redirects``: just the feed of
        the redirecting pages, for a quick crawl with other network settings)."""
        feeds = ("/feed-redirects.xml",) if only_redirects else self.feeds
        sitemaps: tuple[str, ...] = () if only_redirects else self.sitemaps
        directory.mkdir(parents=True, exist_ok=True)

        def arr(paths: tuple[str, ...]) -> str:
            return "[" + ", ".join(f'"{self.url(p)}"' for p in paths) + "]"

        text = "\n".join(
            [
                "# the fault web (tests/faultweb): a hostile site on loopback",
                'name = "faultweb"',
                'language = "ar"',
                f'home_url = "{self.url("/")}"',
                f"feeds = {arr(feeds)}",
                f"sitemaps = {arr(sitemaps)}",
                f"start_urls = {arr(() if only_redirects else ('/',))}",
                "allow = ['/news/']",
                "deny = []",
                'schedule = "every 30m"',
                "max_pages_per_run = 200",
                "",
                "[politeness]",
                "download_delay = 0.0",
                "concurrency = 16",
                "obey_robots = true",
                "",
            ]
        )
        path = directory / "faultweb.toml"
        path.write_text(text, encoding="utf-8")
        return path


if __name__ == "__main__":  # pragma: no cover - manual exploration
    with FaultWeb() as web:
        print(web.base, web.other_base)
        time.sleep(600)
