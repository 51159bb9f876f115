"""The scrapy item pipeline: a thin adapter handing each fetched page to the plain pipeline."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from akhbar.records import FetchedPage


class IngestPipeline:
    """Passes :class:`FetchedPage` items to the spider's :class:`SourceRun`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedPage):
            run = getattr(self.crawler.spider, "run", None)
            if run is not None:
                run.on_page(item)
        return item
