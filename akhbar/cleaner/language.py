"""The page's language: what it declares, checked against the script its text is written in."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

__all__ = ["detect_language", "script_language"]

_ARABIC_SCRIPT_LANGS = frozenset({"ar", "fa", "ur", "ps", "ku", "ckb", "sd", "ug"})
# runs, not single letters: removing runs and comparing lengths counts letters with far fewer
# matches than finding each letter (docs/benchmarks.md, "Extraction")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]+")
_SAMPLE = 2000  # characters from each end of the text
_EN_WORDS = frozenset(
    {"the", "of", "and", "to", "in", "is", "that", "for", "on", "with", "was", "as", "by", "it"}
    | {"at", "from", "are", "this", "be", "has", "have", "said"}
)


def _primary(tag: str | None) -> str | None:
    """``ar-EG`` / ``ar_AR`` / ``AR`` → ``ar``."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def declared_language(root: HtmlElement) -> str | None:
    """The language the markup declares (``<html lang>``, content-language meta, og:locale)."""
    candidates = [root.get("lang"), root.get("xml:lang")]
    for meta in root.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("name") or meta.get("property") or "").lower()
        if key in ("content-language", "language", "og:locale", "dc.language"):
            candidates.append((meta.get("content") or "").split(",")[0])
    for candidate in candidates:
        primary = _primary(candidate)
        if primary:
            return primary
    return None


def script_language(text: str) -> str | None:
    """A rough guess from the letters: Arabic script → "ar", English function words → "en".

    Long texts are judged on their first and last few thousand characters: the script of an
    article does not change halfway, and counting every letter of a long text was a visible
    share of the cleaner's time.
    """
    if len(text) > 2 * _SAMPLE:
        text = text[:_SAMPLE] + "\n" + text[-_SAMPLE:]
    arabic = len(text) - len(_ARABIC.sub("", text))
    latin = len(text) - len(_LATIN.sub("", text))
    if arabic + latin < 20:
        return None
    if arabic >= 0.6 * (arabic + latin):
        return "ar"
    if latin >= 0.6 * (arabic + latin):
        words = re.findall(r"[a-z]+", text.lower())
        if words and sum(w in _EN_WORDS for w in words) / len(words) > 0.08:
            return "en"
    return None


def detect_language(page: HtmlElement | str | None, text: str) -> str | None:
    """Declared language unless the text's script contradicts it, else a script-based guess.

    ``page`` is the parsed page or the language it declares (see :func:`declared_language`).
    """
    declared = page if page is None or isinstance(page, str) else declared_language(page)
    guessed = script_language(text)
    if declared is None:
        return guessed
    if guessed == "ar" and declared not in _ARABIC_SCRIPT_LANGS:
        return "ar"  # an Arabic site on an English template (lang="en") is common
    if guessed == "en" and declared in _ARABIC_SCRIPT_LANGS:
        return "en"
    return declared
