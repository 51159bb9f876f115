"""Downloader middlewares that keep a crawl safe on a hostile web.

* :class:`TargetGuardMiddleware` refuses, before any connection is made, redirects that leave
  the source's site and requests to private, loopback, link-local or reserved addresses (SSRF:
  a page must not make the crawler talk to ``169.254.169.254`` or an intranet). Hosts written
  in the source's seeds file are the operator's choice and always allowed; other addresses
  are allowed only when inside ``crawl.allowed_networks``.
* :class:`BackoffRetryMiddleware` is scrapy's retry with exponential back-off between
  attempts and ``Retry-After`` honoured up to a cap.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpErrorMiddleware
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future

from akhbar.crawler.spider import ARTICLE_META
from akhbar.crawler.stopping import is_stopping

log = logging.getLogger(__name__)

STOP_POLL = 0.25  # seconds between checks for a stop while waiting to retry
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedTarget(IgnoreRequest):
    """A request the crawler will not send; ``kind`` becomes the page's failure reason."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _same_site(host: str, site_hosts: set[str]) -> bool:
    """``www.example.com`` and ``example.com`` are one site; other hosts are not."""
    bare = host.removeprefix("www.")
    return any(bare == h.removeprefix("www.") for h in site_hosts)


def source_hosts(spider: Any) -> set[str]:
    """The hosts named in the spider's seeds config (home, feeds, sitemaps, start pages)."""
    source = getattr(spider, "source", None)
    if source is None:
        return set()
    urls = [source.home, *source.feeds, *source.sitemaps, *source.start_urls]
    urls += [getattr(a, "url", a) for a in getattr(source, "archive_urls", [])]
    return {host for url in urls if (host := _hostname(str(url)))}


def _hostname(url: str) -> str:
    """The URL's host, lower-case, without port, user info or IPv6 brackets."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


class TargetGuardMiddleware:
    """Refuses offsite redirects and non-public addresses before connecting."""

    def __init__(self, crawler: Crawler, allowed: list[IPNetwork], allow_offsite: bool) -> None:
        self.crawler = crawler
        self.allowed = allowed
        self.allow_offsite = allow_offsite
        self._hosts: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetGuardMiddleware:
        nets = [
            ipaddress.ip_network(n, strict=False)
            for n in crawler.settings.getlist("AKHBAR_ALLOWED_NETWORKS")
        ]
        return cls(crawler, nets, crawler.settings.getbool("AKHBAR_ALLOW_OFFSITE_REDIRECTS"))

    async def process_request(self, request: Request) -> None:
        if self._hosts is None:
            self._hosts = source_hosts(self.crawler.spider)
        host = _hostname(request.url)
        if host in self._hosts:
            return None  # configured by the operator
        literal: IPAddress | None
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not self._allowed(literal):
            raise RefusedTarget("refused_private_address", f"{host} is not a public address")
        redirected = bool(request.meta.get("redirect_urls"))
        if redirected and not self.allow_offsite and not _same_site(host, self._hosts):
            raise RefusedTarget("offsite_redirect", f"redirect to {host} refused")
        if literal is not None:
            return None
        from twisted.internet import reactor  # the installed one (never install it on import)

        try:  # scrapy's caching resolver: the connection reuses this answer
            resolved = await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[arg-type]
        except Exception:
            return None  # the download reports the DNS failure itself
        address: IPAddress = ipaddress.ip_address(resolved)
        if self._allowed(address):
            return None
        log.warning("refused %s: %s is not a public address", request.url, address)
        raise RefusedTarget("refused_private_address", f"{host} is {address}")

    def _allowed(self, address: IPAddress) -> bool:
        return is_public(address) or any(address in net for net in self.allowed)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, waiting ``RETRY_BACKOFF_BASE × 2^(n-1)`` (capped) before attempt n+1;
    a ``Retry-After`` in seconds replaces the back-off when it is within the cap, and a
    longer one makes the page fail now rather than stall the crawl."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = float(settings.getfloat("RETRY_BACKOFF_BASE", 0.5))
        self.backoff_max = float(settings.getfloat("RETRY_BACKOFF_MAX", 30.0))

    def _stopping(self) -> bool:
        return is_stopping(getattr(self, "crawler", None))

    async def _wait(self, delay: float) -> bool:
        """Sleep ``delay`` seconds in short steps; False when the crawl began stopping (a stop
        must not wait for back-offs: the page keeps the response or error it has)."""
        left = delay
        while left > 0:
            if self._stopping():
                return False
            step = min(left, STOP_POLL)
            await sleep(step)
            left -= step
        return not self._stopping()

    def _delay(self, request: Request, response: Response | None) -> float | None:
        tries = int(request.meta.get("retry_times", 0)) + 1
        delay: float = min(self.backoff_base * 2.0 ** (tries - 1), self.backoff_max)
        if response is not None:
            header = response.headers.get(b"Retry-After")
            if header:
                try:
                    wanted = float(header.decode("latin-1").strip())
                except ValueError:  # an HTTP date: keep the back-off
                    return delay
                return wanted if 0 <= wanted <= self.backoff_max else None
        return delay

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self._delay(request, response)
        if delay is None:
            log.info("%s: Retry-After beyond %.0fs, not retried", request.url, self.backoff_max)
            return response
        if self._stopping():
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        if not await self._wait(delay):
            return response
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        if self._stopping():
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        delay = self._delay(request, None)
        if delay and not await self._wait(delay):
            return None
        return retry


# every status reaches an article's callback except the redirects, which are followed
ARTICLE_STATUSES = frozenset(s for s in range(300, 600) if s not in (301, 302, 303, 307, 308))


class ArticleStatusMiddleware(HttpErrorMiddleware):
    """Lets article responses of any non-redirect status reach the spider, so that each one
    becomes a page row with its reason (``http_404`` …).

    Article requests are marked by the ``akhbar_article`` meta flag alone: the alternative, a
    ``handle_httpstatus_list`` of ~300 codes in every request's meta, would make every request
    a distributed crawl keeps queued on Redis several times larger (docs/scaling.md, "What
    breaks first"). Other requests (feeds, sitemaps) keep scrapy's behaviour: an HTTP error goes
    to their errback.
    """

    def process_spider_input(self, response: Response, spider: Any = None) -> None:
        if response.meta.get(ARTICLE_META) and response.status in ARTICLE_STATUSES:
            return None
        return super().process_spider_input(response)
