"""Distributed crawling: worker processes share each source's request queue and seen-URL filter.

``akhbar crawl --distributed SOURCE...`` started on several machines (or several times on one)
makes the workers crawl the sources together: scrapy-redis's scheduler keeps the requests in
Redis, so whichever worker is free downloads the next URL, and its duplicate filter (a Redis
set of request fingerprints) makes an article URL discovered by several workers fetched by one.
PostgreSQL stays the one database; the dedup decision is already shared (docs/dedup.md).

Keys, all under ``{redis_key_prefix}:{database hash}:{source}`` so that two deployments (two
databases) on one Redis never mix:

- ``:requests`` — the shared priority queue (scrapy-redis ``PriorityQueue``, JSON-encoded
  requests, not pickles: a Redis anyone can write to must not run code in the workers);
- ``:seen`` — fingerprints of the requests queued in the current *round*;
- ``:workers`` — live workers of the round (sorted set, score = last heartbeat, unix time);
- ``:idle`` — the workers of the round that have nothing left to do;
- ``:lock`` — held while a worker joins or ends a round.

A round starts when a worker joins and no other live worker is registered: it clears ``:seen``
(so today's feeds and sitemaps are read again and URLs not stored last time are retried) and
re-seeds it with the requests still queued (a round whose workers were all killed leaves its
queue behind, ``SCHEDULER_PERSIST``: those URLs are fetched, once, by the next round). A worker
stops when the shared queue is empty and every live worker of the round is idle (checked at each
of scrapy's idle signals, every 5 s); the last worker to finish clears the round's keys, so no
stale filter blocks the next round's discovery. A killed worker stops counting as live after
``stale_after`` seconds without a heartbeat; the requests it had taken from the queue but not
fetched are lost for the round (they were never stored, so the next round rediscovers them).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
import uuid
import warnings
from collections.abc import Iterable
from typing import Any

import redis
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from sqlalchemy.engine import make_url
from twisted.internet import task

from akhbar.errors import AkhbarError
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings

log = logging.getLogger(__name__)

WORKER_BEAT_EVERY = 5.0  # seconds between a worker's beats in ``:workers``
REDIS_GIVE_UP = 30.0  # seconds of unreachable Redis after which a worker stops its crawl
LOCK_TIMEOUT = 60.0  # seconds a join / end of round may hold the round lock
SHARED_SEEN = "AKHBAR_SHARED_SEEN"  # scrapy setting: article requests use the shared filter


class RedisUnavailable(AkhbarError, RuntimeError):
    """The distributed crawl's Redis cannot be reached."""


class NeedsServerDatabase(AkhbarError, ValueError):
    """Distributed workers share one database server; a SQLite file belongs to one machine."""


def database_key(database_url: str) -> str:
    """A short stable hash naming the database, without its password (or driver), so every
    worker pointed at one database (however its URL spells the driver) shares the keys."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        database = os.path.abspath(database)
    ident = f"{url.get_backend_name()}://{url.username or ''}@{url.host or ''}:{url.port or ''}"
    return hashlib.sha256(f"{ident}/{database}".encode()).hexdigest()[:12]


def key_prefix(settings: AkhbarSettings, source: str) -> str:
    """The Redis key prefix of ``source``'s shared crawl."""
    return f"{settings.redis_key_prefix}:{database_key(settings.database_url)}:{source}"


def make_worker_id() -> str:
    """``host:pid:random``: unique per worker process, readable in ``crawl_runs.worker``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def distributed_settings(settings: AkhbarSettings, source: SourceConfig) -> dict[str, Any]:
    """Scrapy settings putting ``source``'s crawl on the shared Redis queue and filter (merged
    into the source spider's custom settings)."""
    prefix = key_prefix(settings, source.name).replace("%", "%%")  # scrapy-redis %-formats keys
    return {
        # scrapy takes requests from the scheduler until CONCURRENT_REQUESTS wait in its
        # downloader, delays included: a worker must not hoard the shared queue (the others
        # would idle, and a killed worker would lose them all)
        "CONCURRENT_REQUESTS": source.politeness.concurrency,
        "SCHEDULER": "akhbar.crawler.distributed.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",
        "DUPEFILTER_CLASS": "akhbar.crawler.distributed.SeenFilter",
        "SCHEDULER_SERIALIZER": "akhbar.crawler.distributed",  # this module's dumps/loads
        "SCHEDULER_PERSIST": True,  # a killed worker leaves the queue; rounds clear it below
        "SCHEDULER_FLUSH_ON_START": False,
        "REDIS_URL": settings.redis_url,
        SHARED_SEEN: True,
    }


class SeenFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's shared filter, except for redirect hops: the URL a redirect leads to may
    have been fetched already, and dropping the hop would leave the first URL with no page row
    (the claim that matters was made when the first URL was queued)."""

    def request_seen(self, request: scrapy.Request) -> bool:
        if request.meta.get("redirect_urls"):
            return False
        return bool(super().request_seen(request))

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: the round, not one worker, decides when they go."""


class SharedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler riding out a Redis outage: one error line instead of a
    traceback per engine loop, nothing taken (``next_request`` is None) and the queue reported
    non-empty so the worker does not close as if the round were drained; the worker's heartbeat
    stops the crawl after ``REDIS_GIVE_UP`` seconds (:meth:`SharedCrawl.beat`). A request
    discovered meanwhile is not queued (its URL is not in ``pages``: a later round finds it)."""

    down_since: float | None = None

    def _down(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.error("%s: Redis unreachable (%s)", getattr(self, "spider", None), exc)

    def _up(self) -> None:
        if self.down_since is not None:
            log.warning("%s: Redis reachable again", getattr(self, "spider", None))
            self.down_since = None

    def enqueue_request(self, request: scrapy.Request) -> bool:
        try:
            queued = bool(super().enqueue_request(request))
        except redis.RedisError as exc:
            self._down(exc)
            log.warning("%s: not queued, Redis unreachable: %s", self.spider, request.url)
            return False
        self._up()
        return queued

    def next_request(self) -> scrapy.Request | None:
        try:
            request: scrapy.Request | None = super().next_request()
        except redis.RedisError as exc:
            self._down(exc)
            return None
        self._up()
        return request

    def has_pending_requests(self) -> bool:
        try:
            return bool(super().has_pending_requests())
        except redis.RedisError as exc:
            self._down(exc)
            return True


# -- the queue's serializer: JSON with bytes and non-string keys spelled out -------------------
def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot queue a request holding a {type(value).__name__} in Redis")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__b" in value:
            return base64.b64decode(value["__b"])
        if "__d" in value:
            return {_decode(k): _decode(v) for k, v in value["__d"]}
        return {k: _decode(v) for k, v in value.items()}
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    """Serialize a request dict (``Request.to_dict``) for the shared queue."""
    return json.dumps(_encode(obj), separators=(",", ":")).encode()


def loads(data: bytes | str) -> dict[str, Any]:
    """Read back a request dict written by :func:`dumps`."""
    decoded: dict[str, Any] = _decode(json.loads(data))
    return decoded


# -- rounds ---------------------------------------------------------------------------------
def connect(settings: AkhbarSettings) -> redis.Redis:
    """A client of the distributed crawl's Redis, checked to answer."""
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(
            f"Redis not reachable at {_safe_url(settings.redis_url)} (AKHBAR_REDIS_URL): {exc}"
        ) from exc
    return client


