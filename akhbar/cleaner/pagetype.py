"""Is this page one article, or a section / tag / search / listing page of teasers?"""

from __future__ import annotations

from lxml.html import HtmlElement

from akhbar.cleaner.metadata import ARTICLE_TYPES, LISTING_TYPES, PageMetadata
from akhbar.cleaner.postcleaning import LinkTexts
from akhbar.cleaner.render import Block

__all__ = ["COLLECTION_TYPES", "link_share", "listing_reason", "teaser_count"]

# declarations that make a page an index by themselves (an ItemList is also what a roundup
# article declares for the products it reviews)
COLLECTION_TYPES = frozenset({"CollectionPage", "SearchResultsPage", "ProfilePage"})


def teaser_count(root: HtmlElement) -> int:
    """How many teaser items the page shows: top-level ``<article>``s or headline links."""
    articles = sum(
        1 for el in root.iter("article") if not any(a.tag == "article" for a in el.iterancestors())
    )
    headline_links = 0
    for heading in root.iter("h2", "h3", "h4"):
        text = " ".join(heading.text_content().split())
        links = " ".join(" ".join(a.text_content().split()) for a in heading.iter("a"))
        if text and len(links) >= 0.8 * len(text):
            headline_links += 1
    return max(articles, headline_links)


def link_share(blocks: list[Block], links: LinkTexts) -> float:
    """Share of the extracted characters that sit on lines which are links on the page."""
    total = linked = 0
    for block in blocks:
        for line in block.lines:
            total += len(line)
            if links.is_link(line):
                linked += len(line)
    return linked / total if total else 0.0


def listing_reason(
    md: PageMetadata, teasers: int, blocks: list[Block], links: LinkTexts
) -> str | None:
    """Why the page is a listing rather than an article, or None if it looks like an article.

    Only demonstrable index pages: the extracted text is mostly the page's own link texts, or
    the page declares itself a collection and shows nothing longer than a teaser snippet, or
    it shows many teaser items and the text is their link texts or one short snippet each.
    An article with lists, numbered steps or an ``ItemList`` of the products it reviews is an
    article. The reason names the evidence.
    """
    typed_article = bool(md.jsonld_types & ARTICLE_TYPES) or md.og_type == "article"
    share = link_share(blocks, links)
    if share >= 0.6:
        return f"{share:.0%} of the text is link text"
    if typed_article:
        return None
    lengths = sorted(len(line) for b in blocks for line in b.lines if b.kind != "head")
    longest = lengths[-1] if lengths else 0
    median = lengths[len(lengths) // 2] if lengths else 0
    collection = md.jsonld_types & COLLECTION_TYPES
    if collection and longest < 600:
        return "structured data declares a collection page: " + ", ".join(sorted(collection))
    if teasers >= 6 and share >= 0.35:
        return f"{teasers} teaser items, {share:.0%} of the text is link text"
    declared = md.jsonld_types & LISTING_TYPES
    if declared and teasers >= 8 and share >= 0.2 and median < 120:
        return (
            f"structured data declares a list ({', '.join(sorted(declared))}), "
            f"{teasers} teaser items, {share:.0%} of the text is link text"
        )
    if teasers >= 8 and len(lengths) <= 2 * teasers and median < 120 and longest < 400:
        return (
            f"{teasers} teaser items and nothing but {len(lengths)} short snippets "
            f"(median {median} characters)"
        )
    return None
