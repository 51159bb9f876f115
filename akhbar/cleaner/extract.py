"""The cleaner's entry point: one page (bytes or text) → :class:`Article` or :class:`Rejection`.

Steps: sniff and decode → parse → read metadata and the page's link texts → remove chrome
(precleaning) → trafilatura on the cleaned tree → render blocks → reject listings → drop chrome
lines (postcleaning) → language and length checks.

The page is parsed once: every stage reads the same lxml tree, and trafilatura gets it after
precleaning (it copies the tree it is given, ~10 µs a page; no re-serialisation). A second
parse happens only when precleaning left trafilatura nothing to extract.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from copy import copy
from functools import lru_cache

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from akhbar.cleaner.decode import decode_html, not_html_reason
from akhbar.cleaner.language import declared_language, detect_language
from akhbar.cleaner.metadata import read_metadata
from akhbar.cleaner.pagetype import listing_reason, teaser_count
from akhbar.cleaner.postcleaning import LinkTexts, join_blocks, postclean
from akhbar.cleaner.precleaning import preclean
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
def _extractor(favor_precision: bool, include_tables: bool) -> Extractor:
    """trafilatura's options, built once per setting instead of once per page (building them
    reads its configparser defaults). "txt": we render the body tree ourselves, so the
    "python" format's text serialisation of it would be thrown away."""
    return Extractor(
        output_format="txt",
        precision=favor_precision,
        comments=False,
        tables=include_tables,
        with_metadata=False,
    )


def _trafilatura_blocks(root: HtmlElement, url: str, settings: CleanerSettings) -> list[Block]:
    options = copy(_extractor(settings.favor_precision, settings.include_tables))
    options.url = options.source = url
    document = bare_extraction(root, options=options)
    body = getattr(document, "body", None)
    return render_blocks(body) if body is not None else []


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

    root = load_html(text)
    if root is None:
        return Rejection(RejectReason.PARSE_ERROR, "lxml could not build a tree")

    md = read_metadata(root, url)
    links = LinkTexts(root)
    teasers = teaser_count(root)
    declared = declared_language(root)
    blocks = _trafilatura_blocks(preclean(root), url, settings)
    if not blocks:  # precleaning took too much: let trafilatura judge the whole page
        whole = load_html(text)
        blocks = _trafilatura_blocks(whole, url, settings) if whole is not None else []

    reason = listing_reason(md, teasers, blocks, links)
    if reason is not None:
        return Rejection(RejectReason.NOT_ARTICLE, reason)
    if not blocks:
        return Rejection(RejectReason.EMPTY, "no main text found")

    body = join_blocks(postclean(blocks, title=md.title, links=links))
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