def _safe_url(url: str) -> str:
    """The URL without its credentials (for messages)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


class SharedCrawl:
    """One worker's part in the round of one source: joining, idling, leaving."""

    def __init__(
        self, client: redis.Redis, prefix: str, source: str, worker: str, stale_after: float
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.source = source
        self.worker = worker
        self.stale_after = stale_after
        self.idle = False
        self.left = False
        self.crawler: Crawler | None = None
        self._beat: task.LoopingCall | None = None
        self._down_since: float | None = None

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _lock(self) -> Any:
        return self.client.lock(self.key("lock"), timeout=LOCK_TIMEOUT, blocking_timeout=30)

    def _live_workers(self) -> set[bytes]:
        """Workers with a recent heartbeat (dead ones are dropped from the set)."""
        now = time.time()
        self.client.zremrangebyscore(self.key("workers"), "-inf", now - self.stale_after)
        members: list[bytes] = self.client.zrange(self.key("workers"), 0, -1)  # type: ignore[assignment]
        return set(members)

    def queued(self) -> int:
        return int(self.client.zcard(self.key("requests")))

    def join(self, fingerprint: Any) -> bool:
        """Register this worker; returns True when it starts a new round (see module doc).

        ``fingerprint(request)`` is the shared filter's fingerprint, used to re-seed the
        filter with the requests a previous round left queued."""
        with self._lock():
            others = self._live_workers() - {self.worker.encode()}
            self.client.zadd(self.key("workers"), {self.worker: time.time()})
            self.client.srem(self.key("idle"), self.worker)
            if others:
                log.info(
                    "%s worker %s joins the running round (%d other workers, %d queued)",
                    self.source,
                    self.worker,
                    len(others),
                    self.queued(),
                )
                return False
            self.client.delete(self.key("seen"), self.key("idle"))
            left = list(self._leftover_fingerprints(fingerprint))
            if left:
                self.client.sadd(self.key("seen"), *left)
            log.info(
                "%s worker %s starts a new round (%d requests left queued by the last one)",
                self.source,
                self.worker,
                len(left),
            )
            return True

    def _leftover_fingerprints(self, fingerprint: Any) -> Iterable[str]:
        queued: list[bytes] = self.client.zrange(self.key("requests"), 0, -1)  # type: ignore[assignment]
        for raw in queued:
            try:
                data = loads(raw)
                request = scrapy.Request(
                    data["url"], method=data.get("method", "GET"), body=data.get("body") or b""
                )
            except (ValueError, KeyError, TypeError) as exc:
                log.warning(
                    "%s: unreadable queued request dropped from seeding: %s", self.source, exc
                )
                continue
            yield str(fingerprint(request))

    def beat(self) -> None:
        """Refresh this worker's heartbeat. A Redis hiccup is logged and the next beat retries;
        after ``REDIS_GIVE_UP`` seconds without Redis the crawl stops (run status ``failed``,
        reason ``redis_unavailable``): the queued URLs wait in Redis for the next round."""
        try:
            self.client.zadd(self.key("workers"), {self.worker: time.time()})
        except redis.RedisError as exc:
            now = time.monotonic()
            if self._down_since is None:
                self._down_since = now
                log.error(
                    "%s worker %s: Redis heartbeat failed (%s)", self.source, self.worker, exc
                )
            elif now - self._down_since >= REDIS_GIVE_UP and self.crawler is not None:
                log.error(
                    "%s worker %s: Redis unreachable for %.0f s, stopping the crawl",
                    self.source,
                    self.worker,
                    now - self._down_since,
                )
                engine, self.crawler = self.crawler.engine, None  # stop once
                if engine is not None:
                    deferred_from_coro(engine.close_spider_async(reason="redis_unavailable"))
            return
        self._down_since = None

    def on_idle(self, spider: Spider) -> None:
        """scrapy's ``spider_idle``: close only when no worker of the round has work left
        (a busy peer may still discover URLs this worker should share)."""
        self.beat()
        try:
            if not self.idle:
                self.client.sadd(self.key("idle"), self.worker)
                self.idle = True
            queued = self.queued()
            live = self._live_workers()
            idle: set[bytes] = self.client.smembers(self.key("idle"))  # type: ignore[assignment]
        except redis.RedisError:  # wait for Redis (the heartbeat gives up after a while)
            raise DontCloseSpider from None
        busy = live - idle
        if queued == 0 and not busy:
            log.info("%s worker %s: round drained, closing", self.source, self.worker)
            return
        log.debug(
            "%s worker %s idle, waiting: %d queued, %d busy workers",
            self.source,
            self.worker,
            queued,
            len(busy),
        )
        raise DontCloseSpider

    def on_busy(self, request: scrapy.Request, spider: Spider) -> None:
        """A request reached the downloader: this worker has work again."""
        if self.idle:
            with contextlib.suppress(redis.RedisError):
                self.client.srem(self.key("idle"), self.worker)
                self.idle = False

    def on_opened(self, spider: Spider) -> None:
        self._beat = task.LoopingCall(self.beat)
        self._beat.start(WORKER_BEAT_EVERY, now=False)

    def leave(self, reason: str) -> None:
        """Deregister; the last worker of a drained round clears the round's keys."""
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        self.left = True
        try:
            with self._lock():
                self.client.zrem(self.key("workers"), self.worker)
                self.client.srem(self.key("idle"), self.worker)
                if reason != "finished" or self.queued() or self._live_workers():
                    return
                self.client.delete(
                    self.key("seen"), self.key("idle"), self.key("workers"), self.key("requests")
                )
                log.info("%s worker %s: last out, round cleared", self.source, self.worker)
        except redis.RedisError as exc:
            log.error("%s worker %s: could not leave the round (%s)", self.source, self.worker, exc)


class DistributedCrawl:
    """This worker process's link to Redis, shared by the sources it crawls."""

    def __init__(self, settings: AkhbarSettings) -> None:
        if make_url(settings.database_url).get_backend_name() == "sqlite":
            raise NeedsServerDatabase(
                "a distributed crawl needs PostgreSQL, which all its workers share "
                "(--db postgresql://...); SQLite is one file on one machine: crawl without "
                "--distributed"
            )
        self.settings = settings
        self.client = connect(settings)
        # scrapy-redis 0.9.1 passes ``spider=`` to the stats collector on every request
        warnings.filterwarnings(
            "ignore", message="Passing a 'spider' argument to StatsCollector", module="scrapy"
        )
        self.worker = make_worker_id()
        self.rounds: list[SharedCrawl] = []

    def spider_settings(self, source: SourceConfig) -> dict[str, Any]:
        return distributed_settings(self.settings, source)

    def attach(self, crawler: Crawler, source: str) -> SharedCrawl:
        """Join ``source``'s round and hook the worker's idle/busy/close logic to ``crawler``."""
        shared = SharedCrawl(
            self.client,
            key_prefix(self.settings, source),
            source,
            self.worker,
            self.settings.scheduler.stale_after,
        )
        shared.join(SeenFilter(self.client, shared.key("seen")).request_fingerprint)
        shared.crawler = crawler
        crawler.signals.connect(shared.on_opened, signal=signals.spider_opened, weak=False)
        crawler.signals.connect(shared.on_idle, signal=signals.spider_idle, weak=False)
        crawler.signals.connect(
            shared.on_busy, signal=signals.request_reached_downloader, weak=False
        )

        def closed(spider: Spider, reason: str) -> None:
            shared.leave(reason)

        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        self.rounds.append(shared)
        return shared

    def close(self) -> None:
        """Leave the rounds a forced stop left without ``spider_closed``; close the client."""
        for shared in self.rounds:
            if not shared.left:
                shared.leave("shutdown")
        self.client.close()
