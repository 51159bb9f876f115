"""One site, ready to serve: its URL rules, entry points and every response, keyed by path.

All pages are rendered once when the site's port is known (absolute URLs in feeds, sitemaps,
``og:url`` and canonical links need it); serving is then a dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from akhbar.localweb import agency, feeds
from akhbar.localweb.agency import AgencySite
from akhbar.localweb.content import Kind, SiteContent, Story
from akhbar.localweb.feeds import Entry
from akhbar.localweb.markup import Page
from akhbar.localweb.modern import ModernSite
from akhbar.localweb.portal import PortalSite
from akhbar.localweb.renderer import SiteRenderer


@dataclass(frozen=True)
class SiteRules:
    """How a crawler finds and recognises this kind of site's articles (seeds values)."""

    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    start_urls: tuple[str, ...]
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    robots_disallow: tuple[str, ...]
    robots_allow: tuple[str, ...]
    robots_sitemap: str
    archive_urls: tuple[str, ...] = ()  # date archive templates (seeds ``archive_urls``)


RULES: dict[Kind, SiteRules] = {
    "portal": SiteRules(
        feeds=("/rss.xml",),
        sitemaps=(),
        start_urls=("/",),
        allow=(r"/news/[a-z]+/\d+$",),
        deny=(r"/(section|tag|author|page|search)/", r"\.(jpe?g|png|gif|pdf)$"),
        robots_disallow=("/print/", "/search"),
        robots_allow=(),
        robots_sitemap="/sitemap.xml",
    ),
    "agency": SiteRules(
        feeds=(),
        sitemaps=("/sitemap_index.xml",),
        start_urls=("/",),
        allow=(r"/ar/[a-z-]+/[^/]+/\d+$",),
        deny=(r"/ar/(tag|archive|search)/", r"\.(jpe?g|png|gif|pdf|mp4)$"),
        robots_disallow=("/ar/print/", "/ar/search"),
        robots_allow=(),
        robots_sitemap="/sitemap_index.xml",
    ),
    "modern": SiteRules(
        feeds=("/feed/atom/",),
        sitemaps=(),
        start_urls=("/",),
        allow=(r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/",),
        deny=(r"/(tag|author|category|feed)/", r"/wp-(admin|content)/"),
        robots_disallow=("/*/print/", "/wp-admin/"),
        robots_allow=("/wp-admin/admin-ajax.php",),
        robots_sitemap="/sitemap.xml",
        archive_urls=("/{date:%Y/%m/%d}/",),
    ),
}


@dataclass(frozen=True)
class BuiltSite:
    """A site's content bound to its base URL, with all its responses."""

    content: SiteContent
    base: str
    rules: SiteRules
    routes: dict[str, Page]
    not_found: Page
    chrome: frozenset[str]
    listing_pages: tuple[str, ...]  # paths of listing pages that match the article rules

    def url(self, path: str) -> str:
        return self.base + path

    def response(self, path: str) -> Page:
        return self.routes.get(path) or self.not_found


def _entries(site: SiteContent, base: str, stories: list[Story]) -> list[Entry]:
    authors = {a["slug"]: a["name"] for a in site.records("authors")}
    return [
        Entry(
            url=base + s.path,
            title=s.headline,
            published=s.published,
            modified=s.modified,
            summary=s.summary,
            category=site.section(s.section).title,
            author=authors.get(s.author, s.author),
        )
        for s in stories
    ]


def _missing_entries(site: SiteContent, base: str) -> list[Entry]:
    return [Entry(base + m.path, m.headline, m.published, m.published) for m in site.missing]


def _discovery(site: SiteContent, base: str) -> dict[str, Page]:
    """Feeds and sitemaps of a site; the withdrawn stories are still listed in one of them."""
    rules = RULES[site.kind]
    stories = list(site.stories)
    entries = _entries(site, base, stories)
    routes: dict[str, Page] = {
        "/robots.txt": feeds.robots(
            disallow=list(rules.robots_disallow),
            allow=list(rules.robots_allow),
            sitemap=base + rules.robots_sitemap,
        )
    }
    if site.kind == "portal":
        items = sorted(
            entries + _missing_entries(site, base), key=lambda e: e.published, reverse=True
        )
        routes["/rss.xml"] = feeds.rss(
            title=site.title,
            link=base + "/",
            description=site.tagline,
            self_url=base + "/rss.xml",
            entries=items,
        )
        routes["/sitemap.xml"] = feeds.urlset(entries)
    elif site.kind == "agency":
        recent = [e for e in entries if e.published.year >= 2024]
        newest = max(e.modified for e in entries)
        listing = Entry(base + agency.LISTING_PAGE_2, "", newest, newest)
        posts = [*entries, *_missing_entries(site, base), listing]
        routes["/sitemaps/news.xml"] = feeds.news_sitemap(recent, publication=site.title)
        routes["/sitemaps/posts-1.xml"] = feeds.urlset(posts)
        routes["/sitemap_index.xml"] = feeds.sitemap_index(
            [(base + "/sitemaps/news.xml", newest), (base + "/sitemaps/posts-1.xml", newest)]
        )
    else:
        routes["/feed/atom/"] = feeds.atom(
            title=site.title, link=base + "/", self_url=base + "/feed/atom/", entries=entries
        )
        routes["/sitemap.xml"] = feeds.urlset(entries, date_only=True)
        routes.update(_day_archives(site, base, entries))
    # feeds and sitemaps say when they last changed (the newest entry), as real sites do
    newest = max(e.modified for e in entries)
    children = ("/sitemaps/news.xml", "/sitemaps/posts-1.xml")
    for path in (*rules.feeds, *rules.sitemaps, rules.robots_sitemap, *children):
        if path in routes:
            routes[path] = replace(routes[path], last_modified=newest)
    return routes


def _day_archives(site: SiteContent, base: str, entries: list[Entry]) -> dict[str, Page]:
    """WordPress-style day archives (``/2024/03/04/``): the links of that day's stories (in
    the site's time zone, as the URLs are), for ``akhbar backfill``'s ``archive_urls``."""
    days: dict[str, list[Entry]] = {}
    for entry in entries:
        days.setdefault(f"/{entry.published:%Y/%m/%d}/", []).append(entry)
    return {path: feeds.day_archive(site.title, path, items) for path, items in days.items()}


def build_site(site: SiteContent, base: str) -> BuiltSite:
    """Render every response of ``site`` served at ``base`` (``http://127.0.0.x:PORT``)."""
    chrome: set[str] = set()
    renderer: SiteRenderer
    if site.kind == "portal":
        renderer = PortalSite(site, base, chrome)
    elif site.kind == "agency":
        renderer = AgencySite(site, base, chrome)
    else:
        renderer = ModernSite(site, base, chrome)
    routes = renderer.pages()
    routes.update(_discovery(site, base))
    listing_pages = (agency.LISTING_PAGE_2,) if site.kind == "agency" else ()
    return BuiltSite(
        content=site,
        base=base,
        rules=RULES[site.kind],
        routes=routes,
        not_found=renderer.not_found(),
        chrome=frozenset(chrome),
        listing_pages=listing_pages,
    )
