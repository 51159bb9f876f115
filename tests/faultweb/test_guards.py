"""The pure parts of the crawl's guards: which addresses are public, how failures are named,
how long the retry waits (real scrapy objects, no network)."""

from __future__ import annotations

import ipaddress

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import Settings
from twisted.internet.error import ConnectionRefusedError, TimeoutError

from akhbar.crawler.middlewares import BackoffRetryMiddleware, RefusedTarget, is_public
from akhbar.crawler.spider import failure_kind


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_failure_kinds() -> None:
    assert failure_kind(TimeoutError()) == "timeout"
    assert failure_kind(ConnectionRefusedError()) == "connection_refused"
    assert failure_kind(IgnoreRequest("max redirections reached")) == "too_many_redirects"
    assert failure_kind(RefusedTarget("offsite_redirect", "x")) == "offsite_redirect"
    message = "Received 9 bytes which is larger than download max size (8) in request"
    assert failure_kind(Exception(message)) == "too_large"
    assert failure_kind(ValueError("something else")) == "failed"


def test_retry_waits_back_off_and_honours_retry_after_within_cap() -> None:
    retry = BackoffRetryMiddleware(
        Settings({"RETRY_BACKOFF_BASE": 0.5, "RETRY_BACKOFF_MAX": 10.0, "RETRY_TIMES": 3})
    )
    first = Request("http://example.com/a")
    again = Request("http://example.com/a", meta={"retry_times": 2})
    assert retry._delay(first, None) == 0.5
    assert retry._delay(again, None) == 2.0

    def answer(retry_after: str) -> Response:
        return Response(first.url, status=429, headers={"Retry-After": retry_after})

    assert retry._delay(first, answer("3")) == 3.0
    assert retry._delay(first, answer("3600")) is None  # beyond the cap: fail now
    assert retry._delay(first, answer("Wed, 21 Oct 2026 07:28:00 GMT")) == 0.5
