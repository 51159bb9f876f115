"""One generic spider, driven by a source's seeds config.

Discovery: feeds, sitemaps (indexes followed) and start pages; a discovered URL becomes an
article request when it matches the source's allow/deny rules, was not fetched before with a
final outcome, and the run's page budget is not spent. Each article response (whatever its
status; redirects are followed) is handed on as a plain :class:`FetchedPage`, and so is each
failed download, with a short failure kind (``timeout``, ``too_large``, ``too_many_redirects``,
``refused_private_address``, ...) starting its error; the spider does no extraction itself.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from akhbar.crawler.discovery import DiscoveryError, feed_links, parse_sitemap
from akhbar.records import FetchedPage
from akhbar.seeds import SourceConfig
from akhbar.urls import normalize_url

log = logging.getLogger(__name__)
page_log = logging.getLogger("akhbar.pages")  # the per-page lines of `akhbar --verbose`

ARTICLE_META = "akhbar_article"


class NewsSpider(scrapy.Spider):
    """Crawls one news source; one instance per source per run."""

    name = "news"

    def __init__(
        self,
        source: SourceConfig,
        known_url: Callable[[str], bool],
        run: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.known_url = known_url
        self.run = run  # the SourceRun the item pipeline reports to
        self.scheduled: set[str] = set()
        self.skipped_known = 0
        self.skipped_budget = 0
        self.skipped_robots = 0  # article URLs robots.txt forbids: not fetched, not a failure
        self.discovery_problems: list[str] = []
        self.failures: Counter[str] = Counter()  # failed article pages by kind
        self._links = LinkExtractor()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.feeds:
            yield self._discovery_request(url, self.parse_feed)
        for url in self.source.sitemaps:
            yield self._discovery_request(url, self.parse_sitemap)
        for url in self.source.start_urls:
            yield self._discovery_request(url, self.parse_start_page)

    def _discovery_request(self, url: str, callback: Callable[..., Any]) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.discovery_failed, priority=10, dont_filter=True
        )

    # -- discovery ----------------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            links = feed_links(response.body)
        except DiscoveryError as exc:
            self._problem(f"feed {response.url}: {exc}")
            return
        log.info("%s feed %s: %d links", self.source.name, response.url, len(links))
        for link in links:
            yield from self._article_request(response.urljoin(link))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        max_size = int(self.settings.getint("DOWNLOAD_MAXSIZE")) or 50 * 1024 * 1024
        try:
            doc = parse_sitemap(response.body, max_size=max_size)
        except DiscoveryError as exc:
            self._problem(f"sitemap {response.url}: {exc}")
            return
        log.info(
            "%s sitemap%s %s: %d entries",
            self.source.name,
            " index" if doc.is_index else "",
            response.url,
            len(doc.entries),
        )
        for entry in doc.entries:
            url = response.urljoin(entry.loc)
            if doc.is_index:
                # scrapy's duplicate filter stops index loops
                yield scrapy.Request(
                    url, callback=self.parse_sitemap, errback=self.discovery_failed, priority=5
                )
            else:
                yield from self._article_request(url)

    def parse_start_page(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self._problem(f"start page {response.url}: not a text response")
            return
        links = self._links.extract_links(response)
        log.info("%s start page %s: %d links", self.source.name, response.url, len(links))
        for link in links:
            yield from self._article_request(link.url)

    def _article_request(self, url: str) -> Iterator[scrapy.Request]:
        url = normalize_url(url)
        if url in self.scheduled or not self.source.is_article_url(url):
            return
        if self.known_url(url):
            self.skipped_known += 1
            return
        if len(self.scheduled) >= self.source.max_pages_per_run:
            if not self.skipped_budget:
                log.warning(
                    "%s: max_pages_per_run=%d reached, later URLs wait for the next run",
                    self.source.name,
                    self.source.max_pages_per_run,
                )
            self.skipped_budget += 1
            return
        self.scheduled.add(url)
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            # every status reaches parse_article except redirects, which are followed
            # (ArticleStatusMiddleware: no status list in each request's meta)
            meta={ARTICLE_META: True},
            # self.scheduled dedups; scrapy's filter would silently drop a redirect to a URL
            # already fetched, leaving the first URL without a page row. A distributed crawl
            # claims the URL in the shared filter instead (redirect hops exempt, see
            # akhbar/crawler/distributed.py), so one worker of all fetches it
            dont_filter=not self.settings.getbool("AKHBAR_SHARED_SEEN"),
        )

    # -- articles -----------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        if response.status >= 400:
            self.failures[f"http_{response.status}"] += 1
        headers = {
            key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        yield FetchedPage(
            source=self.source.name,
            url=_first_url(response.request) if response.request else response.url,
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            encoding=getattr(response, "encoding", None),
            fetched_at=datetime.now(UTC),
        )

    def article_failed(self, failure: Failure) -> Iterator[FetchedPage]:
        request = failure.request  # type: ignore[attr-defined]
        error = _describe(failure)[:500]
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            # robots.txt forbids it: not fetched, so nothing to record on a page row
            self.skipped_robots += 1
            page_log.debug("%s robots.txt forbids %s: not fetched", self.source.name, request.url)
            return
        log.warning("%s failed %s (%s)", self.source.name, request.url, error)
        self.failures[error.split(":", 1)[0]] += 1
        yield FetchedPage(
            source=self.source.name,
            url=_first_url(request),
            final_url=request.url,
            status=0,
            headers={},
            body=b"",
            encoding=None,
            fetched_at=datetime.now(UTC),
            error=error,
        )

    def discovery_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._problem(f"{request.url}: {_describe(failure)}")

    def failure_notes(self) -> list[str]:
        """One note counting the run's failed article pages by kind (empty when none)."""
        if not self.failures:
            return []
        counts = ", ".join(f"{kind}={n}" for kind, n in sorted(self.failures.items()))
        return [f"failed pages by reason: {counts}"]

    def _problem(self, message: str) -> None:
        log.warning("%s discovery: %s", self.source.name, message)
        self.discovery_problems.append(message)


def _first_url(request: scrapy.Request) -> str:
    """The URL the spider asked for, before any redirect (the page row is keyed on it)."""
    hops = request.meta.get("redirect_urls") or [request.url]
    return str(hops[0])


def failure_kind(exc: BaseException) -> str:
    """A short, stable name for why a download failed (the start of the page's reason)."""
    name = type(exc).__name__
    text = str(exc)
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str):  # RefusedTarget: refused_private_address, offsite_redirect
        return kind
    status = getattr(getattr(exc, "response", None), "status", None)
    if isinstance(status, int):  # HttpError: e.g. a redirect status without a Location
        return f"http_{status}"
    if "max size" in text or "DOWNLOAD_MAXSIZE" in text:
        return "too_large"
    if "max redirections" in text:
        return "too_many_redirects"
    if "Timeout" in name or "timed out" in text.lower():
        return "timeout"
    if "DataLoss" in name or "DataLoss" in text:
        return "truncated"
    if "ConnectionRefused" in name:
        return "connection_refused"
    if "DNS" in name:
        return "dns"
    if "ConnectionLost" in text or "ConnectionDone" in text or "ConnectionLost" in name:
        return "connection_lost"
    if name == "ResponseFailed" or "Connection" in name:
        return "connection_lost"
    return "failed"


def _describe(failure: Failure) -> str:
    exc = failure.value
    if exc is None:
        return f"failed: {failure.getErrorMessage()}"
    return f"{failure_kind(exc)}: {type(exc).__name__}: {failure.getErrorMessage()}"
