"""Per-source boilerplate: lines that recur across many pages of one source are chrome.

trafilatura and the markup rules judge one page at a time; some chrome only shows itself across
pages: the teaser headlines of a site's own stories, its slogan, a "View on …" line, the desk's
byline, a newsletter box. A :class:`BoilerplateModel` counts, for one source, in how many
recent pages each normalised line of the cleaned text occurs, and which lines were the titles
of the source's pages. A line is learned as chrome when

* it is the title of another page of the source and occurs in the body of at least
  ``min_teaser_pages`` other pages (a teaser headline), or
* it occurs in at least ``min_pages`` pages and in at least ``min_share`` of the pages seen
  (slogans, embeds, boxes, desk bylines).

A line is counted once per page, so a sub-heading repeated inside one article never adds up;
the first line of a text (a dateline or the lead) is never stripped, and a text is never cut
by more than half. Counts decay (halve) every ``window`` pages so the model follows the
source's recent pages. Plain Python: the storage layer persists :class:`LineStat` rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from akhbar.text.arabic import word_key

__all__ = ["BoilerplateModel", "LineStat", "line_key"]

MIN_KEY_CHARS = 6  # shorter lines ("1", "—") carry no evidence
SAMPLE_CHARS = 500  # a line's sample text (LineStat.text) is cut here


@lru_cache(maxsize=8192)
def line_key(line: str) -> str | None:
    """A stable key for a line (normalised text, hashed), or None for a too-short line.

    Cached: each page's lines are keyed by :meth:`BoilerplateModel.observe` and then again by
    :meth:`BoilerplateModel.strip`, and a source's chrome lines recur on every page."""
    norm = word_key(line)
    if len(norm) < MIN_KEY_CHARS:
        return None
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class LineStat:
    """How often one line was seen in the bodies and as the title of a source's pages."""

    key: str
    text: str
    pages: int = 0
    titles: int = 0
    dirty: bool = field(default=True, compare=False)


@dataclass
class BoilerplateModel:
    """What the recent pages of one source have in common (see the module docstring)."""

    source: str
    pages_seen: int = 0
    lines: dict[str, LineStat] = field(default_factory=dict)
    min_pages: int = 4
    min_share: float = 0.3
    min_teaser_pages: int = 1
    window: int = 500
    forgotten: set[str] = field(default_factory=set)  # keys decayed to nothing, to delete
    _since_decay: int = 0

    # -- learning -----------------------------------------------------------------------------
    def observe(self, text: str, title: str = "") -> None:
        """Count the distinct lines of one page's cleaned text, and its title."""
        self.pages_seen += 1
        seen: set[str] = set()
        for line in text.splitlines():
            key = line_key(line)
            if key is None or key in seen:
                continue  # once per page: repeated sub-headings do not add up
            seen.add(key)
            stat = self._stat(key, line)
            stat.pages += 1
            stat.dirty = True
        title_key = line_key(title) if title else None
        if title_key is not None:
            stat = self._stat(title_key, title)
            stat.titles += 1
            stat.dirty = True
        self._since_decay += 1
        if self._since_decay >= self.window:
            self._decay()

    def _stat(self, key: str, line: str) -> LineStat:
        stat = self.lines.get(key)
        if stat is None:
            stat = self.lines[key] = LineStat(key, line.strip()[:SAMPLE_CHARS])
        return stat

    def _decay(self) -> None:
        self._since_decay = 0
        self.pages_seen = (self.pages_seen + 1) // 2
        for key in list(self.lines):
            stat = self.lines[key]
            stat.pages //= 2
            stat.titles //= 2
            stat.dirty = True
            if not stat.pages and not stat.titles:
                del self.lines[key]
                self.forgotten.add(key)

    # -- judging ------------------------------------------------------------------------------
    def is_chrome_key(self, key: str) -> bool:
        stat = self.lines.get(key)
        if stat is None:
            return False
        if stat.titles and stat.pages >= self.min_teaser_pages:
            return True  # another page's headline, shown in the bodies of other pages
        return stat.pages >= self.min_pages and stat.pages >= self.min_share * self.pages_seen

    def chrome_lines(self) -> list[str]:
        """The learned chrome lines (sample text), most frequent first."""
        found = [s for s in self.lines.values() if self.is_chrome_key(s.key)]
        return [s.text for s in sorted(found, key=lambda s: (-s.pages, s.text))]

    def strip(self, text: str, title: str = "") -> str:
        """``text`` without its learned chrome lines (never the first line, never over half)."""
        if not self.lines:
            return text
        own_title = line_key(title) if title else None
        kept: list[str] = []
        removed = 0
        first = True
        for line in text.split("\n"):
            key = line_key(line)
            if not first and key is not None and key != own_title and self.is_chrome_key(key):
                removed += len(line)
                continue
            if line.strip():
                first = False
            kept.append(line)
        if removed == 0 or removed > 0.5 * len(text):
            return text
        return _tidy("\n".join(kept))

    # -- persistence support --------------------------------------------------------------------
    def restore(self, key: str, text: str, pages: int, titles: int) -> None:
        """Add a line read back from storage under ``key``, with its sample ``text``.

        The key is made again from the text: one made under an older Arabic folding
        (:mod:`akhbar.text.arabic`) would never match the line again, so the line moves to its
        current key (adding up with a line already there, when two spellings now fold alike)
        and the old key is forgotten, its row deleted at the next save. A sample cut at
        :data:`SAMPLE_CHARS` cannot be keyed again and keeps its key."""
        current = line_key(text) if len(text) < SAMPLE_CHARS else None
        if current is None or current == key:
            self._merge(key, text, pages, titles, dirty=False)
        else:
            self.forgotten.add(key)
            self._merge(current, text, pages, titles, dirty=True)

    def _merge(self, key: str, text: str, pages: int, titles: int, *, dirty: bool) -> None:
        self.forgotten.discard(key)
        stat = self.lines.get(key)
        if stat is None:
            self.lines[key] = LineStat(key, text, pages, titles, dirty=dirty)
            return
        stat.pages += pages
        stat.titles += titles
        stat.dirty = True

    def dirty(self) -> list[LineStat]:
        """Lines changed since :meth:`mark_clean` that are worth persisting (seen twice+)."""
        return [s for s in self.lines.values() if s.dirty and s.pages + s.titles >= 2]

    def mark_clean(self, stats: Iterable[LineStat]) -> None:
        for stat in stats:
            stat.dirty = False


_BLANKS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Collapse the blank lines left where lines were removed."""
    return _BLANKS.sub("\n\n", text).strip()
