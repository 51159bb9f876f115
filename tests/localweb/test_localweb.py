"""The local news web over real HTTP: addresses, pages, feeds, sitemaps, robots, seeds, truth.

The truth must be complete: every URL a crawler can discover from a site's seeds (feeds,
sitemaps, start pages) and that matches the site's article rules is exactly one of: an
expected article, a wire copy, a rejected listing, a failed 404, or forbidden by robots.txt.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from protego import Protego

from akhbar.localweb import KnownTruth, LocalNewsWeb
from akhbar.localweb.content import load_sites
from akhbar.seeds import SourceConfig, load_seeds
from akhbar.urls import normalize_url

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


# -- helpers -------------------------------------------------------------------------------------
def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.meta: dict[str, str] = {}
        self.canonical = ""
        self.title = ""
        self.ld: list[str] = []
        self.html_attrs: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_attrs = a
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "meta" and "content" in a:
            self.meta[a.get("property") or a.get("name", "")] = a["content"]
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        elif tag == "title" or (tag == "script" and a.get("type") == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.ld.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.ld[-1] += data


def parse(body: bytes) -> _Parser:
    parser = _Parser()
    parser.feed(body.decode("utf-8"))
    return parser


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


def sources(seeds_dir: Path) -> dict[str, SourceConfig]:
    loaded = load_seeds(seeds_dir)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    return {s.name: s for s in loaded.sources}


def discover(source: SourceConfig) -> set[str]:
    """Every URL the crawler can reach from a source's seeds, before allow/deny rules."""
    found: set[str] = set()
    for feed in source.feeds:
        status, _, body = fetch(feed)
        assert status == 200
        root = ET.fromstring(body)
        found |= {e.text or "" for e in root.iter("link") if e.text}
        found |= {e.get("href", "") for e in root.iter(f"{ATOM}link") if e.get("rel") != "self"}
    pending = list(source.sitemaps)
    while pending:
        status, _, body = fetch(pending.pop())
        assert status == 200
        root = ET.fromstring(body)
        locs = [e.text or "" for e in root.iter(f"{SM}loc")]
        if root.tag == f"{SM}sitemapindex":
            pending += locs
        else:
            found |= set(locs)
    for start in source.start_urls:
        status, _, body = fetch(start)
        assert status == 200
        found |= {urljoin(start, href) for href in parse(body).links}
    return {normalize_url(u) for u in found}


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth(local_web: Any) -> KnownTruth:
    result: KnownTruth = local_web.truth
    return result


