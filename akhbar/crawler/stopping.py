"""Stopping a crawl quickly and cleanly on SIGTERM/SIGINT, whatever the download delays.

Scrapy's graceful stop waits for every request the engine has handed to the downloader. With a
``download_delay`` that includes the requests queued in the per-domain slots, each waiting its
turn (16 of them at 2 s is half a minute), and a back-off sleep before a retry: long enough for
a supervisor to SIGKILL the process before it writes its run rows. On a stop, akhbar therefore

* drops the requests still waiting in the downloader's slot queues, and any request that
  reaches the downloader afterwards (:class:`RequestDropped`; the spider records nothing for
  them, so their URLs are fetched by the next run);
* cuts short the retry back-off sleeps (:class:`akhbar.crawler.middlewares.BackoffRetryMiddleware`
  hands on the response or error it has instead of retrying);
* lets the downloads already on the wire finish, for at most ``STOP_GRACE`` seconds; then they
  are cancelled (:class:`StoppableHTTPDownloadHandler`) and dropped like the queued ones.

Pages already downloaded go through the pipeline and are stored; the spider then closes with
reason ``shutdown`` and its run ends ``interrupted`` with the counters of what was stored.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.reactor import is_asyncio_reactor_installed
from twisted.internet.defer import Deferred

from akhbar.crawler.component import CrawlerComponent

log = logging.getLogger(__name__)

STOP_GRACE = 3.0  # seconds downloads already on the wire may take to finish after a stop


class RequestDropped(IgnoreRequest):
    """A request given up because the crawl is stopping (not a failure of the page)."""


@dataclass(slots=True)
class StopState:
    """Whether one crawler is stopping, and the downloads it has on the wire."""

    stopping: bool = False
    inflight: set[asyncio.Future[Any]] = field(default_factory=set)
    cancelled: set[asyncio.Future[Any]] = field(default_factory=set)


_STATES: weakref.WeakKeyDictionary[Crawler, StopState] = weakref.WeakKeyDictionary()


def stop_state(crawler: Crawler) -> StopState:
    """The crawler's :class:`StopState` (one per crawler, created on first use)."""
    state = _STATES.get(crawler)
    if state is None:
        state = _STATES[crawler] = StopState()
    return state


def is_stopping(crawler: Crawler | None) -> bool:
    return crawler is not None and stop_state(crawler).stopping


def drop_queued_requests(crawler: Crawler) -> int:
    """Fail the requests waiting in the downloader's slot queues with :class:`RequestDropped`;
    returns how many. Requests being transferred are left alone."""
    engine = crawler.engine
    downloader = getattr(engine, "downloader", None) if engine is not None else None
    if downloader is None:
        return 0
    dropped = 0
    for slot in list(downloader.slots.values()):
        slot.close()  # cancels the delayed call that would start the next queued download
        while slot.queue:
            request, waiting = slot.queue.popleft()
            waiting.errback(RequestDropped(f"crawl stopping: {request.url} not fetched"))
            dropped += 1
    return dropped


def cancel_inflight(crawler: Crawler) -> int:
    """Cancel the downloads still on the wire; returns how many."""
    state = stop_state(crawler)
    pending = [f for f in state.inflight if not f.done()]
    for future in pending:
        state.cancelled.add(future)
        future.cancel()
    return len(pending)


class StopDropMiddleware(CrawlerComponent):
    """First downloader middleware: once the crawl is stopping, no request is downloaded."""

    def process_request(self, request: Request) -> None:
        if is_stopping(self.crawler):
            raise RequestDropped(f"crawl stopping: {request.url} not fetched")


class StoppableHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler whose downloads a stopping crawl can cancel."""

    async def download_request(self, request: Request) -> Response:
        if not is_asyncio_reactor_installed():
            return await super().download_request(request)
        download = asyncio.ensure_future(super().download_request(request))
        state = stop_state(self._crawler)
        state.inflight.add(download)
        try:
            return await download
        except asyncio.CancelledError:
            if download not in state.cancelled:
                raise
            # an Exception, not CancelledError: scrapy's downloader then releases the request
            raise RequestDropped(f"crawl stopping: {request.url} cancelled mid-download") from None
        finally:
            state.inflight.discard(download)
            state.cancelled.discard(download)


class StoppingCrawlerProcess(CrawlerProcess):
    """A ``CrawlerProcess`` whose stop (first SIGTERM/SIGINT) does not wait for delays."""

    def stop(self) -> Deferred[Any]:
        for crawler in list(self.crawlers):
            stop_state(crawler).stopping = True
            dropped = drop_queued_requests(crawler)
            name = getattr(crawler.spider, "name", "?")
            log.info("%s: stopping; %d queued requests dropped", name, dropped)
            call_later(STOP_GRACE, self._cancel_late_downloads, crawler)
        return super().stop()

    @staticmethod
    def _cancel_late_downloads(crawler: Crawler) -> None:
        dropped = drop_queued_requests(crawler)  # e.g. redirects and retries queued since
        cancelled = cancel_inflight(crawler)
        if dropped or cancelled:
            name = getattr(crawler.spider, "name", "?")
            log.info(
                "%s: stopping; %d downloads cancelled, %d queued requests dropped",
                name,
                cancelled,
                dropped,
            )
