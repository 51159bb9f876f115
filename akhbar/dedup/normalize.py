"""Text normalisation for hashing and shingling (never for display or storage).

Two copies of one Arabic story often differ only in spelling conventions that carry no meaning
for "is this the same text": the Arabic spelling variants of :mod:`akhbar.text.arabic` (hamza
forms of alef, hamza seats ؤ ئ, alef maqsura, ta marbuta, harakat, tatweel, Arabic-Indic
digits...), letter case and compatibility forms, and typographic punctuation (Arabic comma,
curly or straight quotes, guillemets...). :func:`normalize_text` folds all of these so that
the exact hash and the MinHash shingles see the words, not the typography. The search index
holds this same key (:mod:`akhbar.storage.search`).

The folding is deliberately lossy (ة → ه merges two letters, punctuation disappears): the
result is a comparison key, the stored article keeps its original text.

All character rules live in one table built once at import (the Arabic folds of
:data:`akhbar.text.arabic.FOLD_TABLE`, plus punctuation, symbols and invisible characters);
one pass is NFKC → case folding → table → whitespace collapse, repeated until nothing changes
(deleting a mark can make two neighbours composable again), so the function is idempotent.
:func:`reference_normalize` is the plain ``str.translate`` definition; :func:`normalize_text`
computes the same result with the table as a numpy code-point array (one lookup for the whole
text instead of one dict lookup per character, several times faster: docs/benchmarks.md,
"Dedup"), and :func:`normalize_codepoints` also hands the code points to the shingle hashing
of :mod:`akhbar.dedup.sketch`.
"""

from __future__ import annotations

import hashlib
import unicodedata

import numpy as np
import numpy.typing as npt

from akhbar.text.arabic import FOLD_TABLE

__all__ = [
    "REMOVED_CHARS",
    "TABLE",
    "normalize_codepoints",
    "normalize_text",
    "normalized_hash",
    "reference_normalize",
    "text_hash",
    "words",
]

# Code points that Unicode assigns outside these ranges are CJK ideographs and private use
# (no punctuation, symbols or format characters), so scanning them would only cost time.
_SCAN_RANGES = (range(0x20000), range(0xE0000, 0xE1000))


def _build_table() -> tuple[dict[int, str | None], frozenset[str]]:
    table: dict[int, str | None] = {}
    for ranges in _SCAN_RANGES:
        for cp in ranges:
            category = unicodedata.category(chr(cp))
            if category[0] in "PS" or category == "Cc":
                table[cp] = " "  # punctuation, symbols, control characters separate words
            elif category in ("Cf", "Cs"):
                # zero-width joiners, bidi marks, BOM: invisible, dropped; lone surrogates
                # (from bad escapes upstream) are dropped too, so the key always encodes
                table[cp] = None
    table.update(FOLD_TABLE)  # Arabic letters, marks and digits (after NFKC: base letters)
    removed = frozenset(chr(cp) for cp, repl in table.items() if repl is None)
    return table, removed


TABLE, REMOVED_CHARS = _build_table()
"""``TABLE``: code point → replacement (``None`` deletes); ``REMOVED_CHARS``: characters
deleted outright (marks, tatweel, format characters)."""
_TABLE = TABLE

_MAX_PASSES = 4  # in practice one pass, two when a deletion re-enables a composition


