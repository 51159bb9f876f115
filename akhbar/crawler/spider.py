"""One generic spider, driven by a source's seeds config.

Discovery: feeds, sitemaps (indexes followed) and start pages; a discovered URL becomes an
article request when it matches the source's allow/deny rules, was not fetched before with a
final outcome, and the run's page budget is not spent. Discovery URLs are asked for
conditionally when a previous run read them completely (their ``ETag``/``Last-Modified`` sent
back): a ``304 Not Modified`` means nothing to parse, and a sitemap index's child whose
``lastmod`` is older than our last reading of it is not fetched at all.

Each article response (whatever its status; redirects are followed) is handed on as a plain
:class:`FetchedPage`, and so is each failed download, with a short failure kind (``timeout``,
``too_large``, ``too_many_redirects``, ``refused_private_address``, ...) starting its error;
the spider does no extraction itself.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from akhbar.crawler.discovery import DiscoveryError, feed_links, parse_lastmod, parse_sitemap
from akhbar.crawler.stopping import RequestDropped
from akhbar.records import DiscoveryCheck, FetchedPage
from akhbar.seeds import SourceConfig
from akhbar.urls import normalize_url

log = logging.getLogger(__name__)
page_log = logging.getLogger("akhbar.pages")  # the per-page lines of `akhbar --verbose`

ARTICLE_META = "akhbar_article"
# a child sitemap counts as unchanged when its lastmod is this much older than our last reading
# of it (a server clock running a little behind ours must not hide a change)
LASTMOD_MARGIN = timedelta(minutes=10)


class NewsSpider(scrapy.Spider):
    """Crawls one news source; one instance per source per run."""

    name = "news"

    def __init__(
        self,
        source: SourceConfig,
        known_url: Callable[[str], bool],
        run: Any = None,
        discovery: Mapping[str, DiscoveryCheck] | None = None,
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
        self.failed_urls: set[str] = set()
        # conditional GET: the last complete reading of each discovery URL (None: not used)
        self.conditional = discovery is not None
        self.last_checks: dict[str, DiscoveryCheck] = dict(discovery or {})
        self.checks: dict[str, DiscoveryCheck] = {}  # this run's readings, saved if complete
        self.not_modified = 0  # discovery URLs answered 304
        self.unchanged_children = 0  # child sitemaps skipped on their lastmod
        self._links = LinkExtractor()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.feeds:
            yield self._discovery_request(url, self.parse_feed)
        for url in self.source.sitemaps:
            yield self._discovery_request(url, self.parse_sitemap)
        for url in self.source.start_urls:
            yield self._discovery_request(url, self.parse_start_page)

    def _discovery_request(
        self,
        url: str,
        callback: Callable[..., Any],
        priority: int = 10,
        dont_filter: bool = True,
    ) -> scrapy.Request:
        headers: dict[str, str] = {}
        meta: dict[str, Any] = {}
        last = self.last_checks.get(url) if self.conditional else None
        if last is not None and last.etag:
            headers["If-None-Match"] = last.etag
        if last is not None and last.last_modified:
            headers["If-Modified-Since"] = last.last_modified
        if headers:
            meta["handle_httpstatus_list"] = [304]  # to the callback, not the errback
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            priority=priority,
            dont_filter=dont_filter,
            headers=headers or None,
            meta=meta,
        )

    def _not_modified(self, response: Response, what: str) -> bool:
        """True (and counted) when the server answered 304: nothing changed, nothing to parse."""
        if response.status != 304:
            return False
        url = _first_url(response.request) if response.request else response.url
        log.info("%s %s %s: not modified (304)", self.source.name, what, url)
        self.not_modified += 1
        self.checks[url] = DiscoveryCheck(url, 304, datetime.now(UTC))
        return True

    def _read(self, response: Response) -> None:
        """Remember a discovery URL read in full, with its validators (saved if the run
        completes)."""
        if not self.conditional:
            return
        url = _first_url(response.request) if response.request else response.url
        now = datetime.now(UTC)
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        self.checks[url] = DiscoveryCheck(
            url,
            response.status,
            now,
            etag=etag.decode("latin-1") if etag else None,
            last_modified=modified.decode("latin-1") if modified else None,
            read_at=now,
        )

    def _unchanged_since_read(self, url: str, lastmod: str | None) -> bool:
        """A child sitemap whose ``lastmod`` is before our last complete reading of it."""
        last = self.last_checks.get(url) if self.conditional else None
        if last is None or last.read_at is None or not lastmod:
            return False
        modified = parse_lastmod(lastmod)
        if modified is None:
            return False
        return modified < last.read_at - LASTMOD_MARGIN

    # -- discovery ----------------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if self._not_modified(response, "feed"):
            return
        try:
            links = feed_links(response.body)
        except DiscoveryError as exc:
            self._problem(f"feed {response.url}: {exc}")
            return
        self._read(response)
        log.info("%s feed %s: %d links", self.source.name, response.url, len(links))
        for link in links:
            yield from self._article_request(response.urljoin(link))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if self._not_modified(response, "sitemap"):
            return
        max_size = int(self.settings.getint("DOWNLOAD_MAXSIZE")) or 50 * 1024 * 1024
        try:
            doc = parse_sitemap(response.body, max_size=max_size)
        except DiscoveryError as exc:
            self._problem(f"sitemap {response.url}: {exc}")
            return
        self._read(response)
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
                if self._unchanged_since_read(url, entry.lastmod):
                    log.debug(
                        "%s sitemap %s: unchanged since read (lastmod)", self.source.name, url
                    )
                    self.unchanged_children += 1
                    continue
                # scrapy's duplicate filter stops index loops
                yield self._discovery_request(
                    url, self.parse_sitemap, priority=5, dont_filter=False
                )
            else:
                yield from self._article_request(url)

    def parse_start_page(self, response: Response) -> Iterator[scrapy.Request]:
        if self._not_modified(response, "start page"):
            return
        if not isinstance(response, TextResponse):
            self._problem(f"start page {response.url}: not a text response")
            return
        links = self._links.extract_links(response)
        self._read(response)
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
            self.failed_urls.add(_first_url(response.request) if response.request else response.url)
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
        if isinstance(failure.value, RequestDropped):
            # the crawl is stopping: not fetched, no page row, the next run fetches it
            log.debug("%s dropped %s (%s)", self.source.name, request.url, failure.value)
            return
        error = _describe(failure)[:500]
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            # robots.txt forbids it: not fetched, so nothing to record on a page row
            self.skipped_robots += 1
            page_log.debug("%s robots.txt forbids %s: not fetched", self.source.name, request.url)
            return
        log.warning("%s failed %s (%s)", self.source.name, request.url, error)
        self.failures[error.split(":", 1)[0]] += 1
        self.failed_urls.add(_first_url(request))
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
        if isinstance(failure.value, RequestDropped):
            log.debug("%s dropped %s (%s)", self.source.name, request.url, failure.value)
            return
        self._problem(f"{request.url}: {_describe(failure)}")

    def failure_notes(self) -> list[str]:
        """One note counting the run's failed article pages by kind (empty when none)."""
        if not self.failures:
            return []
        counts = ", ".join(f"{kind}={n}" for kind, n in sorted(self.failures.items()))
        return [f"failed pages by reason: {counts}"]

    def unchanged_notes(self) -> list[str]:
        """One note counting the discovery URLs found unchanged (empty when none)."""
        parts = []
        if self.not_modified:
            parts.append(f"{self.not_modified} not modified (304), not parsed")
        if self.unchanged_children:
            parts.append(
                f"{self.unchanged_children} child sitemaps not fetched (lastmod before their "
                "last reading)"
            )
        if not parts:
            return []
        return ["feeds/sitemaps/start pages unchanged since the last run: " + "; ".join(parts)]

    def discovery_complete(self) -> bool:
        """True when every article URL this run discovered was fetched for good (or is left
        to no one): the discovery URLs' validators may be saved, since a 304 next time hides
        nothing still to fetch. Not so with URLs left over by the page budget, or pages that
        failed in a way the next run retries."""
        if self.skipped_budget:
            return False
        return all(self.known_url(url) for url in self.failed_urls)

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
