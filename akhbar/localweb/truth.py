"""What a correct crawl of the local news web must store: the public records others test against.

The truth is derived from the same content and URL rules the server uses, so it cannot drift from
what is served. URLs are absolute, with the real loopback host and port.
"""

from __future__ import annotations

from dataclasses import dataclass

from akhbar.localweb.site import BuiltSite


@dataclass(frozen=True)
class SiteInfo:
    """One running site: ``name`` is also its seeds file name and source name."""

    name: str
    title: str
    base_url: str
    language: str = "ar"


@dataclass(frozen=True)
class ExpectedArticle:
    """A page that must be stored as an article, with its title and a sentence of its text."""

    source: str
    url: str
    title: str
    snippet: str


@dataclass(frozen=True)
class KnownTruth:
    """The outcome a correct crawl of all sites produces (see the package docstring)."""

    articles: list[ExpectedArticle]
    wire_copies: tuple[str, str]
    seed_pair: tuple[str, str]
    rejected: list[str]
    failed: list[str]
    robots_disallowed: list[str]
    chrome_strings: list[str]
    expected_article_count: int
    expected_duplicate_count: int


def build_truth(sites: list[BuiltSite]) -> KnownTruth:
    """The truth for ``sites``; the syndicated story is listed once, by its agency original."""
    articles: list[ExpectedArticle] = []
    wire: dict[str, list[tuple[str, str]]] = {}  # wire id -> [(site kind, url)]
    seeds: dict[str, str] = {}
    rejected: list[str] = []
    failed: list[str] = []
    disallowed: list[str] = []
    chrome: set[str] = set()
    for built in sites:
        site = built.content
        for story in site.stories:
            url = built.url(story.path)
            disallowed.append(built.url(story.print_path))
            if story.seed:
                seeds[story.seed] = url
            if story.wire:
                wire.setdefault(story.wire, []).append((site.kind, url))
                if site.kind != "agency":
                    continue  # the republished copy: stored as a duplicate, not an article
            articles.append(ExpectedArticle(site.name, url, story.headline, story.snippet))
        rejected.extend(built.url(p) for p in built.listing_pages)
        failed.extend(built.url(m.path) for m in site.missing)
        chrome |= built.chrome
    (copies,) = wire.values()  # exactly one syndicated story; the agency original first
    original, republished = sorted(copies, key=lambda c: c[0] != "agency")
    return KnownTruth(
        articles=articles,
        wire_copies=(original[1], republished[1]),
        seed_pair=(seeds["000"], seeds["003"]),
        rejected=rejected,
        failed=failed,
        robots_disallowed=disallowed,
        chrome_strings=sorted(chrome),
        expected_article_count=len(articles),
        expected_duplicate_count=len(wire),
    )
