"""Real pages for the throughput benchmark: served on loopback, or written to a WARC.

The synthetic scaled web is easier for trafilatura than pages nobody here wrote, so the
pipeline benchmark also runs on the real pages of ``../shared/real-pages`` and
``../shared/wcxb-articles`` (third-party pages: read from ``../shared`` at run time, never copied
into the repository). Each page is served byte for byte as stored, under
``http://127.0.0.(31+k):PORT/articles/<id>.html`` on ``hosts`` loopback sites (pages dealt out
round-robin), each site with a sitemap listing its pages and an allow-all robots.txt; or written
as WARC response records under the same URLs for ``akhbar backfill --warc``.

Run alone: ``python benchmarks/realweb.py serve --seeds-out DIR [--hosts 4]`` prints one
``serving URL`` line per site and ``ready N`` when all are up (the pipeline benchmark starts it
this way so the server's CPU shows apart from the crawler's).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETS = ("real-pages", "wcxb-articles")
FIRST_HOST = 31
# every language the two sets hold, and then some: the benchmark measures work, so no page may
# be turned away as `wrong_language` before the cleaner has done its whole job
LANGUAGES = [
    "en", "de", "fr", "es", "pt", "it", "nl", "ru", "uk", "pl", "cs", "tr", "ar", "fa", "he",
    "hi", "bn", "id", "ms", "vi", "th", "zh", "ja", "ko", "sv", "da", "no", "fi", "el", "ro",
    "hu", "bg", "sr", "hr", "ca", "et", "lt", "lv", "sk", "sl", "ur", "ta",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class RealPage:
    set: str
    id: str
    html: bytes

    @property
    def path(self) -> str:
        return f"/articles/{self.id}.html"


def load_pages(shared: Path = SHARED, sets: tuple[str, ...] = SETS) -> list[RealPage]:
    """Every page of the named sets, as the bytes their manifests point at."""
    pages: list[RealPage] = []
    for name in sets:
        manifest = shared / name / "manifest.jsonl"
        if not manifest.is_file():
            raise SystemExit(f"real pages not found: {manifest} (../shared beside the checkout)")
        for line in manifest.read_text().splitlines():
            row = json.loads(line)
            raw = (manifest.parent / row["html"]).read_bytes()
            pages.append(RealPage(name, row["id"], gzip.decompress(raw)))
    return pages


def deal(pages: list[RealPage], hosts: int) -> list[list[RealPage]]:
    """Pages dealt round-robin to ``hosts`` sites (so every site holds both sets)."""
    return [pages[k::hosts] for k in range(hosts)]


def sitemap(base: str, pages: list[RealPage]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p.path}</loc></url>" for p in pages)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def seeds_toml(name: str, base: str, pages: int) -> str:
    sys.path.insert(0, str(ROOT))
    from akhbar.localweb.seedfiles import loopback_politeness

    langs = ", ".join(f'"{code}"' for code in LANGUAGES)
    return "\n".join(
        [
            f"# real pages served on loopback by benchmarks/realweb.py ({pages} pages)",
            f'name = "{name}"',
            f"language = [{langs}]",
            f'home_url = "{base}/"',
            f'sitemaps = ["{base}/sitemap.xml"]',
            "allow = ['/articles/']",
            f"max_pages_per_run = {max(pages * 2, 10)}",
            *loopback_politeness(8),
        ]
    )


def write_warc(path: Path, base: str, pages: list[RealPage]) -> None:
    """One gzipped WARC of HTTP response records, the pages under ``base``."""
    from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
    from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for page in pages:
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html"), ("Content-Length", str(len(page.html)))],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                f"{base}{page.path}",
                "response",
                payload=io.BytesIO(page.html),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": when},
            )
            writer.write_record(record)


# -- serving --------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        server = cast(Any, self.server)
        path = urlsplit(self.path).path
        if path in ("/robots.txt", "/sitemap.xml"):  # a crawl's first requests: its start-up
            sys.stdout.write(f"first-request {time.time()}\n")  # one write: threads interleave
            sys.stdout.flush()
        body = server.routes.get(path)
        if body is None:
            self.send_error(404)
            return
        kind = "application/xml" if path.endswith(".xml") else "text/plain"
        if path.endswith(".html"):
            kind = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(pages: list[RealPage], hosts: int) -> Iterator[list[tuple[str, list[RealPage]]]]:
    """Serve the pages on ``hosts`` loopback sites; yields (base URL, its pages) per site."""
    sys.path.insert(0, str(ROOT))
    from akhbar.localweb.server import QuietHTTPServer, serve_in_background, shut_down

    servers: list[QuietHTTPServer] = []
    threads = []
    sites: list[tuple[str, list[RealPage]]] = []
    try:
        for k, share in enumerate(deal(pages, hosts)):
            host = f"127.0.0.{FIRST_HOST + k}"
            server = QuietHTTPServer((host, 0), _Handler)
            base = f"http://{host}:{server.server_address[1]}"
            routes = {p.path: p.html for p in share}
            routes["/sitemap.xml"] = sitemap(base, share)
            routes["/robots.txt"] = b"User-agent: *\nAllow: /\n"
            server.routes = routes  # type: ignore[attr-defined]
            servers.append(server)
            threads.append(serve_in_background(server, f"realweb-{k}"))
            sites.append((base, share))
        yield sites
    finally:
        shut_down(servers, threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--seeds-out", type=Path, required=True)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--limit", type=int, help="the first N pages only")
    args = parser.parse_args()
    pages = load_pages(args.shared)[: args.limit]
    with serve(pages, args.hosts) as sites:
        args.seeds_out.mkdir(parents=True, exist_ok=True)
        for k, (base, share) in enumerate(sites):
            (args.seeds_out / f"real{k}.toml").write_text(seeds_toml(f"real{k}", base, len(share)))
            print(f"serving {base} ({len(share)} pages)", flush=True)
        print(f"ready {len(pages)}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
