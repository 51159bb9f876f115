"""Arabic spelling folds: the one definition of which Arabic spellings akhbar takes for one word.

A word reaches akhbar in spellings that do not change it for a reader: optional vowel marks,
tatweel stretching it for justification, the hamza of an alef written or left out, the seat of
a hamza following one country's convention or another's. A comparison that sees those
differences misses a teaser heading, a site name in a title, a learned boilerplate line, a
republished story or a search hit. Every Arabic comparison in akhbar therefore folds with
:data:`FOLD_TABLE`:

* the cleaner: :func:`fold_arabic` before matching month names, site names and breadcrumbs,
  :func:`word_key` for teaser headings, link texts and boilerplate lines;
* dedup (:mod:`akhbar.dedup.normalize`): its comparison key is NFKC, case folding, this table,
  then punctuation and whitespace collapsed;
* search (:mod:`akhbar.storage.search`): indexes and queries that same dedup key, and indexes
  each word once more without its definite article (:func:`without_article`).

The rules (lossy on purpose: a folded text is a comparison key, never stored or shown):

========================  =========  ===========================================================
written                   folded to  why
========================  =========  ===========================================================
أ إ آ ٱ                   ا          the hamza or madda on an alef is mostly left out when
                                     typing (اسعار for أسعار, اسرائيل for إسرائيل)
ى                         ي          alef maqsura and final yeh are interchanged (Egyptian
                                     print writes على as علي, مستشفى as مستشفي)
ی (Farsi yeh), ک (keheh)  ي, ك       text typed on Persian keyboards
ة                         ه          ta marbuta written as heh (مدرسه)
ؤ ئ                       ء          the seat of a hamza follows a convention, not the
                                     word: مسؤول (Levant, Gulf) and مسئول (Egypt), شؤون and
                                     شئون, يقرؤون and يقرءون; keeping the hamza and dropping
                                     the seat gives all of them one key (مسءول)
harakat, superscript      deleted    optional vowelling and Quranic annotation
alef, Quranic marks
tatweel (ـ)               deleted    justification only
٠-٩ and ۰-۹               0-9        Arabic-Indic and Persian digits
========================  =========  ===========================================================

Why hamza seats fold to ``ء`` (and not, say, ``ئ`` to ``ي``): folding the seat to its letter
would still leave مسؤول and مسئول apart (مسوول, مسيول), while the bare hamza joins them and
every other seat variant; the alef forms go to bare ``ا`` instead because an alef hamza is far
more often dropped than re-seated. Not folded: a bare ``ء`` (what the seats fold to) and plain
``و`` and ``ي`` (without a hamza they spell other words).

These rules shape three things akhbar stores: the dedup key behind ``articles.text_hash`` and
``articles.minhash``, the search rows (``articles_fts``, ``article_search``), and the keys of
``boilerplate_lines``. Stored signatures and search rows carry no version of the folding, so a
change here would silently mismatch what is stored: ``tests/text/test_arabic.py`` pins the
table, and a change must come with a way to rebuild them (docs/dedup.md). Boilerplate lines
are re-keyed from their stored text when a model is loaded
(:meth:`akhbar.cleaner.boilerplate.BoilerplateModel.restore`).

The table is built once at import and applied with ``str.translate`` (one pass, no regex):
the cleaner folds every link text and output line of every page.
"""

from __future__ import annotations

import re

__all__ = [
    "ARTICLE_PREFIXES",
    "DELETED_MARKS",
    "DIGIT_BLOCKS",
    "FOLD_TABLE",
    "LETTER_FOLDS",
    "fold_arabic",
    "without_article",
    "word_key",
]

LETTER_FOLDS: dict[str, str] = {
    "أ": "ا",  # alef with hamza above
    "إ": "ا",  # alef with hamza below
    "آ": "ا",  # alef with madda
    "ٱ": "ا",  # alef wasla
    "ى": "ي",  # alef maqsura
    "ی": "ي",  # Farsi yeh
    "ک": "ك",  # keheh (Persian kaf)
    "ة": "ه",  # ta marbuta
    "ؤ": "ء",  # hamza on waw
    "ئ": "ء",  # hamza on yeh
}
"""Letter variants and the one letter each is folded to."""

DELETED_MARKS: tuple[int, ...] = (
    *range(0x064B, 0x0660),  # harakat: fathatan ... wavy hamza below
    0x0670,  # superscript alef
    *range(0x0610, 0x061B),  # Quranic honorifics and small high letters
    *range(0x06D6, 0x06DD),  # Quranic small high ligatures and marks
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
    0x0640,  # tatweel
)
"""Code points deleted outright: they never change which word is written."""

DIGIT_BLOCKS: tuple[int, ...] = (0x0660, 0x06F0)
"""First code points of the Arabic-Indic (٠-٩) and Persian/Urdu (۰-۹) digits, folded to 0-9."""


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(DELETED_MARKS)
    table.update({ord(src): dst for src, dst in LETTER_FOLDS.items()})
    table.update({base + value: str(value) for base in DIGIT_BLOCKS for value in range(10)})
    return table


FOLD_TABLE = _build_fold_table()
"""Code point → replacement (``None`` deletes), for ``str.translate``; read it, do not change it.
No output of the table is an input of it, so folding twice changes nothing."""

_NON_WORD = re.compile(r"[\W_]+")

ARTICLE_PREFIXES: tuple[str, ...] = ("وال", "فال", "بال", "كال", "لل", "ال")
"""Definite article with its one-letter proclitics (and, so, with, like, for), longest first,
as they are spelled after folding."""


def fold_arabic(text: str) -> str:
    """``text`` with every Arabic spelling variant of :data:`FOLD_TABLE` folded; anything else
    (Latin case, punctuation, spacing) is left as it is."""
    return text.translate(FOLD_TABLE)


def word_key(text: str) -> str:
    """Comparison key of a short text (a heading, a link text, a line): folded, case folded,
    only its letters and digits, single spaces (``"اقرأ أيضاً:"`` → ``"اقرا ايضا"``)."""
    return _NON_WORD.sub(" ", fold_arabic(text).casefold()).strip()


def without_article(word: str) -> str | None:
    """A folded word without its definite article (``"والمدرسه"`` → ``"مدرسه"``), or None
    when it has none or too little would be left (``"والد"`` stays a word of its own)."""
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return None
