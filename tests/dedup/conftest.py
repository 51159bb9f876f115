"""Fixtures of the dedup tests: the two seed articles (see ``dedup_corpus``), the Redis of
the shared index."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from dedup_corpus import article_000, article_003

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def text_003() -> str:
    return article_003()


@pytest.fixture(scope="session")
def text_000() -> str:
    return article_000()


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """The Redis of the shared-index tests; in CI a missing server is a failure."""
    import redis

    url = os.environ.get("AKHBAR_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        message = f"Redis not reachable at {url}: {type(exc).__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def redis_prefix(redis_server_url: str) -> Iterator[str]:
    """A key prefix of one test; every key under it is deleted afterwards."""
    import redis

    prefix = f"akhbar-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_server_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    client.close()
