"""Discovery parsers on feeds and sitemaps written the way real sites write them."""

from __future__ import annotations

import gzip

import pytest

from akhbar.crawler.discovery import DiscoveryError, feed_links, parse_sitemap
from akhbar.urls import normalize_url

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>أخبار</title><link>https://news.test/</link>
<item><title>خبر أول</title><link>https://news.test/news/1/</link></item>
<item><title>خبر ثان</title><link>https://news.test/news/2/?utm_source=rss</link></item>
<item><title>بلا رابط</title></item>
</channel></rss>""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>وكالة</title>
<entry><title>خبر</title><link rel="alternate" href="https://wire.test/a/9"/>
<id>urn:x</id><updated>2024-01-01T00:00:00Z</updated></entry></feed>""".encode()

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://wire.test/sitemap-news.xml</loc><lastmod>2024-01-02</lastmod></sitemap>
<sitemap><loc>https://wire.test/sitemap-2023.xml.gz</loc></sitemap>
</sitemapindex>"""

NEWS_URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://wire.test/a/1</loc><lastmod>2024-01-02T10:00:00+03:00</lastmod>
<news:news><news:publication_date>2024-01-02T09:00:00+03:00</news:publication_date></news:news></url>
<url><loc> https://wire.test/a/2 </loc></url>
</urlset>"""


def test_rss_links_in_order() -> None:
    assert feed_links(RSS) == [
        "https://news.test/news/1/",
        "https://news.test/news/2/?utm_source=rss",
    ]


def test_atom_links() -> None:
    assert feed_links(ATOM) == ["https://wire.test/a/9"]


def test_unreadable_feed_is_an_error_not_a_crash() -> None:
    with pytest.raises(DiscoveryError):
        feed_links(b"<html><body>not a feed</body></html>")


def test_sitemap_index_and_urlset() -> None:
    index = parse_sitemap(INDEX, max_size=10**6)
    assert index.is_index
    assert index.entries[0].loc == "https://wire.test/sitemap-news.xml"
    assert index.entries[0].lastmod == "2024-01-02"
    urls = parse_sitemap(NEWS_URLSET, max_size=10**6)
    assert not urls.is_index
    assert [e.loc for e in urls.entries] == ["https://wire.test/a/1", "https://wire.test/a/2"]


def test_gzipped_sitemap() -> None:
    doc = parse_sitemap(gzip.compress(NEWS_URLSET), max_size=10**6)
    assert len(doc.entries) == 2


@pytest.mark.parametrize("body", [b"", b"garbage", b"<html><body/></html>"])
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, max_size=10**6)


def test_url_normalisation_removes_tracking_and_fragments() -> None:
    assert (
        normalize_url("HTTP://News.TEST:8080/news/2/?utm_source=rss&id=4#top")
        == "http://news.test:8080/news/2/?id=4"
    )
