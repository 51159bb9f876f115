"""Scrapy components that need nothing but the crawler they run in (its spider, its engine)."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler


class CrawlerComponent:
    """Built by scrapy through :meth:`from_crawler`; keeps the crawler as ``self.crawler``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)
