"""The cleaner's entry point: one page (bytes or text) → :class:`Article` or :class:`Rejection`.

Steps: sniff and decode → parse → read metadata and the page's link texts → remove chrome
(precleaning) → trafilatura on the cleaned tree → render blocks → reject listings → drop chrome
lines (postcleaning) → language and length checks.

The page is parsed once: every stage reads the same lxml tree, and trafilatura gets it after
precleaning (it copies the tree it is given, far cheaper than serialising and parsing again;
docs/benchmarks.md, "Extraction"). A second parse happens only when precleaning left
trafilatura nothing to extract.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from functools import lru_cache

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from akhbar.cleaner.decode import decode_html, not_html_reason
from akhbar.cleaner.language import declared_language, detect_language
from akhbar.cleaner.metadata import PageMetadata, read_metadata
from akhbar.cleaner.pagetype import listing_reason, teaser_count
from akhbar.cleaner.parse import parse_html
from akhbar.cleaner.postcleaning import LinkTexts, drop_repeated_runs, join_blocks, postclean
from akhbar.cleaner.precleaning import preclean, text_container
from akhbar.cleaner.render import Block, render_blocks
from akhbar.records import Article, Rejection, RejectReason
from akhbar.settings import CleanerSettings

__all__ = ["extract"]

log = logging.getLogger(__name__)

_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: not encodable, not storable


def extract(
    html: bytes | str,
    url: str,
    *,
    encoding: str | None = None,
    settings: CleanerSettings | None = None,
    languages: Sequence[str] = (),
) -> Article | Rejection:
    """Clean one fetched page into an article, or say why it is not one. Never raises."""
    try:
        return _extract(html, url, encoding, settings or CleanerSettings(), languages)
    except Exception as exc:  # the contract: bad input is a rejection, not a crash
        log.debug("cleaner failed on %s", url, exc_info=True)
        return Rejection(RejectReason.PARSE_ERROR, f"{type(exc).__name__}: {exc}"[:200])


@lru_cache(maxsize=8)
def _extractor(
    favor_precision: bool, include_tables: bool, recall: bool = False, fast: bool = False
) -> Extractor:
    """trafilatura's options, built once per setting instead of once per page (building them
    reads its configparser defaults). "txt": we render the body tree ourselves, so the
    "python" format's text serialisation of it would be thrown away. ``fast`` skips
    trafilatura's comparison with readability and justext."""
    return Extractor(
        output_format="txt",
        fast=fast,
        precision=favor_precision,
        recall=recall,
        comments=False,
        tables=include_tables,
        with_metadata=False,
    )


def _trafilatura_blocks(
    root: HtmlElement,
    url: str,
    settings: CleanerSettings,
    *,
    recall: bool = False,
    fast: bool = False,
) -> list[Block]:
    options = copy(
        _extractor(settings.favor_precision and not recall, settings.include_tables, recall, fast)
    )
    options.url = options.source = url
    document = bare_extraction(root, options=options)
    body = getattr(document, "body", None)
    return render_blocks(body) if body is not None else []


# Share of the page's paragraph text an attempt must return to be taken without trying the
# next one: precision mode on the cleaned page, then default mode on it, then the whole page.
_PLAUSIBLE = (0.7, 0.5)
# trafilatura compares its own result with readability's and justext's only to replace a
# result that is short or holds no paragraph text. A first attempt without that comparison
# stands when it already returns a plausible share of a page holding at least this many
# characters of paragraph text; otherwise the chain below runs with the comparison on.
_FAST_MIN_CHARS = 500


@dataclass(slots=True)
class _Attempt:
    blocks: list[Block]
    reason: str | None  # a listing verdict on this attempt's text
    chars: int


