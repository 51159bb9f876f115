"""Parse a decoded page into the lxml tree every stage of the cleaner reads.

trafilatura's own loader parses with ``lxml.html``'s parser, whose element class lookup is a
Python method: lxml calls it each time a Python proxy is made for an element, and the
cleaner's stages and trafilatura's make millions of them (every ``iter``, every ancestor
walk, every copy of the tree). The same ``HtmlElement`` classes set by a C-level default
lookup give the same tree without those calls; form elements are plain ``HtmlElement``
(nothing here uses lxml's form helpers). Options and repairs are trafilatura's, so the
tree is the one its loader builds.
"""

from __future__ import annotations

from lxml.etree import ElementDefaultClassLookup, HTMLParser
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import is_dubious_html, repair_faulty_html

__all__ = ["new_document", "parse_html"]

_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement,
        comment=HtmlComment,
        pi=HtmlProcessingInstruction,
        entity=HtmlEntity,
    )
)


def parse_html(text: str) -> HtmlElement | None:
    """The page's root element, or ``None`` when lxml builds no plausible HTML tree."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree: HtmlElement | None = None
    try:
        tree = fromstring(text, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree = None
    if tree is None or len(tree) < 1:
        try:
            tree = fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
        except Exception:  # lxml's parse errors: no tree
            return None
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def new_document() -> HtmlElement:
    """An empty ``<html><body>`` document built by the same parser."""
    document: HtmlElement = fromstring("<html><body></body></html>", parser=_PARSER)
    return document