@pytest.fixture(scope="module")
def seeds_dir(local_web: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("localweb-seeds")
    local_web.write_seeds(directory, schedule="every 2h")
    return directory


# -- content (no server) -------------------------------------------------------------------------
def test_content_counts_lengths_and_no_cross_contamination() -> None:
    sites = load_sites()
    stories = [(site, s) for site in sites for s in site.stories]
    assert len(stories) >= 18
    assert all(5 <= len(site.stories) <= 8 for site in sites)
    headlines = [s.headline for _, s in stories]
    assert len(set(headlines)) == len(headlines)
    for site, story in stories:
        count = len(story.text.split())
        assert story.seed or 150 <= count <= 450, (site.name, story.key, count)
        assert story.snippet in story.text
        assert " - " not in story.headline  # the <title> suffix separator
        others = [h for h in headlines if h != story.headline]
        assert not [h for h in others if h in story.text], story.key


def test_wire_copies_are_near_duplicates_and_all_else_clearly_differs() -> None:
    stories = [s for site in load_sites() for s in site.stories]
    wire = [s for s in stories if s.wire]
    assert len(wire) == 2
    a, b = (words(" ".join(s.paragraphs)) for s in wire)
    assert len(a & b) / len(a | b) >= 0.8
    assert wire[0].dateline != wire[1].dateline
    assert len(wire[0].paragraphs) != len(wire[1].paragraphs)
    for x, y in combinations(stories, 2):
        if x.wire and y.wire:
            continue
        wx, wy = words(" ".join(x.paragraphs)), words(" ".join(y.paragraphs))
        assert len(wx & wy) / len(wx | wy) < 0.3, (x.key, y.key)


def test_seed_stories_are_kept_from_the_seed_pages(seed_pages_dir: Path) -> None:
    by_seed = {s.seed: s for site in load_sites() for s in site.stories if s.seed}
    seed_dir = seed_pages_dir
    text_000 = next(seed_dir.glob("000_*.txt")).read_text(encoding="utf-8")
    text_003 = next(seed_dir.glob("003_*.txt")).read_text(encoding="utf-8")
    story_000, story_003 = by_seed["000"], by_seed["003"]
    assert story_000.headline in text_000
    assert [b.text for b in story_000.blocks if b.kind == "h2"] == [
        "رسالة من أمير قطر",
        "العراق والشيشان",
        "الغاز والاستثمارات",
        "تنويع الشراكات",
    ]
    assert len(story_000.sources) == 6
    assert all(" ".join(p.split()) in " ".join(text_000.split()) for p in story_000.paragraphs)
    assert story_003.paragraphs[-1].endswith("ثم كانت زيارة العمل التالية له في مارس 2022.")
    assert all(" ".join(p.split()) in " ".join(text_003.split()) for p in story_003.paragraphs)


def test_no_chrome_string_in_any_story(truth: KnownTruth) -> None:
    texts = [s.text for site in load_sites() for s in site.stories]
    assert len(truth.chrome_strings) >= 30
    for chrome in truth.chrome_strings:
        assert not [t for t in texts if chrome in t], chrome
    for expected in ("قد يهمك أيضا", "أخبار ذات صلة", "اخر الاخبار", "الأخبار الأكثر قراءة"):
        assert expected in truth.chrome_strings
    assert any(c.startswith("View on ") for c in truth.chrome_strings)
    assert any(c.startswith("الرئيسية » ") for c in truth.chrome_strings)
    assert any(c.endswith("…") for c in truth.chrome_strings)


# -- serving -------------------------------------------------------------------------------------
def test_each_site_on_its_own_loopback_address(local_web: Any) -> None:
    sites = local_web.sites
    assert len(sites) >= 3
    hosts = [urlsplit(s.base_url).hostname for s in sites]
    assert hosts == [f"127.0.0.{11 + i}" for i in range(len(sites))]
    for site in sites:
        assert re.fullmatch(r"[a-z0-9_.-]+", site.name) and site.language == "ar"
        status, headers, body = fetch(site.base_url + "/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        page = parse(body)
        assert page.html_attrs == {"lang": "ar", "dir": "rtl"}
        assert site.title in page.title


def test_truth_urls_resolve(truth: KnownTruth) -> None:
    urls = [a.url for a in truth.articles] + list(truth.wire_copies) + truth.rejected
    for url in urls:
        status, headers, _ = fetch(url)
        assert status == 200 and headers["Content-Type"].startswith("text/html"), url
    for url in truth.failed:
        status, headers, body = fetch(url)
        assert status == 404 and headers["Content-Type"].startswith("text/html"), url
        assert b"<html" in body
    assert set(truth.seed_pair) <= {a.url for a in truth.articles}
    assert len(truth.articles) == truth.expected_article_count
    assert truth.expected_duplicate_count == 1
    assert len([u for u in truth.wire_copies if u in {a.url for a in truth.articles}]) == 1
    everything = urls + truth.failed + truth.robots_disallowed
    assert all(normalize_url(u) == u for u in everything)  # what the crawler will store


def test_unknown_paths_404_and_head_requests(local_web: Any, truth: KnownTruth) -> None:
    for site in local_web.sites:
        status, headers, body = fetch(site.base_url + "/no/such/page")
        assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert 'dir="rtl"' in body.decode()
    url = truth.articles[0].url
    status, headers, body = fetch(url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_article_pages_have_realistic_heads(local_web: Any, truth: KnownTruth) -> None:
    titles = {s.base_url: s.title for s in local_web.sites}
    for expected in truth.articles:
        _, _, body = fetch(expected.url)
        page = parse(body)
        parts = urlsplit(expected.url)
        site_title = titles[f"{parts.scheme}://{parts.netloc}"]
        assert page.title == f"{expected.title} - {site_title}"
        assert page.canonical == expected.url
        assert page.meta["og:type"] == "article" and page.meta["og:url"] == expected.url
        assert page.meta["og:title"] == expected.title
        assert page.meta["og:image"].startswith("http://127.0.0.")
        assert page.meta["description"]
        ld = json.loads(page.ld[0])
        assert ld["@type"] == "NewsArticle" and ld["headline"] == expected.title
        for key in ("datePublished", "dateModified", "author", "articleSection", "keywords"):
            assert ld[key], key
        assert re.search(r"(Z|[+-]\d\d:\d\d)$", ld["datePublished"])


def test_section_page_is_a_listing(truth: KnownTruth) -> None:
    (url,) = truth.rejected
    _, _, body = fetch(url)
    page = parse(body)
    html = body.decode()
    assert page.meta["og:type"] == "website"
    assert html.count('class="news-item"') >= 10
    assert html.count('class="excerpt"') >= 10
    assert 'class="pagination"' in html
    listing = html.split('class="listing"', 1)[1].split("</section>", 1)[0]
    assert "<p>" not in listing  # teasers and one-line summaries only, no article body


# -- entry points --------------------------------------------------------------------------------
def test_robots_txt(local_web: Any, truth: KnownTruth) -> None:
    for site in local_web.sites:
        status, headers, body = fetch(site.base_url + "/robots.txt")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        text = body.decode()
        robots = Protego.parse(text)
        (sitemap,) = re.findall(r"^Sitemap: (\S+)$", text, re.M)
        assert sitemap.startswith(site.base_url) and fetch(sitemap)[0] == 200
        mine = [u for u in truth.robots_disallowed if u.startswith(site.base_url + "/")]
        assert mine and not [u for u in mine if robots.can_fetch(u, "akhbar")]
        allowed = [a.url for a in truth.articles if a.url.startswith(site.base_url + "/")]
        assert all(robots.can_fetch(u, "akhbar") for u in allowed)


def test_rss_feed(local_web: Any, truth: KnownTruth) -> None:
    site = local_web.sites[0]
    status, headers, body = fetch(site.base_url + "/rss.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert all(i.findtext("pubDate") for i in items)
    links = {i.findtext("link") for i in items}
    mine = {a.url for a in truth.articles if a.url.startswith(site.base_url + "/")}
    assert mine <= links
    assert any(u in links for u in truth.failed)


def test_sitemap_index_with_news_sitemap(local_web: Any, truth: KnownTruth) -> None:
    site = local_web.sites[1]
    _, _, body = fetch(site.base_url + "/sitemap_index.xml")
    index = ET.fromstring(body)
    assert index.tag == f"{SM}sitemapindex"
    children = [e.text or "" for e in index.iter(f"{SM}loc")]
    assert len(children) == 2 and all(e.text for e in index.iter(f"{SM}lastmod"))
    locs: set[str] = set()
    news_dates = 0
    for child in children:
        status, headers, child_body = fetch(child)
        assert status == 200 and headers["Content-Type"].startswith("application/xml")
        urlset = ET.fromstring(child_body)
        assert urlset.tag == f"{SM}urlset"
        for url in urlset.iter(f"{SM}url"):
            assert url.findtext(f"{SM}lastmod")
            locs.add(url.findtext(f"{SM}loc") or "")
            news_dates += len(url.findall(f"{NEWS}news/{NEWS}publication_date"))
    assert news_dates > 0
    mine = {a.url for a in truth.articles if a.url.startswith(site.base_url + "/")}
    assert mine <= locs
    assert set(truth.rejected) <= locs
    assert any(u in locs for u in truth.failed)


def test_atom_feed(local_web: Any, truth: KnownTruth) -> None:
    site = local_web.sites[2]
    status, headers, body = fetch(site.base_url + "/feed/atom/")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    links = {e.get("href") for e in root.iter(f"{ATOM}link")}
    mine = {a.url for a in truth.articles if a.url.startswith(site.base_url + "/")}
    assert mine and mine <= links
    assert truth.wire_copies[1] in links


# -- seeds and the completeness of the truth -----------------------------------------------------
def test_seeds_files(local_web: Any, seeds_dir: Path, truth: KnownTruth) -> None:
    files = sorted(seeds_dir.glob("*.toml"))
    assert [f.stem for f in files] == sorted(s.name for s in local_web.sites)
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert data["name"] == path.stem and data["schedule"] == "every 2h"
        assert data["politeness"] == {"download_delay": 0.0, "concurrency": 4, "obey_robots": True}
        assert data["feeds"] or data["sitemaps"]
    configs = sources(seeds_dir)
    site_of = {s.base_url: s.name for s in local_web.sites}

    def config(url: str) -> SourceConfig:
        parts = urlsplit(url)
        return configs[site_of[f"{parts.scheme}://{parts.netloc}"]]

    must_match = [a.url for a in truth.articles] + list(truth.wire_copies)
    must_match += truth.rejected + truth.failed + truth.robots_disallowed
    for url in must_match:
        assert config(url).is_article_url(url), url
    for site in local_web.sites:
        source = configs[site.name]
        for path in ("/", "/robots.txt", "/sitemap.xml"):
            assert not source.is_article_url(site.base_url + path)
        for url in source.feeds + source.sitemaps + source.start_urls:
            assert not source.is_article_url(url)


def test_truth_is_complete_for_what_a_crawler_discovers(
    local_web: Any, seeds_dir: Path, truth: KnownTruth
) -> None:
    configs = sources(seeds_dir)
    known = {a.url for a in truth.articles} | set(truth.wire_copies)
    known |= set(truth.rejected) | set(truth.failed)
    for site in local_web.sites:
        source = configs[site.name]
        candidates = {u for u in discover(source) if source.is_article_url(u)}
        assert all(u.startswith(site.base_url + "/") for u in candidates)
        robots = Protego.parse(fetch(site.base_url + "/robots.txt")[2].decode())
        forbidden = {u for u in candidates if not robots.can_fetch(u, "akhbar")}
        assert forbidden, f"{site.name}: no robots-forbidden URL is discoverable"
        assert forbidden <= set(truth.robots_disallowed)
        mine = {u for u in known if u.startswith(site.base_url + "/")}
        assert candidates - forbidden == mine, site.name


# -- lifecycle and command line ------------------------------------------------------------------
def test_start_is_idempotent_and_stop_releases(tmp_path: Path) -> None:
    web = LocalNewsWeb(first_host=31)
    with pytest.raises(RuntimeError):
        _ = web.sites
    web.start()
    try:
        first = [s.base_url for s in web.sites]
        web.start()
        assert [s.base_url for s in web.sites] == first
        assert first[0].startswith("http://127.0.0.31:")
        assert len(web.write_seeds(tmp_path)) == len(first)
    finally:
        web.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(first[0] + "/", timeout=2)


def test_module_entry_point_serves_and_writes_seeds(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "akhbar.localweb", "--first-host", "41", "--seeds-out"]
    proc = subprocess.Popen([*cmd, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("serving"):
            line = proc.stdout.readline()
            assert line, "entry point exited early"
            lines.append(line.strip())
        urls = re.findall(r"http://127\.0\.0\.4\d:\d+", "\n".join(lines))
        assert len(urls) == 3 and fetch(urls[0] + "/")[0] == 200
        assert len(list(tmp_path.glob("*.toml"))) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_bare_trafilatura_leaves_portal_chrome(truth: KnownTruth) -> None:
    """The portal page tests the cleaner: bare trafilatura keeps some of its chrome, which
    akhbar's pre-cleaning removes (tests/crawler/test_extract_cli.py)."""
    import trafilatura

    _, _, body = fetch(truth.seed_pair[1])
    text = trafilatura.extract(body.decode("utf-8")) or ""
    assert text  # the article itself is found
    leaked = [c for c in truth.chrome_strings if c in text]
    assert leaked, "the portal's chrome no longer fools bare trafilatura"
