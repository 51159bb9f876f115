"""Running crawls: one scrapy ``CrawlerProcess`` per OS process, one crawler per source.

Twisted's reactor cannot restart, so each ``akhbar crawl`` is its own process; the sources it
crawls share the reactor, the dedup index and one database writer (SQLite has one writer).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from akhbar.crawler.pool import open_pool
from akhbar.crawler.progress import ProgressSink, SourceProgress, snapshot
from akhbar.crawler.run import WRITES_FAILED, RunSummary, SourceRun
from akhbar.crawler.spider import NewsSpider
from akhbar.crawler.stopping import StoppingCrawlerProcess
from akhbar.forkserver import warm_up
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.source_run import OpenRun, Store, open_store
from akhbar.storage.discovery import DiscoveryStore
from akhbar.storage.runs import SourceBusy, close_run

if TYPE_CHECKING:
    from akhbar.crawler.distributed import DistributedCrawl

log = logging.getLogger(__name__)

TICK_EVERY = 0.5  # seconds between checks for batches to commit and heartbeats due


def scrapy_settings(settings: AkhbarSettings) -> dict[str, Any]:
    """Process-wide scrapy settings derived from the typed settings."""
    crawl = settings.crawl
    return {
        "BOT_NAME": "akhbar",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": "akhbar",
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RETRY_BACKOFF_BASE": crawl.retry_backoff_base,
        "RETRY_BACKOFF_MAX": crawl.retry_backoff_max,
        # applies to decompressed bodies too (HttpCompressionMiddleware): gzip bombs stop here
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": crawl.warn_response_bytes,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "AKHBAR_ALLOWED_NETWORKS": list(crawl.allowed_networks),
        "AKHBAR_ALLOW_OFFSITE_REDIRECTS": crawl.allow_offsite_redirects,
        # a stop drops queued requests and cancels late downloads (akhbar/crawler/stopping.py)
        "DOWNLOAD_HANDLERS": {
            "http": "akhbar.crawler.stopping.StoppableHTTPDownloadHandler",
            "https": "akhbar.crawler.stopping.StoppableHTTPDownloadHandler",
        },
        "DOWNLOADER_MIDDLEWARES": {
            "akhbar.crawler.stopping.StopDropMiddleware": 10,
            "akhbar.crawler.middlewares.TargetGuardMiddleware": 50,
            # scrapy 2.19's lets requests waiting for robots.txt through (akhbar/crawler/robots.py)
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "akhbar.crawler.robots.RobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "akhbar.crawler.middlewares.BackoffRetryMiddleware": 550,
        },
        "CONCURRENT_REQUESTS": 16,
        # scrapy starts this many asyncio tasks per response to process its outputs; a page
        # yields one item and a handful of links here, and the default's 100 tasks per response
        # were the crawl process's largest cost of its own
        "CONCURRENT_ITEMS": 8,
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": None,
            "akhbar.crawler.middlewares.ArticleStatusMiddleware": 50,
        },
        "ITEM_PIPELINES": {"akhbar.crawler.item_pipeline.IngestPipeline": 300},
        "LOG_ENABLED": True,
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOG_LEVEL": "DEBUG" if settings.log_level.upper() == "DEBUG" else "WARNING",
        "STATS_DUMP": settings.log_level.upper() == "DEBUG",
        "LOGSTATS_INTERVAL": 60.0,
    }


def _quiet_scrapy(level: str) -> None:
    """Scrapy's logging set-up resets its loggers to DEBUG; akhbar logs one line per page itself,
    so scrapy only speaks up for warnings unless akhbar runs at DEBUG."""
    quiet = level.upper() != "DEBUG"
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.DEBUG)


def spider_class_for(source: SourceConfig, extra: dict[str, Any] | None = None) -> type[NewsSpider]:
    """A NewsSpider subclass carrying the source's politeness (and ``extra``, e.g. the shared
    Redis scheduler of a distributed crawl) as its custom settings."""
    polite = source.politeness
    custom: dict[str, Any] = {
        "ROBOTSTXT_OBEY": polite.obey_robots,
        "DOWNLOAD_DELAY": polite.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # each delay drawn from 0.5–1.5 × download_delay
        **(extra or {}),
    }
    return type(f"NewsSpider_{source.name}", (NewsSpider,), {"custom_settings": custom})


def _heartbeat_loop(
    runs: list[SourceRun], crawlers: list[Crawler], after: Callable[[], None]
) -> task.LoopingCall:
    """Tick every running run on a timer, pages or not: old batches are committed (they hold
    the dedup lock) and the heartbeat beats (a slow site must not look dead to the scheduler's
    stale-heartbeat check); then ``after`` (the progress report). Once the shared writer gives
    up (database writes keep failing), every crawl is stopped: fetching pages that cannot be
    stored only loses them."""
    stopping: list[bool] = []

    def tick() -> None:
        for run in runs:
            if run.summary.status == "running":
                run.tick()
        if not stopping and any(run.ingestor.unit.broken for run in runs):
            stopping.append(True)
            for crawler in crawlers:
                if crawler.engine is not None and crawler.engine.spider is not None:
                    deferred_from_coro(crawler.engine.close_spider_async(reason=WRITES_FAILED))
        after()

    loop = task.LoopingCall(tick)
    loop.start(TICK_EVERY, now=False)
    return loop


def _save_discovery(store: DiscoveryStore, spider: NewsSpider, run: SourceRun) -> None:
    """Keep the validators of a run that read its source completely; otherwise the previous
    ones stay, so the next run reads again what this one did not finish."""
    complete = (
        run.summary.status == "ok" and not run.ingestor.db_errors and spider.discovery_complete()
    )
    if not complete:
        if spider.checks:
            log.info("%s: discovery validators not saved (run incomplete)", spider.source.name)
        return
    try:
        store.save(spider.source.name, spider.checks.values())
    except Exception as exc:  # the next run then reads everything again: no loss
        log.error("%s: discovery validators not saved (%s)", spider.source.name, exc)


def run_crawl(
    settings: AkhbarSettings,
    sources: Sequence[SourceConfig],
    kind: str = "manual",
    progress: ProgressSink | None = None,
) -> list[RunSummary]:
    """Crawl ``sources`` once, concurrently, and return one summary per source; ``progress``
    receives every source's :class:`SourceProgress` twice a second and once at the end."""
    if settings.crawl.extract_workers != 0:
        warm_up()  # the workers' forkserver imports while this process opens the database
    shared = None  # a distributed crawl: queue and seen-URL filter shared on Redis
    if settings.crawl.distributed:
        from akhbar.crawler.distributed import DistributedCrawl

        shared = DistributedCrawl(settings)  # RedisUnavailable: one line, nothing started
    with open_store(settings) as store:
        # conditional GET of feeds and sitemaps; not for distributed workers, which each see
        # only part of a round's pages and so cannot tell that a round read its sources whole
        discovery_store = None if shared else DiscoveryStore(store.engine)
        try:
            summaries = _crawl_sources(store, sources, kind, progress, shared, discovery_store)
        finally:
            if shared is not None:
                shared.close()
    order = {s.name: i for i, s in enumerate(sources)}
    return sorted(summaries, key=lambda s: order.get(s.source, 0))


