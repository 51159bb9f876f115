"""The dedup index: is this text a copy of an article already stored, and of which one?

Two checks, cheapest first:

* **exact** — the SHA-256 of the normalised text (:mod:`akhbar.dedup.normalize`) was seen
  before: same words, whatever the punctuation, diacritics or hamza spelling.
* **near** — MinHash LSH proposes candidates (stored articles whose estimated Jaccard is
  probably at least ``threshold``); each candidate is then *verified* on its estimated Jaccard
  ``J`` and is a near-duplicate when

  - ``J >= verify_jaccard`` (a copy edited throughout: dateline, a dropped paragraph, another
    spelling of a name), or
  - ``J >= threshold`` and the estimated containment of the shorter text in the longer one is
    ``>= containment_threshold`` (a truncated republication: most of the shorter text comes
    from the longer one, though the longer one has much more).

  Containment is not measured by MinHash directly; with set sizes ``a`` and ``b`` the shared
  part is ``|A ∩ B| = J (a + b) / (1 + J)``, so ``C = J (a + b) / ((1 + J) min(a, b))``,
  clamped to 1. The set sizes are the shingle counts implied by the word counts.

  Texts shorter than ``min_words_for_near`` words (either side) never get a near verdict: two
  one-sentence items sharing most words are usually different news, and estimates on a dozen
  shingles are too coarse to tell. Short texts are still found as exact copies.

The best verified candidate wins (highest ``J``; on a tie the lowest article id, i.e. the one
stored first). Every :class:`Duplicate` carries its similarity and containment so a verdict
can be explained after the fact.

The index lives in memory and is rebuilt from the stored signatures at start-up
(:meth:`Deduplicator.load`); storage only ever sees :meth:`Fingerprint.signature_bytes`.
"""

from __future__ import annotations

import gc
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import LeanMinHash

from akhbar.dedup.lsh import BandedLSH
from akhbar.dedup.minhash import (
    HASH_VERSION,
    SCHEME,
    signature_from_bytes,
    signature_to_bytes,
)
from akhbar.dedup.normalize import normalized_hash
from akhbar.dedup.sketch import Sketcher
from akhbar.records import DuplicateKind
from akhbar.settings import DedupSettings

__all__ = [
    "Deduplicator",
    "Duplicate",
    "Fingerprint",
    "Unique",
    "Verdict",
    "estimate_containment",
]

# The stored bytes are the LeanMinHash serialisation followed by the word count (uint32 LE),
# so that containment can be estimated for articles reloaded from the database, and the
# version of the shingle hash (one byte; rows without it were made with version 1, SHA-1 per
# shingle, and cannot be compared with new signatures). Readers that only want the signature
# (``signature_from_bytes``, ``LeanMinHash.deserialize``) ignore the trailer.
_WORD_COUNT = struct.Struct("<I")
_TRAILER = struct.Struct("<IB")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs to know about one text; ``word_count`` counts normalised words
    (``None`` only for signatures stored without it); ``hash_version`` is the shingle hash the
    signature was made with."""

    text_hash: str
    minhash: LeanMinHash
    word_count: int | None
    hash_version: int = HASH_VERSION

    def signature_bytes(self) -> bytes:
        """The persistent form (stored with the article, read back by :meth:`from_bytes`)."""
        data = signature_to_bytes(self.minhash)
        if self.word_count is None:
            return data
        return data + _TRAILER.pack(self.word_count, self.hash_version)

    @classmethod
    def from_bytes(cls, text_hash: str, data: bytes) -> Fingerprint:
        """Inverse of :meth:`signature_bytes`; a bare signature gives ``word_count=None``."""
        minhash = signature_from_bytes(data)
        size = minhash.bytesize("<")
        if len(data) == size:
            return cls(text_hash, minhash, None)
        if len(data) == size + _TRAILER.size:
            word_count, version = _TRAILER.unpack_from(data, size)
            return cls(text_hash, minhash, word_count, version)
        if len(data) == size + _WORD_COUNT.size:  # written before the hash version was kept
            (word_count,) = _WORD_COUNT.unpack_from(data, size)
            return cls(text_hash, minhash, word_count, 1)
        raise ValueError(
            f"signature of {len(data)} bytes, expected {size}, {size + 4} or {size + 5}"
        )


@dataclass(frozen=True, slots=True)
class Unique:
    """Not a copy of anything indexed: store it (then :meth:`Deduplicator.add` it)."""

    fingerprint: Fingerprint


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A copy of article ``of``; ``similarity`` is the estimated Jaccard (1.0 when exact),
    ``containment`` the estimated share of the shorter text found in the longer one (``None``
    when a word count is unknown)."""

    of: int
    kind: DuplicateKind
    similarity: float
    containment: float | None
    fingerprint: Fingerprint


Verdict = Unique | Duplicate


def estimate_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """|A ∩ B| / min(|A|, |B|) from the Jaccard estimate and the two set sizes, clamped to 1."""
    smaller = min(size_a, size_b)
    if smaller <= 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1.0 + jaccard) * smaller))


@dataclass(frozen=True, slots=True)
class _Entry:
    fingerprint: Fingerprint
    in_lsh: bool


