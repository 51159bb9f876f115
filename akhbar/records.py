"""Plain typed records that travel between the pipeline stages.

They are the contract between crawler, cleaner, dedup and storage: no stage imports another
stage's internals, only these records. None of them knows scrapy or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One HTTP response (or failed attempt) as the crawler saw it."""

    source: str
    url: str
    final_url: str
    status: int  # HTTP status; 0 when no response was received (DNS, timeout, reset)
    headers: dict[str, str]
    body: bytes = field(repr=False)
    encoding: str | None
    fetched_at: datetime  # timezone-aware UTC
    error: str | None = None  # why no usable response was received, when status == 0


@dataclass(frozen=True, slots=True)
class DiscoveryCheck:
    """What a crawl learned about one feed, sitemap or start page (a discovery URL).

    ``etag``/``last_modified`` are the validators sent back on the next run (a ``304 Not
    Modified`` answer means nothing to parse); ``read_at`` is when its content was last read
    in full, the reference a sitemap index's ``lastmod`` is compared with.
    """

    url: str
    http_status: int  # 200 when read, 304 when the server said it had not changed
    checked_at: datetime  # timezone-aware UTC
    etag: str | None = None
    last_modified: str | None = None
    read_at: datetime | None = None


class RejectReason(StrEnum):
    """Why a fetched page did not become an article (stored on the page row)."""

    EMPTY = "empty"  # no body or nothing extractable
    NOT_ARTICLE = "not_article"  # section, tag, search or listing page
    TOO_SHORT = "too_short"  # extracted text below the minimum length
    WRONG_LANGUAGE = "wrong_language"  # not in the source's languages
    NOT_HTML = "not_html"  # binary or non-HTML content under an article URL
    PARSE_ERROR = "parse_error"  # the HTML could not be parsed at all


@dataclass(frozen=True, slots=True)
class Rejection:
    """A page that is not stored as an article, and why."""

    reason: RejectReason
    detail: str = ""


@dataclass(slots=True)
class Article:
    """The cleaned record of one article page (before deduplication)."""

    url: str
    canonical_url: str
    title: str
    text: str  # paragraphs separated by blank lines, sub-headings on their own lines
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # timezone-aware
    modified_at: datetime | None = None  # timezone-aware
    sitename: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    image_url: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())


ExtractResult = Article | Rejection


class DuplicateKind(StrEnum):
    """How a copy was recognised."""

    URL = "url"  # same canonical URL as a stored article
    EXACT = "exact"  # same normalised text
    NEAR = "near"  # MinHash/LSH near-duplicate, verified


class PageOutcome(StrEnum):
    """What became of a fetched page (pages.outcome)."""

    ARTICLE = "article"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    ERROR = "error"