def crawler_process(settings: AkhbarSettings) -> StoppingCrawlerProcess:
    """The process's scrapy ``CrawlerProcess`` (one reactor per OS process), quietened: the
    start-up shared by ``akhbar crawl`` and ``akhbar backfill``."""
    process = StoppingCrawlerProcess(settings=scrapy_settings(settings))
    _quiet_scrapy(settings.log_level)
    return process


def _crawl_sources(
    store: Store,
    sources: Sequence[SourceConfig],
    kind: str,
    progress: ProgressSink | None,
    shared: DistributedCrawl | None,
    discovery_store: DiscoveryStore | None,
) -> list[RunSummary]:
    settings, repo = store.settings, store.repo
    process = crawler_process(settings)
    pool = open_pool(settings.crawl.extract_workers)  # workers start with the first page
    summaries: list[RunSummary] = []
    runs: list[SourceRun] = []
    crawlers: dict[int, Crawler] = {}  # id(run) -> its crawler
    rows: dict[int, OpenRun] = {}  # id(run) -> its crawl_runs row

    def report() -> None:
        if progress is None:
            return
        rows: list[SourceProgress] = []
        for run in runs:
            spider = getattr(crawlers.get(id(run)), "spider", None)
            scheduled = len(getattr(spider, "scheduled", ()))
            rows.append(snapshot(run, scheduled - getattr(spider, "skipped_robots", 0)))
        progress(rows)

    for source in sources:
        try:
            opened = store.start(source, kind, worker=shared.worker if shared else None)
        except SourceBusy as exc:  # the scheduler or another crawl has it: fail this source
            log.error("%s", exc)
            summaries.append(
                RunSummary(source.name, exc.holder.id, status="busy", notes=[str(exc)])
            )
            continue
        run = SourceRun(repo, opened.ingestor, opened.run_id, pool=pool)
        runs.append(run)
        rows[id(run)] = opened
        extra = shared.spider_settings(source) if shared else None
        crawler = process.create_crawler(spider_class_for(source, extra))
        crawlers[id(run)] = crawler

        def closed(
            spider: Spider, reason: str, run: SourceRun = run, opened: OpenRun = opened
        ) -> None:
            assert isinstance(spider, NewsSpider)
            summary = run.finish(
                reason,
                spider.skipped_known,
                spider.skipped_budget,
                [*spider.discovery_problems, *spider.failure_notes(), *spider.unchanged_notes()],
                spider.skipped_robots,
            )
            opened.mark_closed()
            summary.unchanged = spider.not_modified + spider.unchanged_children
            summaries.append(summary)
            if discovery_store is not None:
                _save_discovery(discovery_store, spider, run)

        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        if shared is not None:  # after `closed`: a worker leaves its round once pages are stored
            shared.attach(crawler, source.name)
        last_checks = discovery_store.load(source.name) if discovery_store else None
        process.crawl(
            crawler, source=source, known_url=repo.is_known_url, run=run, discovery=last_checks
        )
    try:
        if runs:
            beat = _heartbeat_loop(runs, list(crawlers.values()), report)
            process.start()
            if beat.running:
                beat.stop()
            report()
    finally:
        for run in runs:  # a forced stop (second signal) skips spider_closed: close the row
            if run.summary.status == "running":
                with contextlib.suppress(Exception):
                    run.ingestor.close()
                close_run(repo, run.summary.run_id, "interrupted", "process stopped mid-crawl")
                run.summary.status = "interrupted"
                summaries.append(run.summary)
            rows[id(run)].mark_closed()
        if pool is not None:
            pool.close()
    return summaries