class Deduplicator:
    """In-memory exact + near-duplicate index of the stored articles (not thread-safe)."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        self._lsh = BandedLSH(settings.threshold, settings.num_perm)
        self._entries: dict[int, _Entry] = {}
        self._ids_by_hash: dict[str, set[int]] = {}
        self._sketcher = Sketcher(settings.shingle_size, settings.num_perm, settings.seed)
        self.high_water = 0
        """The largest article id ever added (where reading other processes' articles resumes)."""

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._entries

    # -- fingerprints -------------------------------------------------------------------------
    def fingerprint(self, text: str) -> Fingerprint:
        """Normalise, hash and sketch one article text (see :mod:`akhbar.dedup.sketch`)."""
        result = self._sketcher.sketch(text)
        return Fingerprint(normalized_hash(result.normalized), result.signature, result.word_count)

    # -- verdicts -----------------------------------------------------------------------------
    def check(self, fp: Fingerprint) -> Verdict:
        """Exact copy, verified near copy, or unique (the index is not changed)."""
        same_text = self._ids_by_hash.get(fp.text_hash)
        if same_text:
            return Duplicate(min(same_text), DuplicateKind.EXACT, 1.0, 1.0, fp)
        if not self._long_enough(fp.word_count):
            return Unique(fp)
        best: Duplicate | None = None
        for candidate in sorted(self._lsh.query(fp.minhash)):
            verdict = self._verify(fp, candidate, self._entries[candidate].fingerprint)
            if verdict is not None and (best is None or verdict.similarity > best.similarity):
                best = verdict  # candidates in id order: a tie keeps the first stored
        return best if best is not None else Unique(fp)

    def _verify(self, fp: Fingerprint, of: int, stored: Fingerprint) -> Duplicate | None:
        if not self._long_enough(stored.word_count):
            return None
        similarity = float(fp.minhash.jaccard(stored.minhash))
        containment = None
        if fp.word_count is not None and stored.word_count is not None:
            containment = estimate_containment(
                similarity, self._set_size(fp.word_count), self._set_size(stored.word_count)
            )
        near = similarity >= self.settings.verify_jaccard or (
            containment is not None
            and similarity >= self.settings.threshold
            and containment >= self.settings.containment_threshold
        )
        return Duplicate(of, DuplicateKind.NEAR, similarity, containment, fp) if near else None

    def _long_enough(self, word_count: int | None) -> bool:
        return word_count is None or word_count >= self.settings.min_words_for_near

    def _set_size(self, word_count: int) -> int:
        """Number of shingles of a text of ``word_count`` words (repeats are rare in news)."""
        return max(1, word_count - self.settings.shingle_size + 1)

    # -- index maintenance --------------------------------------------------------------------
    def add(self, article_id: int, fp: Fingerprint) -> None:
        """Register a stored article; adding the same id again replaces its fingerprint."""
        current = self._entries.get(article_id)
        if current is not None:
            if current.fingerprint == fp:
                return
            self.remove(article_id)
        self._check_compatible(fp)
        in_lsh = self._long_enough(fp.word_count)
        if in_lsh:
            self._lsh.insert(article_id, fp.minhash)
        self._register(article_id, fp, in_lsh)

    def remove(self, article_id: int) -> None:
        """Forget an article (e.g. its transaction was rolled back); unknown ids are ignored."""
        entry = self._entries.pop(article_id, None)
        if entry is None:
            return
        if entry.in_lsh:
            self._lsh.remove(article_id)
        ids = self._ids_by_hash[entry.fingerprint.text_hash]
        ids.discard(article_id)
        if not ids:
            del self._ids_by_hash[entry.fingerprint.text_hash]

    def load(self, rows: Iterable[tuple[int, str, bytes]]) -> int:
        """Add stored articles ``(article_id, text_hash, signature bytes)``; returns how many
        rows were read."""
        count = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of new, acyclic objects: the cycle collector only slows this down
        try:
            for article_id, text_hash, data in rows:
                fp = Fingerprint.from_bytes(text_hash, data)
                count += 1
                self.add(article_id, fp)
        finally:
            if collecting:
                gc.enable()
        return count

    def _register(self, article_id: int, fp: Fingerprint, in_lsh: bool) -> None:
        self.high_water = max(self.high_water, article_id)
        self._entries[article_id] = _Entry(fp, in_lsh)
        self._ids_by_hash.setdefault(fp.text_hash, set()).add(article_id)

    def _check_compatible(self, fp: Fingerprint) -> None:
        """Signatures made with other settings cannot be compared: fail loudly, not wrongly."""
        if fp.hash_version != HASH_VERSION:
            raise ValueError(
                f"signature made with shingle hash version {fp.hash_version}, this akhbar uses "
                f"{HASH_VERSION}: re-fingerprint the stored articles"
            )
        minhash = fp.minhash
        if (len(minhash), minhash.seed, minhash.scheme) != (
            self.settings.num_perm,
            self.settings.seed,
            SCHEME,
        ):
            raise ValueError(
                f"signature has num_perm={len(minhash)}, seed={minhash.seed}, "
                f"scheme={minhash.scheme}; settings say num_perm={self.settings.num_perm}, "
                f"seed={self.settings.seed}, scheme={SCHEME}: re-fingerprint the stored articles"
            )
