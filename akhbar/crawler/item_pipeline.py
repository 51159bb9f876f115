"""The scrapy item pipeline: a thin adapter handing each fetched page to the plain pipeline."""

from __future__ import annotations

from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future

from akhbar.crawler.component import CrawlerComponent
from akhbar.records import FetchedPage


class IngestPipeline(CrawlerComponent):
    """Passes :class:`FetchedPage` items to the spider's :class:`SourceRun`."""

    async def process_item(self, item: Any) -> Any:
        """Hand the page on; with an extraction pool the item is done once the page is stored
        (scrapy holds back further downloads while too many pages are in the pipeline).

        A coroutine, as scrapy wants pipelines to be: the pool's Deferred is awaited through
        ``maybe_deferred_to_future`` (scrapy runs on the asyncio reactor)."""
        if isinstance(item, FetchedPage):
            run = getattr(self.crawler.spider, "run", None)
            if run is not None:
                stored = run.on_fetched(item)
                if stored is not None:
                    await maybe_deferred_to_future(stored)
        return item
