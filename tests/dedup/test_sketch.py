"""The vectorised fast path is the reference definition, only faster.

Normalisation must equal the ``str.translate`` reference on any text, and a signature built
by :class:`Sketcher` must equal datasketch's own ``MinHash`` fed the same shingles with the
scalar shingle hash, so the speed-up changes no verdict.
"""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import example, given, settings
from hypothesis import strategies as st

from akhbar.dedup import Deduplicator, Fingerprint
from akhbar.dedup.minhash import build_signature, shingles, signature_to_bytes
from akhbar.dedup.normalize import normalize_text, reference_normalize, words
from akhbar.dedup.sketch import HASH_VERSION, Sketcher, shingle_hash32
from akhbar.settings import DedupSettings

_MIXED = st.one_of(
    st.characters(codec="utf-8"),  # texts come decoded from pages: no lone surrogates
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),  # presentation forms
    st.sampled_from(
        list(" \t\n\u00a0\u2026\u2028،؛؟“”«»\"'.-ـأإآٱىةؤئ٠٩۰۹\u064b\u0651\u0670\u200c\u0301eßİﬁ")
    ),
)
_TEXTS = st.text(alphabet=_MIXED, max_size=120)


@settings(max_examples=600, deadline=None)
@given(_TEXTS)
@example("e\u064b\u0301")
@example("ǰ\u00a0…ﬁ")
@example("a\u2026\u0301")  # a mark after a blanked ellipsis
@example("ΐ ß İ")
def test_fast_normalisation_equals_the_reference(text: str) -> None:
    assert normalize_text(text) == reference_normalize(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=_MIXED, min_size=1, max_size=12), max_size=60), st.integers(1, 4))
def test_signature_equals_datasketch_with_the_scalar_hash(parts: list[str], size: int) -> None:
    text = " ".join(parts)
    sketcher = Sketcher(size, 64, 3)
    result = sketcher.sketch(text)
    tokens = words(normalize_text(text))
    assert result.word_count == len(tokens)
    reference = MinHash(num_perm=64, seed=3, hashfunc=shingle_hash32, scheme="affine32")
    reference.update_batch(shingles(tokens, size))
    assert np.array_equal(result.signature.hashvalues, reference.hashvalues)
    assert result.signature == LeanMinHash(reference)
    assert build_signature(shingles(tokens, size), 64, 3) == result.signature


def test_long_texts_grow_the_buffers() -> None:
    text = " ".join(f"كلمة{i}" for i in range(30000))
    result = Sketcher(3, 128, 1).sketch(text)
    assert result.word_count == 30000
    assert result.signature.jaccard(Sketcher(3, 128, 1).sketch(text).signature) == 1.0


def test_signatures_of_the_old_shingle_hash_are_refused() -> None:
    dedup = Deduplicator(DedupSettings())
    fp = dedup.fingerprint("نص " * 100)
    assert fp.hash_version == HASH_VERSION
    assert Fingerprint.from_bytes(fp.text_hash, fp.signature_bytes()) == fp
    old = signature_to_bytes(fp.minhash) + (100).to_bytes(4, "little")  # version-1 layout
    assert Fingerprint.from_bytes(fp.text_hash, old).hash_version == 1
    with pytest.raises(ValueError, match="shingle hash version 1"):
        dedup.load([(1, fp.text_hash, old)])