def _main_text(
    text: str,
    root: HtmlElement,
    url: str,
    settings: CleanerSettings,
    page: _Page,
) -> _Attempt:
    """The article text by a do-no-harm chain, each step only when the previous fell short.

    Precleaning and trafilatura's precision mode cut chrome, but on some layouts they cut the
    article too (a page builder's classes look like chrome, precision mode drops a container).
    An attempt is accepted when it is not a listing and returns a plausible share of the text
    the page holds in paragraphs; otherwise trafilatura's default mode runs on the cleaned
    tree, then on the whole page (in recall mode when nothing else found any text); when all
    of these return less than half the paragraph text, recall mode on the cleaned tree and the
    element holding most of the paragraphs (:func:`text_container`) are tried too. The
    longest non-listing attempt wins. On a page with real paragraph text the first attempt
    runs without trafilatura's external comparison (see ``_FAST_MIN_CHARS``), and when it
    falls short the chain goes straight on to default mode.
    """
    precleaned = preclean(root)
    cleaned, expected = precleaned.root, precleaned.paragraph_chars
    # (favor_precision, share of the paragraph text that makes the attempt plausible)
    steps = [(True, _PLAUSIBLE[0]), (False, _PLAUSIBLE[1])]
    if not settings.favor_precision:
        steps = [(False, _PLAUSIBLE[0])]
    attempts: list[_Attempt] = []
    if expected >= _FAST_MIN_CHARS:
        quick = page.judge(_trafilatura_blocks(cleaned, url, settings, fast=True))
        if quick.reason is None and quick.chars >= steps[0][1] * expected:
            return quick
        attempts.append(quick)
        # the external comparison alone seldom changes what precision mode found: the
        # chain goes on in default mode
        steps = steps[1:] or steps
    for precision, plausible in steps:
        options = settings.model_copy(update={"favor_precision": precision})
        attempt = page.judge(_trafilatura_blocks(cleaned, url, options))
        if attempt.reason is None and attempt.chars >= plausible * expected:
            return attempt
        attempts.append(attempt)
    whole = parse_html(text)  # precleaning changed the first tree in place
    default = settings.model_copy(update={"favor_precision": False})
    if whole is not None:
        attempts.append(page.judge(_trafilatura_blocks(whole, url, default)))
        if not any(a.chars for a in attempts):  # nothing anywhere: recall mode, last resort
            attempts.append(page.judge(_trafilatura_blocks(whole, url, default, recall=True)))
    best = max((a.chars for a in attempts if a.reason is None), default=0)
    if best < _PLAUSIBLE[-1] * expected:
        # still a sliver of the paragraph text: trafilatura's recall mode on the cleaned page,
        # and the element holding most paragraphs extracted on its own
        attempts.append(page.judge(_trafilatura_blocks(cleaned, url, default, recall=True)))
        container = text_container(cleaned)
        if container is not None:
            attempts.append(page.judge(_trafilatura_blocks(container, url, default)))
    articles = [a for a in attempts if a.reason is None and a.chars]
    if articles:
        return max(articles, key=lambda a: a.chars)
    return attempts[-1]


@dataclass(slots=True)
class _Page:
    """What the chain needs to judge an attempt, read once from the parsed page."""

    md: PageMetadata
    teasers: int
    links: LinkTexts

    def judge(self, blocks: list[Block]) -> _Attempt:
        chars = sum(len(line) for b in blocks for line in b.lines)
        return _Attempt(blocks, listing_reason(self.md, self.teasers, blocks, self.links), chars)


def _accepted(language: str | None, languages: Sequence[str]) -> bool:
    if not languages or language is None:
        return True
    wanted = {lang.strip().lower().replace("_", "-").split("-")[0] for lang in languages}
    return language in wanted


def _extract(
    html: bytes | str,
    url: str,
    encoding: str | None,
    settings: CleanerSettings,
    languages: Sequence[str],
) -> Article | Rejection:
    if isinstance(html, bytes):
        if not html.strip():
            return Rejection(RejectReason.EMPTY, "empty body")
        binary = not_html_reason(html)
        if binary is not None:
            return Rejection(RejectReason.NOT_HTML, binary)
        text = decode_html(html, encoding)
    elif isinstance(html, str):
        text = _SURROGATE.sub("\ufffd", html)
    else:
        return Rejection(RejectReason.PARSE_ERROR, f"unsupported input {type(html).__name__}")
    if not text.strip():
        return Rejection(RejectReason.EMPTY, "empty body")
    if not _MARKUP.search(text[:4096]):
        return Rejection(RejectReason.NOT_HTML, "no markup")
    if "\x00" in text[:4096]:
        text = text.replace("\x00", "")

    root = parse_html(text)
    if root is None:
        return Rejection(RejectReason.PARSE_ERROR, "lxml could not build a tree")

    md = read_metadata(root, url)
    links = LinkTexts(root)
    page = _Page(md, teaser_count(root), links)
    declared = declared_language(root)
    chosen = _main_text(text, root, url, settings, page)
    if chosen.reason is not None:
        return Rejection(RejectReason.NOT_ARTICLE, chosen.reason)
    blocks = chosen.blocks
    if not blocks:
        return Rejection(RejectReason.EMPTY, "no main text found")

    body = join_blocks(drop_repeated_runs(postclean(blocks, title=md.title, links=links)))
    if not body:
        return Rejection(RejectReason.EMPTY, "only chrome found")
    language = detect_language(declared, body)
    if not _accepted(language, languages):
        return Rejection(RejectReason.WRONG_LANGUAGE, f"{language} not in {', '.join(languages)}")
    if len(body) < settings.min_text_chars:
        return Rejection(
            RejectReason.TOO_SHORT, f"{len(body)} characters < {settings.min_text_chars}"
        )
    return Article(
        url=url,
        canonical_url=md.canonical_url,
        title=md.title,
        text=body,
        language=language,
        authors=md.authors,
        published_at=md.published_at,
        modified_at=md.modified_at,
        sitename=md.sitename,
        categories=md.categories,
        tags=md.tags,
        description=md.description,
        image_url=md.image_url,
    )
