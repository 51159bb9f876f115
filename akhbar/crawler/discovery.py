"""Article-URL discovery from feeds and sitemaps: plain functions over response bodies.

Feeds are parsed with feedparser (RSS 0.9x/1.0/2.0, Atom), sitemaps with scrapy's lxml-based
``Sitemap`` reader (entities off, recover mode); gzipped sitemaps are inflated with a size cap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import feedparser
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a urlset, or one ``<sitemap>`` of an index."""

    loc: str
    lastmod: str | None = None


@dataclass(frozen=True, slots=True)
class SitemapDocument:
    is_index: bool
    entries: list[SitemapEntry]


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read at all."""


def feed_links(body: bytes) -> list[str]:
    """The entry links of an RSS or Atom feed, in feed order."""
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise DiscoveryError(f"not a feed: {problem!s}")
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            link = next((x.get("href") for x in entry.get("links", []) if x.get("href")), None)
        if link:
            links.append(str(link))
    return links


def parse_sitemap(body: bytes, max_size: int) -> SitemapDocument:
    """Read a (possibly gzipped) sitemap or sitemap index."""
    if body.startswith(GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=max_size)
        except Exception as exc:  # truncated/oversized gzip: scrapy raises several types
            raise DiscoveryError(f"bad gzip sitemap: {exc}") from exc
    try:
        sitemap = Sitemap(body)
    except Exception as exc:  # lxml raises on empty or non-XML bodies
        raise DiscoveryError(f"not a sitemap: {exc}") from exc
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise DiscoveryError(f"not a sitemap: root element <{sitemap.type}>")
    entries = [
        SitemapEntry(loc=str(item["loc"]).strip(), lastmod=item.get("lastmod"))
        for item in _iter_safely(sitemap)
        if item.get("loc")
    ]
    return SitemapDocument(is_index=sitemap.type == "sitemapindex", entries=entries)


def _iter_safely(sitemap: Sitemap) -> Iterator[dict[str, str]]:
    try:
        yield from sitemap
    except Exception:  # a broken tail still leaves the entries read so far
        return


def parse_lastmod(text: str) -> datetime | None:
    """A sitemap ``lastmod`` (W3C datetime: ``2024-03-04``, ``2024-03-04T10:15:00+03:00``,
    ``...Z``) as an aware UTC datetime; a bare date means the end of that day (UTC), so a
    sitemap changed later that day is not taken for older. ``None`` when unreadable."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) <= 10:  # a date alone
        return datetime.combine(parsed.date(), time.max, tzinfo=UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