def _one_pass(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = unicodedata.normalize("NFKC", folded).translate(_TABLE)
    return " ".join(folded.split())


def reference_normalize(text: str) -> str:
    """The definition of the comparison key (``str.translate``); :func:`normalize_text` is the
    same function, faster."""
    current = _one_pass(text)
    for _ in range(_MAX_PASSES):
        # The table's outputs (space, ASCII digits, base letters) are never table inputs, so a
        # pass can only change a text that is not NFKC or not case folded.
        if unicodedata.is_normalized("NFKC", current) and current.casefold() == current:
            break
        current = _one_pass(current)
    return current


# -- the vectorised implementation ------------------------------------------------------------
_SPACE = 32
_DELETE = 0xFFFFFFFF  # array value of characters removed outright
_CODEPOINTS = 0x110000


def _build_codepoint_table() -> npt.NDArray[np.uint32]:
    """:data:`TABLE` as an array indexed by code point; every whitespace character maps to a
    space (``str.split`` splits on it anyway)."""
    table = np.arange(_CODEPOINTS, dtype=np.uint32)
    for cp in range(0x3001):  # U+3000 is the last whitespace character
        if chr(cp).isspace():
            table[cp] = _SPACE
    for cp, repl in TABLE.items():
        if repl is None:
            table[cp] = _DELETE
        else:
            assert len(repl) == 1, "the table maps single characters"
            table[cp] = _SPACE if repl.isspace() else ord(repl)
    return table


_TABLE_ARRAY = _build_codepoint_table()


def _build_fold_tables() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """Case folding per code point: the folded code point (``_MULTI`` when a character folds
    to several, e.g. ß → ss), and whether folding changes the character at all."""
    fold = np.arange(_CODEPOINTS, dtype=np.uint32)
    changes = np.zeros(_CODEPOINTS, dtype=np.bool_)
    for cp in range(0x20000):  # no character above folds
        ch = chr(cp)
        folded = ch.casefold()
        if folded != ch:
            changes[cp] = True
            fold[cp] = ord(folded) if len(folded) == 1 else _MULTI
    return fold, changes


_MULTI = 0xFFFFFFFE
_FOLD_ARRAY, _FOLD_CHANGES = _build_fold_tables()


def _build_blank_table() -> npt.NDArray[np.uint32]:
    """Characters that NFKC would change but the table would turn into spaces anyway (no-break
    spaces, the ellipsis, presentation-form punctuation...): mapped to a space *before* NFKC
    the result is the same, and the common article then needs no NFKC at all. Only starters
    whose whole compatibility form becomes spaces qualify (a space composes with nothing)."""
    blank = np.arange(_CODEPOINTS, dtype=np.uint32)
    for cp in range(0x20000):
        ch = chr(cp)
        if unicodedata.is_normalized("NFKC", ch) or unicodedata.combining(ch):
            continue
        form = unicodedata.normalize("NFKC", ch).casefold()
        blanks = all(c.isspace() or _TABLE.get(ord(c), "x") == " " for c in form)
        if form and blanks and not any(unicodedata.combining(c) for c in form):
            blank[cp] = _SPACE
    return blank


_BLANK_ARRAY = _build_blank_table()


def _build_flagged_table() -> npt.NDArray[np.uint32]:
    """:data:`_TABLE_ARRAY` with two flags per code point, so that one lookup answers three
    questions: the replacement (low 30 bits, deletion as ``_FLAGGED_DELETE``), whether the
    character itself changes under case folding (``_FOLDS``), and whether its replacement does
    (``_OUTPUT_FOLDS``: then the result needs another pass)."""
    table = _TABLE_ARRAY.copy()
    deleted = table == _DELETE
    table[deleted] = _FLAGGED_DELETE
    output_folds = np.zeros(_CODEPOINTS, dtype=np.bool_)
    output_folds[~deleted] = _FOLD_CHANGES[_TABLE_ARRAY[~deleted]]
    table[_FOLD_CHANGES] |= _FOLDS
    table[output_folds] |= _OUTPUT_FOLDS
    return table


_FOLDS = np.uint32(0x40000000)
_OUTPUT_FOLDS = np.uint32(0x80000000)
_VALUE_BITS = np.uint32(0x3FFFFFFF)
_FLAGGED_DELETE = 0x3FFFFFFF  # code points stay below 0x110000
_FLAGGED_ARRAY = _build_flagged_table()


def _codepoints(text: str) -> npt.NDArray[np.uint32]:
    cps: npt.NDArray[np.uint32] = np.frombuffer(
        text.encode("utf-32-le", "surrogatepass"), np.uint32
    )
    return cps


def _array_pass(text: str) -> tuple[npt.NDArray[np.uint32], bool]:
    """One pass of :func:`_one_pass` as an array of code points (single spaces, no edges), and
    whether the result holds a character that case folding would change.

    Case folding is a per-character table too; ``str.casefold`` only runs for the rare text
    holding a character that folds to several. The fold check rides on the table lookup
    (:func:`_build_flagged_table`).
    """
    cps = _codepoints(text)
    if not unicodedata.is_normalized("NFKC", text):
        cps = _BLANK_ARRAY[cps]
        text = _from_array(cps)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
            cps = _codepoints(text)
    mapped: npt.NDArray[np.uint32] = _FLAGGED_ARRAY[cps]
    if (mapped & _FOLDS).any():  # Arabic has no case: most articles skip this
        folded_cps = _FOLD_ARRAY[cps]
        folded = text.casefold() if (folded_cps == _MULTI).any() else _from_array(folded_cps)
        if not unicodedata.is_normalized("NFKC", folded):
            folded = unicodedata.normalize("NFKC", folded)
        mapped = _FLAGGED_ARRAY[_codepoints(folded)]
    output_folds = bool((mapped >= _OUTPUT_FOLDS).any())
    mapped &= _VALUE_BITS
    mapped = mapped[mapped != _FLAGGED_DELETE]
    if mapped.size == 0:
        return mapped, output_folds
    space = mapped == _SPACE
    keep = ~space  # a space survives only right after a non-space
    keep[1:] |= ~space[:-1]
    mapped = mapped[keep]
    if mapped.size and mapped[0] == _SPACE:
        mapped = mapped[1:]
    if mapped.size and mapped[-1] == _SPACE:
        mapped = mapped[:-1]
    return mapped, output_folds


def _from_array(cps: npt.NDArray[np.uint32]) -> str:
    return cps.tobytes().decode("utf-32-le", "surrogatepass")


def normalize_codepoints(text: str) -> tuple[str, npt.NDArray[np.uint32]]:
    """The comparison key of ``text`` and its code points (uint32, words split by 32)."""
    cps, output_folds = _array_pass(text)
    current = _from_array(cps)
    for _ in range(_MAX_PASSES):
        if not output_folds and unicodedata.is_normalized("NFKC", current):
            break
        cps, output_folds = _array_pass(current)
        current = _from_array(cps)
    return current, cps


def normalize_text(text: str) -> str:
    """The comparison key of ``text``: folded spelling, no punctuation, single spaces."""
    return normalize_codepoints(text)[0]


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for copies that differ only in typography."""
    return normalized_hash(normalize_text(text))


def normalized_hash(normalized: str) -> str:
    """SHA-256 (hex) of an already normalised text (saves normalising twice)."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def words(normalized: str) -> list[str]:
    """The words of an already normalised text (it is single-space separated)."""
    return normalized.split()
