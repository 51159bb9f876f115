"""Scaling figures for docs/scaling.md: what Redis and PostgreSQL cost a distributed crawl.

Run: ``.venv/bin/python benchmarks/scaling.py`` (``--fingerprints N``, ``--queued N``,
``--commits N``, ``--redis URL``, ``--postgres URL`` of a server where a scratch database may be
created and dropped). It prints:

* Redis memory per seen-URL fingerprint (scrapy-redis's 40-hex-digit SHA-1 in one set per
  source) and per queued article request (akhbar's JSON encoding in the priority queue), from
  ``INFO memory`` before and after filling scratch keys (deleted afterwards);
* the latency of a new-article commit under the dedup lock on PostgreSQL (advisory lock, read
  the peers' new ids, insert an article-sized row with a 530-byte signature and a page row,
  commit) from 1 and from 4 concurrent connections: the lock serialises these commits, so
  1 / latency is the ceiling of new articles per second for all workers together.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import threading
import time
import uuid

import redis
import scrapy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from akhbar.crawler.distributed import dumps
from akhbar.crawler.spider import ARTICLE_META
from akhbar.storage.database import scratch_postgres_database

LOCK = (0x616B6435, 1)  # the dedup lock's key pair (akhbar/pipeline.py, docs/dedup.md)


def used_memory(client: redis.Redis) -> int:
    info: dict[str, int] = client.info("memory")
    return int(info["used_memory"])


def redis_figures(url: str, fingerprints: int, queued: int) -> None:
    client = redis.Redis.from_url(url)
    prefix = f"akhbar-bench-{uuid.uuid4().hex[:8]}"
    seen, queue = f"{prefix}:seen", f"{prefix}:requests"
    try:
        before = used_memory(client)
        start = time.perf_counter()
        batch = 10_000
        for first in range(0, fingerprints, batch):
            pipe = client.pipeline(transaction=False)
            members = [
                hashlib.sha1(f"https://example.com/news/{i}".encode()).hexdigest()
                for i in range(first, min(first + batch, fingerprints))
            ]
            pipe.sadd(seen, *members)
            pipe.execute()
        seconds = time.perf_counter() - start
        after = used_memory(client)
        per = (after - before) / fingerprints
        print(
            f"redis seen set: {fingerprints:,} fingerprints, {(after - before) / 2**20:.1f} MiB "
            f"({per:.0f} B each, {per * 1e6 / 2**20:.0f} MiB per 1M); "
            f"SADD {fingerprints / seconds:,.0f}/s (pipelined, one client)"
        )
        before = used_memory(client)
        sizes = []
        for first in range(0, queued, batch):
            pipe = client.pipeline(transaction=False)
            for i in range(first, min(first + batch, queued)):
                request = scrapy.Request(
                    f"https://www.example-news.com/ar/economy/some-story-slug-{i}/{218700 + i}",
                    meta={ARTICLE_META: True},  # as NewsSpider queues them
                )
                data = dumps(request.to_dict())
                sizes.append(len(data))
                pipe.zadd(queue, {data: 0})
            pipe.execute()
        after = used_memory(client)
        per = (after - before) / queued
        print(
            f"redis queue: {queued:,} article requests, JSON {statistics.mean(sizes):.0f} B each, "
            f"{per:.0f} B of Redis memory each ({per * 1e6 / 2**20:.0f} MiB per 1M queued)"
        )
    finally:
        client.delete(seen, queue)
        client.close()


def _commit_loop(engine: Engine, count: int, body: str, sig: bytes, out: list[float]) -> None:
    with engine.connect() as conn:
        for _ in range(count):
            key = uuid.uuid4().hex
            start = time.perf_counter()
            with conn.begin():
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOCK[0], "b": LOCK[1]}
                )
                conn.execute(text("SELECT max(id) FROM bench_articles"))
                conn.execute(
                    text(
                        "INSERT INTO bench_articles (url, text_hash, body, minhash) "
                        "VALUES (:u, :h, :t, :m)"
                    ),
                    {
                        "u": f"https://x.test/{key}",
                        "h": hashlib.sha256(key.encode()).hexdigest(),
                        "t": body,
                        "m": sig,
                    },
                )
                conn.execute(
                    text("INSERT INTO bench_pages (url, outcome) VALUES (:u, 'article')"),
                    {"u": f"https://x.test/{key}"},
                )
            out.append(time.perf_counter() - start)


def postgres_figures(server_url: str, commits: int) -> None:
    with scratch_postgres_database(server_url, "akhbar_bench") as url:
        engine = create_engine(url, pool_size=8)
        try:
            _commit_figures(engine, commits)
        finally:
            engine.dispose()


def _commit_figures(engine: Engine, commits: int) -> None:
    """New-article commits per second under the dedup lock, one and four connections."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_articles (id serial PRIMARY KEY, url text UNIQUE, "
                "text_hash varchar(64) UNIQUE, body text, minhash bytea)"
            )
        )
        conn.execute(
            text("CREATE TABLE bench_pages (id serial PRIMARY KEY, url text UNIQUE, outcome text)")
        )
    body = "كلمة " * 600  # ~3.6 KB of text, a 600-word article
    sig = os.urandom(530)
    for threads in (1, 4):
        latencies: list[float] = []
        workers = [
            threading.Thread(
                target=_commit_loop, args=(engine, commits // threads, body, sig, latencies)
            )
            for _ in range(threads)
        ]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - start
        latencies.sort()
        print(
            f"postgres new-article commit under the dedup lock, {threads} connection(s): "
            f"{len(latencies) / wall:,.0f} commits/s, "
            f"median {statistics.median(latencies) * 1e3:.2f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95)] * 1e3:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--fingerprints", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=2_000)
    args = parser.parse_args()
    redis_figures(args.redis, args.fingerprints, args.queued)
    postgres_figures(args.postgres, args.commits)


if __name__ == "__main__":
    main()
