"""Remove site chrome from the parsed page before trafilatura sees it.

Only markup-level evidence is used, so the rules carry over from one site to the next:
semantic chrome elements (``nav``, ``aside``, ``footer``), class/id/aria hints (breadcrumb,
share, related, most-read, call to action, sign-up ...), blocks introduced by a known teaser
heading (``قد يهمك أيضا``, ``أخبار ذات صلة`` ...) together with the teasers that follow it,
and link-dense blocks.
An element holding most of the page's paragraph text is never removed, whatever its classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache

from lxml.etree import strip_elements
from lxml.html import HtmlElement

from akhbar.cleaner.parse import new_document
from akhbar.text.arabic import word_key

__all__ = [
    "TEASER_HEADINGS",
    "Precleaned",
    "is_teaser_heading",
    "preclean",
    "text_container",
]

TEASER_HEADINGS: tuple[str, ...] = (
    "قد يهمك أيضا",
    "قد يهمك ايضا",
    "قد يعجبك أيضا",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "إقرأ أيضا",
    "اقرأ المزيد",
    "أخبار ذات صلة",
    "أخبار متعلقة",
    "مواضيع ذات صلة",
    "مقالات ذات صلة",
    "موضوعات ذات صلة",
    "اخر الاخبار",
    "آخر الأخبار",
    "أحدث الأخبار",
    "الأكثر قراءة",
    "الأكثر مشاهدة",
    "الأكثر تداولا",
    "الأخبار الأكثر قراءة",
    "الأكثر قراءة اليوم",
    "شاهد أيضا",
    "شاهد أيضاً",
    "المزيد من الأخبار",
    "تابعنا على",
    "Related",
    "Related articles",
    "Related stories",
    "Related news",
    "Read more",
    "Read also",
    "Also read",
    "See also",
    "More stories",
    "More from",
    "Most read",
    "Most popular",
    "Latest news",
    "You may also like",
    "Recommended",
)

_TEASER_KEYS = frozenset(word_key(h) for h in TEASER_HEADINGS)


def is_teaser_heading(text: str) -> bool:
    """True if ``text`` is the heading of a teaser block (``اقرأ أيضاً:``, ``Related``...)."""
    return word_key(text) in _TEASER_KEYS if len(text) < 60 else False


_CHROME_TAGS = frozenset(
    {"nav", "aside", "footer", "form", "button", "dialog", "noscript", "template"}
)
_CHROME_ROLES = frozenset({"navigation", "complementary", "contentinfo", "banner", "search"})
_HINT = re.compile(
    r"(?:^|[-_\s])(?:"
    r"breadcrumbs?|crumbs?|share|sharing|sharer|share-?buttons?|social|socials|newsletter|"
    r"subscribe|subscription|cookies?|consent|gdpr|comments?|disqus|"
    r"(?:author|writer)-?(?:box|bio|info|contact|card)|"
    r"about-?author|tags|tag-?list|tagcloud|post-?tags|news-?tags|article-?tags|keywords|"
    r"related|related-?(?:posts|news|articles)|also-?read|read-?also|read-?more|more-?news|"
    r"most-?read|mostread|most-?viewed|most-?popular|popular|trending|latest|latest-?news|"
    r"recommend(?:ed|ations)?|outbrain|taboola|sidebar|ad|ads|adv|advert|advertisement|"
    r"promo|sponsored|pagination|pager|follow-?us|pull-?quote|"
    # calls to action, sign-up boxes, pop-ups, advertising disclosures
    r"cta|sign-?up|pop-?up|disclosure"
    r")(?:$|[-_\s])",
    re.I,
)
_PROTECTED_HINT = re.compile(r"(?:^|[-_\s])(?:article-?body|post-?content|entry-?content)", re.I)


def _text(el: HtmlElement) -> str:
    return " ".join((el.text_content() or "").split())


def _link_text_len(el: HtmlElement) -> int:
    return sum(len(_text(a)) for a in el.iter("a"))


def _attrs(el: HtmlElement) -> str:
    get = el.get
    values = (get("class"), get("id"), get("aria-label"), get("itemtype"))
    return " ".join(filter(None, values))


class _Guard:
    """Knows how much paragraph text each element holds, to protect the article container."""

    def __init__(self, root: HtmlElement) -> None:
        # paragraph text lengths, computed once (the proxies are kept alive by this dict, so
        # the same element is the same key later)
        self.plen = {p: len(_text(p)) for p in root.iter("p")}
        self.total = sum(self.plen.values()) or 1
        self.paragraph_chars = sum(n for n in self.plen.values() if n >= _TEXT_PARAGRAPH)
        headline = next((h for h in root.iter("h1") if len(_text(h)) >= 10), None)
        self.headline_line: set[HtmlElement] = (
            {headline, *headline.iterancestors()} if headline is not None else set()
        )

    def holds_article(self, el: HtmlElement) -> bool:
        if el.tag in ("html", "body", "main", "article"):
            return True
        if el in self.headline_line:
            return True
        own = sum(self.plen.get(p, 0) for p in el.iter("p"))
        return own > 600 and own > 0.4 * self.total


def _drop(elements: Iterable[HtmlElement]) -> None:
    for el in list(elements):
        parent = el.getparent()
        if parent is None:
            continue
        # keep the tail text (it belongs to the parent), drop the element
        if el.tail and el.tail.strip():
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def _is_chrome_by_markup(el: HtmlElement) -> bool:
    if el.tag in _CHROME_TAGS:
        return True
    role = el.get("role")
    if role and role.lower() in _CHROME_ROLES:
        return True
    if el.tag == "header":  # the page header, not an article's own <header> with its headline
        return not any(a.tag in ("article", "main") for a in el.iterancestors()) and not any(
            True for _ in el.iter("h1")
        )
    attrs = _attrs(el)
    return _chrome_attrs(attrs) if attrs else False


@lru_cache(maxsize=4096)
def _chrome_attrs(attrs: str) -> bool:
    """Class/id hints, cached: a page repeats the same few class strings hundreds of times."""
    if _PROTECTED_HINT.search(attrs):
        return False
    return bool(_HINT.search(attrs)) or "breadcrumb" in attrs.lower()


def _remove_markup_chrome(root: HtmlElement, guard: _Guard) -> None:
    doomed: list[HtmlElement] = []
    stack = list(reversed(root))
    while stack:  # document order, without descending into doomed subtrees
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in ("pre", "code"):
            continue  # a highlighter's "comment" spans are code, not chrome
        chrome = tag not in ("head", "body") and _is_chrome_by_markup(el)
        if chrome and not guard.holds_article(el):
            doomed.append(el)
            continue
        stack.extend(reversed(el))
    _drop(doomed)


_EMBED_QUOTES = ("twitter-tweet", "instagram-media", "tiktok-embed")
_EMBED_WRAPPERS = ("figure", "div", "p", "span")


def _unwrap_embeds(root: HtmlElement) -> None:
    """Make embedded posts (tweets) plain quotes of the article.

    The embed code of X/Twitter is a ``<blockquote class="twitter-tweet">`` holding the post in
    a ``<p>`` and the attribution (``— Name (@handle) date``) as loose text; CMSs wrap it in a
    ``<figure class="wp-block-embed">``. trafilatura drops figures and embed-classed blocks, so
    the quoted post vanished. The wrapper is replaced by the quote and the loose attribution
    becomes its own paragraph.
    """
    for quote in list(root.iter("blockquote")):
        cls = quote.get("class") or ""
        if not any(name in cls for name in _EMBED_QUOTES):
            continue
        paragraphs = [c for c in quote if c.tag == "p"]
        if paragraphs:
            last = paragraphs[-1]
            loose = list(last.itersiblings())
            if (last.tail and last.tail.strip()) or loose:
                attribution = quote.makeelement("p", {})
                attribution.text, last.tail = last.tail, None
                attribution.extend(loose)  # moves the date link along
                last.addnext(attribution)
        text = _text(quote)
        wrapper = quote
        parent = quote.getparent()
        while (
            parent is not None
            and parent.tag in _EMBED_WRAPPERS
            and _text(parent) == text
            and parent.getparent() is not None
        ):
            wrapper, parent = parent, parent.getparent()
        if wrapper is not quote:
            quote.tail = wrapper.tail
            wrapper.getparent().replace(wrapper, quote)
        quote.set("class", "embedded-post")  # no embed/tweet class for trafilatura to drop


def _heading_block(el: HtmlElement) -> HtmlElement:
    """Climb from the matched element to the largest ancestor holding only the heading text."""
    text = _text(el)
    while True:
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "article", "main") or _text(parent) != text:
            return el
        el = parent


def _linkish(el: HtmlElement) -> bool:
    """A sibling that continues a teaser block: empty, mostly links, or a list of teasers."""
    text = _text(el)
    if not text:
        return True  # spacer paragraphs, ad slots, thumbnails
    if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and not is_teaser_heading(text):
        return False  # the next section's heading
    links = _link_text_len(el)
    if links >= 0.6 * len(text):
        return True
    # teaser lists whose links wrap only the thumbnail: several short items, each with a link
    items = [c for c in el if isinstance(c.tag, str)]
    return (
        el.tag in ("ul", "ol", "div", "section")
        and len(items) >= 2
        and all(any(True for _ in c.iter("a")) for c in items)
        and max(len(_text(c)) for c in items) < 200
    )


def _remove_teaser_blocks(root: HtmlElement, guard: _Guard) -> None:
    starts: list[HtmlElement] = []
    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "p", "span", "div"):
        if len(el) > 3 or guard.plen.get(el, 0) >= 60:  # headings are short, few elements
            continue
        raw = el.text_content() or ""
        if len(raw) > 400:  # far too long to be a heading, even with indentation
            continue
        text = " ".join(raw.split())
        if text and len(text) < 60 and is_teaser_heading(text):
            starts.append(_heading_block(el))
    doomed: list[HtmlElement] = []
    for block in starts:
        if block in doomed or guard.holds_article(block):
            continue
        doomed.append(block)
        sibling = block.getnext()
        while sibling is not None and _linkish(sibling):
            if not guard.holds_article(sibling):
                doomed.append(sibling)
            sibling = sibling.getnext()
        # a heading alone in its container: the container is the teaser box
        parent = block.getparent()
        if (
            parent is not None
            and parent.tag not in ("body", "article", "main")
            and not guard.holds_article(parent)
            and all(c in doomed or not isinstance(c.tag, str) for c in parent)
        ):
            doomed.append(parent)
    _drop(d for d in doomed if d.getparent() is not None)


def _remove_link_dense(root: HtmlElement, guard: _Guard) -> None:
    # each link's text length once, not once per ancestor
    link_len = {a: len(_text(a)) for a in root.iter("a")}
    doomed: list[HtmlElement] = []
    inside_doomed: set[HtmlElement] = set()  # nothing in a doomed subtree is left to judge
    for el in root.iter("ul", "ol", "div", "section", "table", "td", "p", "dl"):
        if el in inside_doomed:
            continue
        lengths = [n for a in el.iter("a") if (n := link_len.get(a, 0))]
        if len(lengths) < 3:
            continue
        text = _text(el)
        linked = sum(lengths)
        dense = linked >= 0.9 * len(text) or (
            linked >= 0.7 * len(text) and len(text) - linked < 300
        )
        if text and dense and not guard.holds_article(el):
            doomed.append(el)
            inside_doomed.update(el.iterdescendants())
    _drop(doomed)


_TEXT_PARAGRAPH = 40  # characters: shorter <p> are captions, credits, footers, buttons
_MARK_SHARE = 0.25  # of the page's text, for the paragraphs' container to be the article
_MARK_HELD = 0.5  # of the text paragraphs' characters, for an element to be their container


def _mark_article_container(root: HtmlElement, plen: dict[HtmlElement, int]) -> None:
    """Give a page without ``<article>`` one around its text paragraphs.

    Without a container trafilatura recognises (no ``<article>``, no ``article-body`` class),
    it falls back to collecting loose ``<p>`` and loses the sub-headings and lists between
    them (a live blog's update headings). After chrome removal the article is the lowest
    element that holds the first text paragraph and at least half of the text paragraphs'
    characters, so it is renamed ``<article>``: text paragraphs after it (teaser blurbs, a
    call to action, notices precleaning left) do not widen it to the whole page. When that is
    the whole body, or holds under a quarter of the page's text (the story is not in ``<p>``:
    a paper's abstract in a ``<blockquote>``, the paragraphs a notice beside it), nothing is
    marked and trafilatura decides as before.
    """
    if next(root.iter("article"), None) is not None:
        return
    paragraphs = [p for p in root.iter("p") if plen.get(p, 0) >= _TEXT_PARAGRAPH]
    if len(paragraphs) < 2:
        return
    held: dict[HtmlElement, int] = {}
    for p in paragraphs:
        for ancestor in p.iterancestors():
            held[ancestor] = held.get(ancestor, 0) + plen[p]
    total = sum(plen[p] for p in paragraphs)
    container = next(
        (a for a in paragraphs[0].iterancestors() if held[a] >= _MARK_HELD * total), None
    )
    if container is None or container.tag not in ("div", "section"):
        return
    if len(_text(container)) < _MARK_SHARE * len(_text(root)):
        return  # the text paragraphs are a notice beside the story, not the story
    container.tag = "article"


_NEVER_TEXT = ("script", "style", "svg", "noscript", "template", "iframe", "canvas", "object")


_CONTAINER_SHARE = 0.6  # of the page's paragraph text, for an element to count as its holder
_PAGE_CHROME = frozenset({"footer", "nav", "aside"})


def text_container(root: HtmlElement) -> HtmlElement | None:
    """The lowest element holding most of the page's paragraph text, as a document of its own.

    For a page on which trafilatura returns a sliver of the text the page holds in paragraphs:
    the article then sits under markup trafilatura discards whole (a ``*-footer`` class around
    the story, an accordion, a wrapper with a modal's classes). Detached from those ancestors,
    it is extracted like any page. Paragraphs inside ``footer``/``nav``/``aside`` do not count
    (a long legal notice is not the article). ``None`` when no element below ``body`` holds
    the share.
    """
    held: dict[HtmlElement, int] = {}
    total = 0
    for p in root.iter("p"):
        n = len(_text(p))
        if n < _TEXT_PARAGRAPH:
            continue
        ancestors = list(p.iterancestors())
        if any(a.tag in _PAGE_CHROME for a in ancestors):
            continue
        total += n
        for a in ancestors:
            held[a] = held.get(a, 0) + n
    if not total:
        return None
    node = root
    while True:
        child = next((c for c in node if held.get(c, 0) >= _CONTAINER_SHARE * total), None)
        if child is None:
            break
        node = child
    if node.tag in ("html", "body"):
        return None
    document = new_document()
    document.body.append(deepcopy(node))
    return document


_STORY_CAPTION = 80  # characters: a credit or a label is shorter, a told story is longer
_GALLERY_COUNTER = re.compile(r"^\s*\d{1,3}\s*(?:/|of|من)\s*\d{1,3}\b")


def _keep_story_captions(root: HtmlElement) -> None:
    """Photo-gallery stories are told in their captions (``1 / 11`` and a paragraph under
    each picture); trafilatura drops figures with their captions. On a numbered gallery (two
    or more prose-length captions starting with a ``N / M`` counter) each prose-length
    caption becomes a paragraph after its figure; credits and short labels stay as they are.
    """
    captions = [(c, _text(c)) for c in root.iter("figcaption")]
    story = [(c, t) for c, t in captions if len(t) >= _STORY_CAPTION]
    if sum(1 for _, t in story if _GALLERY_COUNTER.match(t)) < 2:
        return  # not a numbered gallery: long captions elsewhere are still captions
    for caption, text in story:
        figure = next((a for a in caption.iterancestors("figure")), None)
        anchor = figure if figure is not None and figure.getparent() is not None else caption
        paragraph = anchor.makeelement("p", {})
        paragraph.text = text
        paragraph.tail, anchor.tail = anchor.tail, None
        anchor.addnext(paragraph)
        caption.getparent().remove(caption)


_EMPTY_INLINE = ("span", "b", "i", "em", "strong", "q")


def _drop_empty_inline(root: HtmlElement) -> None:
    """Inline elements without text are unwrapped, the text after them stays.

    trafilatura's precision mode deletes empty elements together with the text that follows
    them: an icon placeholder (``<li><span></span>Item text</li>``) cost a list its items, a
    picture's wrapper (``<p><span><img></span>Text</p>``, empty once images are dropped) a
    paragraph its text.
    """
    for el in list(root.iter(*_EMPTY_INLINE)):
        if el.tail and el.tail.strip() and not (el.text_content() or "").strip():
            el.drop_tag()


def _unlink_heading_anchors(root: HtmlElement) -> None:
    """Sub-headings that link to themselves (``<h3 id="x"><a href="#x">``) are plain headings.

    A heading whose text is all link reads as a navigation link to trafilatura's precision
    mode, which drops it: a page's permalink anchors cost it every sub-heading. A link to a
    place on the same page is unwrapped; links to other pages stay.
    """
    for heading in root.iter("h2", "h3", "h4", "h5", "h6"):
        for a in list(heading.iter("a")):
            if (a.get("href") or "").startswith("#") and _text(a):
                a.drop_tag()


@dataclass(slots=True)
class Precleaned:
    """The page without its chrome, and how much text its paragraphs held before."""

    root: HtmlElement
    # characters in the page's text paragraphs (``<p>`` of 40 characters or more), chrome
    # included: what a plausible extraction of an article page is measured against (list
    # items and quotes left out: counting them sends roundups to the slower fallbacks for
    # nothing)
    paragraph_chars: int


def preclean(root: HtmlElement) -> Precleaned:
    """Remove chrome from ``root`` in place."""
    # never text: dropped first (C-level), so no later pass, ours or trafilatura's, walks them
    strip_elements(root, *_NEVER_TEXT, with_tail=False)
    _keep_story_captions(root)
    _unwrap_embeds(root)
    guard = _Guard(root)
    _remove_markup_chrome(root, guard)
    _remove_teaser_blocks(root, guard)
    _remove_link_dense(root, guard)
    _unlink_heading_anchors(root)
    _drop_empty_inline(root)
    _mark_article_container(root, guard.plen)
    return Precleaned(root, guard.paragraph_chars)
