"""Text normalisation for hashing and shingling (never for display or storage).

Two copies of one Arabic story often differ only in spelling conventions that carry no meaning
for "is this the same text": optional diacritics (harakat), tatweel used for justification,
the hamza forms of alef (أ إ آ ٱ), alef maqsura vs. yeh (ى/ي), ta marbuta vs. heh (ة/ه),
hamza seats (ؤ ئ), Arabic-Indic vs. ASCII digits, and typographic punctuation (Arabic comma,
curly or straight quotes, guillemets...). :func:`normalize_text` folds all of these so that
the exact hash and the MinHash shingles see the words, not the typography.

The folding is deliberately lossy (ة → ه merges two letters, punctuation disappears): the
result is a comparison key, the stored article keeps its original text.

All character rules live in one ``str.translate`` table built once at import; one pass is
NFKC → case folding → table → whitespace collapse, repeated until nothing changes (deleting a
mark can make two neighbours composable again), so the function is idempotent.
"""

from __future__ import annotations

import hashlib
import unicodedata

__all__ = ["REMOVED_CHARS", "normalize_text", "normalized_hash", "text_hash", "words"]

# Arabic harakat and other combining marks (fathatan ... wavy hamza below, superscript alef)
_HARAKAT = [*range(0x064B, 0x0660), 0x0670]
# Quranic annotation marks: honorifics and small high letters above/below the line
_QURANIC = [
    *range(0x0610, 0x061B),
    *range(0x06D6, 0x06DD),
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
]
_TATWEEL = [0x0640]

# Letter variants folded to one representative (after NFKC, which already maps the
# presentation forms U+FB50–U+FEFF to these base letters).
_LETTER_FOLDS = {
    "أ": "ا",  # alef with hamza above
    "إ": "ا",  # alef with hamza below
    "آ": "ا",  # alef with madda
    "ٱ": "ا",  # alef wasla
    "ى": "ي",  # alef maqsura
    "ی": "ي",  # Farsi yeh, common in Arabic text typed on Persian keyboards
    "ک": "ك",  # keheh (Persian kaf), same reason
    "ة": "ه",  # ta marbuta
    "ؤ": "ء",  # hamza on waw
    "ئ": "ء",  # hamza on yeh
}
_DIGIT_BLOCKS = (0x0660, 0x06F0)  # Arabic-Indic ٠-٩ and extended (Persian/Urdu) ۰-۹

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
            elif category == "Cf":
                table[cp] = None  # zero-width joiners, bidi marks, BOM: invisible, dropped
    for cp in (*_HARAKAT, *_QURANIC, *_TATWEEL):
        table[cp] = None
    for src, dst in _LETTER_FOLDS.items():
        table[ord(src)] = dst
    for base in _DIGIT_BLOCKS:
        for value in range(10):
            table[base + value] = str(value)
    removed = frozenset(chr(cp) for cp, repl in table.items() if repl is None)
    return table, removed


_TABLE, REMOVED_CHARS = _build_table()
"""``REMOVED_CHARS``: characters deleted outright (marks, tatweel, format characters)."""

_MAX_PASSES = 4  # in practice one pass, two when a deletion re-enables a composition


def _one_pass(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = unicodedata.normalize("NFKC", folded).translate(_TABLE)
    return " ".join(folded.split())


def normalize_text(text: str) -> str:
    """The comparison key of ``text``: folded spelling, no punctuation, single spaces."""
    current = _one_pass(text)
    for _ in range(_MAX_PASSES):
        # The table's outputs (space, ASCII digits, base letters) are never table inputs, so a
        # pass can only change a text that is not NFKC or not case folded.
        if unicodedata.is_normalized("NFKC", current) and current.casefold() == current:
            break
        current = _one_pass(current)
    return current


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for copies that differ only in typography."""
    return normalized_hash(normalize_text(text))


def normalized_hash(normalized: str) -> str:
    """SHA-256 (hex) of an already normalised text (saves normalising twice)."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def words(normalized: str) -> list[str]:
    """The words of an already normalised text (it is single-space separated)."""
    return normalized.split()
