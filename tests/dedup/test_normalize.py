"""Normalisation: one concrete example per rule, and the properties hashing relies on."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from akhbar.dedup.normalize import REMOVED_CHARS, normalize_text, text_hash, words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # hamza forms of alef, alef wasla
        ("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال الله"),
        # hamza seats on waw and yeh
        ("مؤتمر رئيس", "مءتمر رءيس"),
        # ta marbuta
        ("مدرسة القمة", "مدرسه القمه"),
        # alef maqsura (and the Farsi yeh, typed on Persian keyboards)
        ("مستشفى على یوم", "مستشفي علي يوم"),
        # harakat, shadda, sukun, superscript alef
        ("الرَّئِيسُ قَطَرَ هٰذا", "الرءيس قطر هذا"),
        # Quranic annotation marks
        ("صلى الله عليه ﷺ ۖ", "صلي الله عليه صلي الله عليه وسلم"),
        # tatweel
        ("قطـــر", "قطر"),
        # Arabic-Indic and Persian digits
        ("٢٠٢٢ ۱۹۸۸", "2022 1988"),
        # Arabic comma, semicolon, question mark, typographic quotes, guillemets, dashes
        ("قال، “نعم”؛ لماذا؟ «حسنا» — انتهى…", "قال نعم لماذا حسنا انتهي"),
        ('مؤتمر"التفاعل": "العلاقات', "مءتمر التفاعل العلاقات"),
        # symbols and slashes separate words
        ("نوفمبر/تشرين 100% $5", "نوفمبر تشرين 100 5"),
        # case folding (and NFKC: full-width letters, ligatures)
        ("Putin RECEIVES Straße Ｑａｔａｒ ﬁne", "putin receives strasse qatar fine"),
        # whitespace: tabs, newlines, no-break spaces, runs; zero-width and bidi marks dropped
        ("  أ\tب\n\nج\u00a0د\u200fه\u200c\u200d ", "ا ب ج ده"),
        # presentation forms become base letters (NFKC) before folding
        ("ﻗﻄﺮ ﺓ", "قطر ه"),
        ("", ""),
        (" ،؛؟ ", ""),
    ],
)
def test_rules(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_spellings_of_one_sentence_hash_alike() -> None:
    a = "أعرب الرئيس الروسي فلاديمير بوتين، الأحد 12 نوفمبر/تشرين الثاني 2000، عن تطلّع بلاده"
    b = 'اعرب الرَّئيس الروسى "فلاديمير بوتين" الاحد ١٢ نوفمبر - تشرين الثانى ٢٠٠٠ عن تطلع بلاده.'
    assert normalize_text(a) == normalize_text(b)
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash(a + " اليوم")
    assert len(text_hash(a)) == 64


def test_words_split_on_single_spaces() -> None:
    assert words(normalize_text("بوتين،  يبعث\nرسالة")) == ["بوتين", "يبعث", "رساله"]
    assert words("") == []


# Text with a bias towards the characters the rules are about.
_ARABIC = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
_MIXED = st.one_of(
    st.characters(),
    _ARABIC,
    st.sampled_from(list(" \t\n،؛؟“”«»\"'.-ـأإآٱىةؤئ٠٩۰۹\u064b\u0651\u0670\u200c\u0301e")),
)
_TEXTS = st.text(alphabet=_MIXED, max_size=80)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
@example("e\u064b\u0301")  # deleting the mark makes e + acute composable
@example("ا\u064b\u0654")  # alef + fathatan + hamza above
@example("ǰ")  # case folding decomposes it
def test_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def _has_letter_or_digit(text: str) -> bool:
    """A letter or decimal digit that is not a mark deleted on purpose (tatweel, small high
    letters), judged after NFKC: an isolated-form haraka such as U+FE70 is a mark, not a letter."""
    return any(
        unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nd"
        for ch in unicodedata.normalize("NFKC", text)
        if ch not in REMOVED_CHARS
    )


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
@example("ﹰب")  # isolated fathatan (a presentation-form "letter") next to a real letter
@example("ـ1")
def test_never_empties_a_text_with_a_letter_or_digit(text: str) -> None:
    if _has_letter_or_digit(text):
        assert normalize_text(text) != ""


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_output_shape(text: str) -> None:
    out = normalize_text(text)
    assert out == out.strip()
    assert "  " not in out
    assert not set(out) & REMOVED_CHARS
    assert not any(unicodedata.category(ch)[0] in "PS" for ch in out)
