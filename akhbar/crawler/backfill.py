"""The crawler side of ``akhbar backfill``: date-window discovery and the fetch with progress.

:class:`BackfillSpider` is the :class:`NewsSpider` (robots.txt, per-source politeness, retries,
the same article requests and pipeline) with another discovery: sitemaps read with their dates
(``news:publication_date``, else ``lastmod``, else a date in the URL path), sitemap-index
children whose ``lastmod`` is before the window skipped, and date archive pages (seeds
``archive_urls``) fetched for each day of the window. A URL is fetched when any of its dates
falls inside the window; undated sitemap entries are counted, not fetched. With explicit URLs
(``--urls``) there is no discovery: every listed URL is fetched, whatever the article rules.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from typing import Any

import scrapy
from lxml import etree
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.spiders import Spider
from scrapy.utils.gz import gunzip
from twisted.internet import task

from akhbar.backfill_window import BackfillSummary, Window, parse_day, url_day
from akhbar.crawler.discovery import GZIP_MAGIC
from akhbar.crawler.pool import Cleaned, open_pool
from akhbar.crawler.process import crawler_process, spider_class_for
from akhbar.crawler.run import SourceRun
from akhbar.crawler.spider import ARTICLE_META, NewsSpider
from akhbar.pipeline import IngestResult
from akhbar.records import FetchedPage
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.source_run import OpenRun, open_source_run
from akhbar.storage.runs import close_run
from akhbar.urls import normalize_url

log = logging.getLogger(__name__)

UNLIMITED = 10**9
LOG_EVERY = 10.0  # seconds between plain progress lines off a terminal


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def dated_sitemap(body: bytes, max_size: int) -> tuple[bool, list[tuple[str, date | None]]]:
    """(is index, [(loc, day)]) of a sitemap: the day is a news sitemap's publication date,
    else ``lastmod``, else ``None``."""
    if body.startswith(GZIP_MAGIC):
        body = gunzip(body, max_size=max_size)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    root = etree.fromstring(body, parser=parser)
    if root is None:
        raise ValueError("not a sitemap")
    entries: list[tuple[str, date | None]] = []
    for node in root:
        loc = lastmod = published = None
        for child in node.iter():
            name = _local(child.tag)
            if name == "loc" and child.text:
                loc = child.text.strip()
            elif name == "lastmod":
                lastmod = child.text
            elif name == "publication_date":
                published = child.text
        if loc:
            entries.append((loc, parse_day(published) or parse_day(lastmod)))
    return _local(root.tag) == "sitemapindex", entries


class BackfillSpider(NewsSpider):
    """Finds a source's past articles in a date window (or takes a URL list) and fetches them."""

    name = "backfill"

    def __init__(
        self,
        source: SourceConfig,
        known_url: Callable[[str], bool],
        run: Any = None,
        window: Window | None = None,
        urls: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, known_url, run, **kwargs)
        self.window = window
        self.urls = urls
        self.out_of_window = 0
        self.undated = 0
        self._sitemaps_seen: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if self.urls is not None:
            for url in self.urls:
                for request in self._listed(url):
                    yield request
            return
        assert self.window is not None
        for url in self.source.sitemaps:
            yield self._sitemap_request(url)
        # sitemaps the site declares in robots.txt count too (seeds often list only feeds)
        yield self._discovery_request(self.source.home.rstrip("/") + "/robots.txt", self.robots)
        for template in self.source.archive_urls:
            for day in self.window.days():
                request = self._discovery_request(template.format(date=day), self.parse_archive)
                request.meta["akhbar_day"] = day
                request.meta["handle_httpstatus_list"] = [404, 410]  # days without news
                yield request

    def _sitemap_request(self, url: str) -> scrapy.Request:
        self._sitemaps_seen.add(normalize_url(url))
        return self._discovery_request(url, self.parse_dated_sitemap)

    def robots(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        for line in response.text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                url = response.urljoin(value.strip())
                if normalize_url(url) not in self._sitemaps_seen:
                    yield self._sitemap_request(url)

    def parse_dated_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        assert self.window is not None
        try:
            is_index, entries = dated_sitemap(response.body, 50 * 1024 * 1024)
        except Exception as exc:
            self._problem(f"sitemap {response.url}: {type(exc).__name__}: {exc}")
            return
        log.info("%s backfill sitemap %s: %d entries", self.source.name, response.url, len(entries))
        for loc, day in entries:
            url = response.urljoin(loc)
            if is_index:
                if day is not None and day < self.window.since:
                    continue  # nothing in it changed since before the window
                if normalize_url(url) not in self._sitemaps_seen:
                    yield self._sitemap_request(url)
                continue
            day = day or url_day(url)
            if day is None:
                self.undated += 1
            elif not self.window.contains(day):
                self.out_of_window += 1
            else:
                yield from self._article_request(url)

    def parse_archive(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            log.debug("%s backfill archive %s: %d", self.source.name, response.url, response.status)
            return
        links = self._links.extract_links(response)
        log.info("%s backfill archive %s: %d links", self.source.name, response.url, len(links))
        for link in links:
            yield from self._article_request(link.url)

    def _listed(self, url: str) -> Iterator[scrapy.Request]:
        url = normalize_url(url)
        if url in self.scheduled:
            return
        if self.known_url(url):
            self.skipped_known += 1
            return
        try:
            request = scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.article_failed,
                meta={ARTICLE_META: True, "handle_httpstatus_all": True},
            )
        except ValueError as exc:  # one bad URL must not end the run (and lose the rest)
            self._problem(f"{url!r} skipped: {exc}")
            return
        self.scheduled.add(url)
        yield request


class BackfillRun(SourceRun):
    """A SourceRun that also tallies rejection and failure reasons for the summary."""

    def __init__(self, *args: Any, summary: BackfillSummary, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backfill = summary

    def on_page(self, page: FetchedPage, cleaned: Cleaned | None = None) -> IngestResult:
        result = super().on_page(page, cleaned)
        self.backfill.tally(result)
        return result


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text(f"{speed:.1f} pages/s" if speed else "- pages/s")


class _Reporter:
    """A rich progress bar on a terminal, one plain log line every 10 s otherwise."""

    def __init__(
        self, source: str, spider: Callable[[], BackfillSpider | None], run: SourceRun, tty: bool
    ) -> None:
        self.source = source
        self.spider = spider
        self.run = run
        self.started = time.monotonic()
        self.next_log = self.started + LOG_EVERY
        self.progress: Progress | None = None
        if tty:
            self.progress = Progress(
                TextColumn(f"[bold]{source}[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                _Rate(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.task = self.progress.add_task("backfill", total=None)
            self.progress.start()

    def tick(self, final: bool = False) -> None:
        spider = self.spider()
        discovered = len(spider.scheduled) if spider else 0
        done = self.run.ingestor.counters.fetched
        if self.progress is not None:
            self.progress.update(self.task, total=max(discovered, done), completed=done)
            if final:
                self.progress.stop()
            return
        now = time.monotonic()
        if final or now >= self.next_log:
            rate = done / max(now - self.started, 1e-6)
            left = max(discovered - done, 0)
            eta = f"{left / rate:.0f} s" if rate > 0 else "-"
            log.info(
                "%s backfill: %d/%d pages, %.1f pages/s, ETA %s",
                self.source,
                done,
                discovered,
                rate,
                eta,
            )
            self.next_log = now + LOG_EVERY


def run_backfill(
    settings: AkhbarSettings,
    source: SourceConfig,
    *,
    window: Window | None,
    urls: list[str] | None,
    refetch: bool,
    progress: bool,
    notes: list[str] | None = None,
) -> BackfillSummary:
    """One backfill run of ``source`` in this process (scrapy's reactor: once per process)."""
    with open_source_run(settings, source, "backfill") as opened:
        return _fetch(settings, opened, window, urls, refetch, progress, notes or [])


def _fetch(
    settings: AkhbarSettings,
    opened: OpenRun,
    window: Window | None,
    urls: list[str] | None,
    refetch: bool,
    progress: bool,
    notes: list[str],
) -> BackfillSummary:
    source, repo, ingestor, run_id = opened.source, opened.repo, opened.ingestor, opened.run_id
    summary = BackfillSummary(source.name, run_id)
    pool = open_pool(settings.crawl.extract_workers)
    run = BackfillRun(repo, ingestor, run_id, summary=summary, pool=pool)
    unbounded = source.model_copy(update={"max_pages_per_run": UNLIMITED})
    process = crawler_process(settings)
    politeness = spider_class_for(source).custom_settings
    spider_cls = type(
        f"BackfillSpider_{source.name}", (BackfillSpider,), {"custom_settings": politeness}
    )
    crawler = process.create_crawler(spider_cls)
    holder: dict[str, BackfillSpider] = {}

    def opened_spider(spider: Spider) -> None:
        assert isinstance(spider, BackfillSpider)
        holder["spider"] = spider

    def closed(spider: Spider, reason: str) -> None:
        assert isinstance(spider, BackfillSpider)
        run.finish(reason, spider.skipped_known, 0, [*notes, *spider.discovery_problems])
        opened.mark_closed()

    crawler.signals.connect(opened_spider, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    known = (lambda _url: False) if refetch else repo.is_known_url
    process.crawl(crawler, source=unbounded, known_url=known, run=run, window=window, urls=urls)
    reporter = _Reporter(
        source.name, lambda: holder.get("spider"), run, progress and sys.stderr.isatty()
    )
    ticker = task.LoopingCall(reporter.tick)
    ticker.start(0.5 if reporter.progress else 1.0, now=False)
    beat = task.LoopingCall(run.tick)
    beat.start(0.5, now=False)
    try:
        process.start()
    finally:
        for loop in (ticker, beat):
            if loop.running:
                loop.stop()
        reporter.tick(final=True)
        if run.summary.status == "running":  # forced stop: spider_closed never came
            ingestor.close()
            close_run(repo, run_id, "interrupted", "process stopped mid-backfill")
            opened.mark_closed()
            run.summary.status = "interrupted"
        if pool is not None:
            pool.close()
    spider = holder.get("spider")
    summary.status = run.summary.status
    summary.counters = ingestor.counters
    summary.notes = run.summary.notes
    if spider is not None:
        summary.discovered = len(spider.scheduled) + spider.skipped_known
        summary.skipped_known = spider.skipped_known
        summary.out_of_window = spider.out_of_window
        summary.undated = spider.undated
    return summary
