"""Line-level cleaning of the extracted text, and assembly of the final string.

Drops what survives trafilatura although it is chrome: ``View on …`` embeds, share-button
text, leftover teaser headings, truncated teaser headlines (ending in ``…``) that are links on
the page, a first line repeating the title, and a second copy of a run of prose paragraphs.
Sub-headings and the article's own lists (a sources list whose lines start with ``-`` and are
not links) are never touched.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from akhbar.cleaner.precleaning import is_teaser_heading
from akhbar.cleaner.render import Block
from akhbar.text.arabic import word_key

__all__ = ["LinkTexts", "drop_repeated_runs", "join_blocks", "postclean"]

_VIEW_ON = re.compile(r"^\s*(?:view|read|see|watch)\s+(?:on|at|it on)\s+\S+\s*$", re.I)
_SHARE_WORDS = frozenset(
    {
        "share",
        "shares",
        "tweet",
        "email",
        "print",
        "copy",
        "link",
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "telegram",
        "linkedin",
        "pinterest",
        "reddit",
        "messenger",
        "شارك",
        "مشاركة",
        "شارك الخبر",
        "انشر",
        "طباعة",
        "نسخ",
        "الرابط",
        "نسخ الرابط",
        "فيسبوك",
        "فيس",
        "بوك",
        "تويتر",
        "واتساب",
        "واتس",
        "اب",
        "تيليجرام",
        "تلغرام",
        "لينكدإن",
        "لينكد",
        "ان",
        "بريد",
        "البريد",
        "الإلكتروني",
        "عبر",
        "على",
        "via",
        "on",
    }
)
_ELLIPSIS = re.compile(r"\s*(?:…|\.{3})\s*$")
_NON_WORD = re.compile(r"[\W_]+")


class LinkTexts:
    """The texts of the page's links, for recognising teaser lines in the output."""

    def __init__(self, root: HtmlElement) -> None:
        keys: set[str] = set()
        for a in root.iter("a"):
            for text in (a.text_content(), a.get("title") or ""):
                if len(text) < 12:  # no key of 12 characters can come from it
                    continue
                key = word_key(text)
                if len(key) >= 12:
                    keys.add(key)
        self.keys = keys
        self._sorted = sorted(keys)
        self._longest = max((len(k) for k in keys), default=0)

    def is_link(self, line: str) -> bool:
        """True if the line is the text of a link (possibly truncated with an ellipsis)."""
        if len(line) > 2 * self._longest + 40:  # far longer than any link: skip normalising
            return False
        key = word_key(_ELLIPSIS.sub("", line))
        if len(key) < 12:
            return False
        if key in self.keys:
            return True
        if not _ELLIPSIS.search(line):
            return False
        # truncated: some link text starts with the line
        i = bisect.bisect_left(self._sorted, key)
        return i < len(self._sorted) and self._sorted[i].startswith(key)


def _is_share_text(line: str) -> bool:
    if len(line) > 100:  # eight share words at most
        return False
    words = _NON_WORD.sub(" ", line.casefold()).split()
    return bool(words) and len(words) <= 8 and all(w in _SHARE_WORDS for w in words)


_LEAD_IN = re.compile(r"^\s*([^:：]{2,30}?)\s*[:：]\s*(.+)$")


def _is_teaser_link_line(line: str, links: LinkTexts) -> bool:
    """``اقرأ أيضا: <headline of another article>`` written inline in one paragraph."""
    match = _LEAD_IN.match(line)
    return match is not None and is_teaser_heading(match[1]) and links.is_link(match[2])


def _is_chrome_line(line: str, links: LinkTexts) -> bool:
    if _VIEW_ON.match(line) or _is_share_text(line) or is_teaser_heading(line):
        return True
    if _is_teaser_link_line(line, links):
        return True
    return bool(_ELLIPSIS.search(line)) and links.is_link(line)


def _same(a: str, b: str) -> bool:
    return bool(a) and word_key(a) == word_key(b)


def postclean(blocks: Iterable[Block], *, title: str, links: LinkTexts) -> list[Block]:
    """Blocks without chrome lines; the title is not repeated as the first line."""
    cleaned: list[Block] = []
    for block in blocks:
        lines = [line for line in block.lines if line.strip() and not _is_chrome_line(line, links)]
        if lines:
            cleaned.append(Block(block.kind, lines))
    # the headline repeated as the first line(s) of the body
    while cleaned and title and _same(cleaned[0].lines[0], title):
        first = cleaned[0]
        if len(first.lines) > 1:
            cleaned[0] = Block(first.kind, first.lines[1:])
        else:
            cleaned.pop(0)
    # a trailing teaser heading whose teasers were removed leaves nothing; drop trailing heads
    while cleaned and cleaned[-1].kind == "head" and is_teaser_heading(cleaned[-1].lines[0]):
        cleaned.pop()
    return cleaned


_PROSE = 150  # characters: a block this long is a told paragraph, not an item or a label
_REPEATED_PROSE = 4  # prose blocks in a repeated run, for it to be a second copy of the text


def drop_repeated_runs(blocks: list[Block]) -> list[Block]:
    """The blocks without a second copy of a run of them.

    Some layouts hold the article twice (a mobile and a desktop copy, tab panels showing the
    same text), and trafilatura returns every copy. A run of consecutive blocks repeating an
    earlier run is dropped when it holds several prose paragraphs: repeated items, labels and
    short lines (a meal plan's portions, a spec sheet) are left as they are.
    """
    keys = ["\n".join(b.lines) for b in blocks]
    seen: dict[str, list[int]] = {}
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        run = 0
        for j in seen.get(keys[i], ()):
            n = 0
            while i + n < len(blocks) and j + n < i and keys[j + n] == keys[i + n]:
                n += 1
            run = max(run, n)
        if sum(1 for key in keys[i : i + run] if len(key) >= _PROSE) >= _REPEATED_PROSE:
            i += run
            continue
        seen.setdefault(keys[i], []).append(i)
        kept.append(blocks[i])
        i += 1
    return kept


def join_blocks(blocks: Iterable[Block]) -> str:
    """Blocks separated by one blank line; lines of a block (list items) by a newline."""
    return "\n\n".join("\n".join(b.lines) for b in blocks if b.lines).strip()
