"""Machine-readable entry points: RSS 2.0, Atom, sitemaps (plain, Google News, index), robots.

Built with ``xml.etree.ElementTree`` so escaping and namespaces are always right. Each document
lists absolute URLs under the site's real ``base`` (scheme, loopback host and bound port).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from akhbar.localweb.markup import Page, utc_z

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)
ET.register_namespace("atom", ATOM_NS)


@dataclass(frozen=True)
class Entry:
    """One item of a feed or sitemap."""

    url: str
    title: str
    published: datetime
    modified: datetime
    summary: str = ""
    category: str = ""
    author: str = ""


def _xml(root: ET.Element, content_type: str) -> Page:
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Page(body, content_type)


def _sub(parent: ET.Element, tag: str, text: str = "", **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text:
        element.text = text
    return element


def rss(*, title: str, link: str, description: str, self_url: str, entries: list[Entry]) -> Page:
    """RSS 2.0 with RFC 822 dates (``Thu, 13 Oct 2022 18:42:00 +0100``)."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", link)
    _sub(channel, "description", description)
    _sub(channel, "language", "ar")
    _sub(channel, f"{{{ATOM_NS}}}link", href=self_url, rel="self", type="application/rss+xml")
    if entries:
        _sub(channel, "lastBuildDate", format_datetime(max(e.modified for e in entries)))
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.url)
        _sub(item, "guid", entry.url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(entry.published))
        if entry.category:
            _sub(item, "category", entry.category)
        if entry.summary:
            _sub(item, "description", entry.summary)
    return _xml(root, RSS_TYPE)


def atom(*, title: str, link: str, self_url: str, entries: list[Entry]) -> Page:
    """Atom 1.0 with RFC 3339 UTC dates (``2024-03-04T11:40:00Z``)."""
    root = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "ar"})
    _sub(root, f"{{{ATOM_NS}}}title", title)
    _sub(root, f"{{{ATOM_NS}}}id", link)
    _sub(root, f"{{{ATOM_NS}}}link", href=link, rel="alternate", type="text/html")
    _sub(root, f"{{{ATOM_NS}}}link", href=self_url, rel="self", type="application/atom+xml")
    _sub(root, f"{{{ATOM_NS}}}updated", utc_z(max(e.modified for e in entries)))
    for entry in entries:
        node = _sub(root, f"{{{ATOM_NS}}}entry")
        _sub(node, f"{{{ATOM_NS}}}title", entry.title)
        _sub(node, f"{{{ATOM_NS}}}id", entry.url)
        _sub(node, f"{{{ATOM_NS}}}link", href=entry.url, rel="alternate", type="text/html")
        _sub(node, f"{{{ATOM_NS}}}published", utc_z(entry.published))
        _sub(node, f"{{{ATOM_NS}}}updated", utc_z(entry.modified))
        author = _sub(node, f"{{{ATOM_NS}}}author")
        _sub(author, f"{{{ATOM_NS}}}name", entry.author)
        if entry.category:
            _sub(node, f"{{{ATOM_NS}}}category", term=entry.category)
        _sub(node, f"{{{ATOM_NS}}}summary", entry.summary, type="text")
    return _xml(root, ATOM_TYPE)


def urlset(entries: Iterable[Entry], *, date_only: bool = False) -> Page:
    """A plain sitemap; ``lastmod`` as a W3C date or date-time."""
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for entry in entries:
        url = _sub(root, f"{{{SITEMAP_NS}}}url")
        _sub(url, f"{{{SITEMAP_NS}}}loc", entry.url)
        lastmod = entry.modified.date().isoformat() if date_only else entry.modified.isoformat()
        _sub(url, f"{{{SITEMAP_NS}}}lastmod", lastmod)
    return _xml(root, XML_TYPE)


def news_sitemap(entries: Iterable[Entry], *, publication: str) -> Page:
    """A Google News sitemap (``news:publication_date``, ``news:title``)."""
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for entry in entries:
        url = _sub(root, f"{{{SITEMAP_NS}}}url")
        _sub(url, f"{{{SITEMAP_NS}}}loc", entry.url)
        _sub(url, f"{{{SITEMAP_NS}}}lastmod", entry.modified.isoformat())
        news = _sub(url, f"{{{NEWS_NS}}}news")
        pub = _sub(news, f"{{{NEWS_NS}}}publication")
        _sub(pub, f"{{{NEWS_NS}}}name", publication)
        _sub(pub, f"{{{NEWS_NS}}}language", "ar")
        _sub(news, f"{{{NEWS_NS}}}publication_date", entry.published.isoformat())
        _sub(news, f"{{{NEWS_NS}}}title", entry.title)
    return _xml(root, XML_TYPE)


def sitemap_index(children: list[tuple[str, datetime]]) -> Page:
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    for loc, lastmod in children:
        node = _sub(root, f"{{{SITEMAP_NS}}}sitemap")
        _sub(node, f"{{{SITEMAP_NS}}}loc", loc)
        _sub(node, f"{{{SITEMAP_NS}}}lastmod", lastmod.isoformat())
    return _xml(root, XML_TYPE)


def robots(*, disallow: list[str], allow: list[str], sitemap: str) -> Page:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in disallow]
    lines += [f"Allow: {path}" for path in allow]
    lines += ["", f"Sitemap: {sitemap}", ""]
    return Page("\n".join(lines).encode("utf-8"), TEXT_TYPE)


def day_archive(site_title: str, path: str, entries: list[Entry]) -> Page:
    """A day archive page: a plain list of the day's article links."""
    from html import escape

    items = "".join(f'<li><a href="{escape(e.url)}">{escape(e.title)}</a></li>' for e in entries)
    body = (
        f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{escape(path.strip('/'))} - {escape(site_title)}</title></head>"
        f"<body><h1>{escape(path.strip('/'))}</h1><ul>{items}</ul></body></html>"
    )
    return Page(body.encode("utf-8"))
