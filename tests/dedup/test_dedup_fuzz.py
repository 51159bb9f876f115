"""Property tests of dedup on arbitrary Unicode: never raise, consistent verdicts.

Whatever text the cleaner hands over (empty, whitespace only, RTL marks, combining runs, any
script), normalisation is idempotent and a text added to the index is an exact copy of itself.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akhbar.dedup import Deduplicator, Duplicate, Unique, normalize_text, words
from akhbar.dedup.normalize import reference_normalize
from akhbar.records import DuplicateKind
from akhbar.settings import DedupSettings

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# pieces that stress normalisation: bidi controls, joiners, tatweel, diacritics, combining
# runs, compatibility forms, odd spaces, case folds that expand, digits of other scripts
EDGE = [
    "\u200f",
    "\u200e",
    "\u202b",
    "\u202c",
    "\u2067",
    "\u2069",
    "\u200d",
    "\u200c",
    "\ufeff",
    "\u0640",
    "\u064b\u0650\u0651",
    "\u0301\u0301\u0301",
    "e\u0301",
    "\u1e9b\u0323",
    "\ufdfa",
    "\ufef5",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\t\r\n",
    "ß",
    "ﬃ",
    "İ",
    "ǅ",
    "٣٤",
    "۴",
    "أإآ",
    "ى",
    "ة",
    "ـــ",
    "..",
    "«»",
    " ",
    "",
]
ARABIC = st.text(st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=30)
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(EDGE), ARABIC, st.text(max_size=5)), max_size=40).map(
        "".join
    ),
    st.sampled_from(["", " ", "\n\n\t ", "\u200f\u200f", "\u0301", "\ufeff \u00a0"]),
)
words_text = st.lists(
    st.one_of(ARABIC.filter(str.strip), st.sampled_from(EDGE)), min_size=0, max_size=120
).map(" ".join)


@FUZZ
@given(texts)
def test_normalisation_is_idempotent_and_matches_the_reference(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == reference_normalize(text)
    assert once == once.strip()
    assert "  " not in once
    assert all(w for w in words(once))


@FUZZ
@given(texts | words_text)
def test_a_text_added_is_an_exact_copy_of_itself(text: str) -> None:
    dedup = Deduplicator(DedupSettings())
    fp = dedup.fingerprint(text)
    assert fp.word_count == len(words(normalize_text(text)))
    assert isinstance(dedup.check(fp), Unique)
    dedup.add(1, fp)
    again = dedup.check(dedup.fingerprint(text))
    assert isinstance(again, Duplicate)
    assert (again.of, again.kind, again.similarity) == (1, DuplicateKind.EXACT, 1.0)
    # a stored signature reads back to the same verdict
    reloaded = Deduplicator(DedupSettings())
    reloaded.load([(7, fp.text_hash, fp.signature_bytes())])
    verdict = reloaded.check(fp)
    assert isinstance(verdict, Duplicate) and verdict.of == 7


@FUZZ
@given(st.lists(texts | words_text, min_size=1, max_size=6))
def test_verdicts_are_consistent_over_a_small_index(batch: list[str]) -> None:
    dedup = Deduplicator(DedupSettings())
    for i, text in enumerate(batch, start=1):
        fp = dedup.fingerprint(text)
        verdict = dedup.check(fp)
        if isinstance(verdict, Duplicate):
            assert verdict.of in dedup and 0.0 <= verdict.similarity <= 1.0
            if verdict.containment is not None:
                assert 0.0 <= verdict.containment <= 1.0
        else:
            dedup.add(i, fp)
    for text in batch:  # every text of the batch is now known, as itself or as a copy
        assert isinstance(dedup.check(dedup.fingerprint(text)), Duplicate)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(st.characters(categories=["Cs"]), min_size=1, max_size=5), texts)
def test_lone_surrogates_do_not_crash(surrogates: str, text: str) -> None:
    mixed = text + surrogates + text
    normalize_text(mixed)
    dedup = Deduplicator(DedupSettings())
    dedup.add(1, dedup.fingerprint(mixed))
    assert isinstance(dedup.check(dedup.fingerprint(mixed)), Duplicate)
