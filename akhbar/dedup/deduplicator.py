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
(:meth:`Deduplicator.load`), or in a Redis shared by all workers of the database
(:mod:`akhbar.dedup.index`); storage only ever sees :meth:`Fingerprint.signature_bytes`.
"""

from __future__ import annotations

import gc
import logging
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash

from akhbar.dedup.index import SIGNATURE_HEADER, DedupIndex, MemoryIndex, RedisIndex, redis_basename
from akhbar.dedup.lsh import band_keys, band_shape
from akhbar.dedup.minhash import HASH_VERSION, SCHEME, signature_from_bytes, signature_to_bytes
from akhbar.dedup.normalize import normalized_hash
from akhbar.dedup.sketch import Sketcher
from akhbar.records import DuplicateKind
from akhbar.settings import AkhbarSettings, DedupSettings

log = logging.getLogger(__name__)

# The stored bytes are the LeanMinHash serialisation followed by the word count (uint32 LE),
# so that containment can be estimated for articles reloaded from the database, and the
# version of the shingle hash (one byte; rows without it were made with version 1, SHA-1 per
# shingle, and cannot be compared with new signatures). Readers that only want the signature
# (``signature_from_bytes``, ``LeanMinHash.deserialize``) ignore the trailer.
_WORD_COUNT = struct.Struct("<I")
_TRAILER = struct.Struct("<IB")
_AFFINE32_CODE = 1  # LeanMinHash's scheme code of affine32 in its serialisation


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


class Deduplicator:
    """Exact + near-duplicate index of the stored articles (not thread-safe).

    The articles live in ``settings.index``: this process's memory (default), or a Redis
    shared by every worker of the database (``redis_url``; ``database_url`` names the database
    so that the shared index belongs to it, and its keys start with ``redis_key_prefix``).
    """

    def __init__(
        self,
        settings: DedupSettings,
        *,
        redis_url: str | None = None,
        database_url: str = "",
        redis_key_prefix: str = "akhbar",
        index: DedupIndex | None = None,
    ) -> None:
        self.settings = settings
        self.bands, self.rows = band_shape(settings.threshold, settings.num_perm)
        self._sketcher = Sketcher(settings.shingle_size, settings.num_perm, settings.seed)
        self._header = SIGNATURE_HEADER.pack(settings.seed, -settings.num_perm, _AFFINE32_CODE)
        self._size = SIGNATURE_HEADER.size + 4 * settings.num_perm
        self.index: DedupIndex = (
            index
            if index is not None
            else self._open_index(redis_url, database_url, redis_key_prefix)
        )
        self._last_keys: tuple[LeanMinHash, npt.NDArray[np.uint64]] | None = None
        self.high_water = self.index.loaded_through
        """The largest article id ever added (where reading other processes' articles resumes)."""

    def _open_index(self, redis_url: str | None, database_url: str, prefix: str) -> DedupIndex:
        if self.settings.index == "memory":
            return MemoryIndex(self.settings.num_perm)
        if not redis_url:
            raise ValueError("dedup index 'redis' needs a Redis URL (AKHBAR_REDIS_URL)")
        import redis  # only a Redis-indexed deployment needs the client

        s = self.settings
        parameters = (
            f"num_perm={s.num_perm} seed={s.seed} shingle={s.shingle_size} "
            f"hash={HASH_VERSION} bands={self.bands}x{self.rows} min_words={s.min_words_for_near}"
        )
        client = redis.Redis.from_url(redis_url)
        index = RedisIndex(
            client, redis_basename(prefix, database_url, parameters), s.num_perm, self._parse_stored
        )
        log.info(
            "dedup index on Redis at %s: complete up to article %d",
            index.basename,
            index.loaded_through,
        )
        return index

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.index

    @property
    def resume_after(self) -> int:
        """Database rows with larger ids are what :meth:`load` still needs (0 for a memory
        index; for a shared index, how far it is known to be complete)."""
        return self.index.loaded_through

    # -- fingerprints -------------------------------------------------------------------------
    def fingerprint(self, text: str) -> Fingerprint:
        """Normalise, hash and sketch one article text (see :mod:`akhbar.dedup.sketch`)."""
        result = self._sketcher.sketch(text)
        return Fingerprint(normalized_hash(result.normalized), result.signature, result.word_count)

    def _keys(self, minhash: LeanMinHash) -> npt.NDArray[np.uint64]:
        """Band keys of a signature; a check and the add that follows it share them."""
        last = self._last_keys
        if last is not None and last[0] is minhash:
            return last[1]
        keys: npt.NDArray[np.uint64] = band_keys(
            minhash.hashvalues.reshape(1, -1), self.bands, self.rows
        )[0]
        self._last_keys = (minhash, keys)
        return keys

    # -- verdicts -----------------------------------------------------------------------------
    def check(self, fp: Fingerprint) -> Verdict:
        """Exact copy, verified near copy, or unique (the index is not changed)."""
        long_enough = self._long_enough(fp.word_count)
        exact, candidates = self.index.lookup(
            fp.text_hash, self._keys(fp.minhash) if long_enough else None
        )
        if exact is not None:
            return Duplicate(exact, DuplicateKind.EXACT, 1.0, 1.0, fp)
        if not long_enough or candidates.ids.size == 0:
            return Unique(fp)
        query = fp.minhash.hashvalues
        equal = candidates.signatures == query
        counts = np.count_nonzero(equal, axis=1).tolist()
        width = self.bands * self.rows
        shared = equal[:, :width].reshape(-1, self.bands, self.rows).all(axis=2).any(axis=1)
        num_perm = float(len(query))
        best: Duplicate | None = None
        for i in np.flatnonzero(shared).tolist():  # candidates in id order
            stored_words = int(candidates.word_counts[i])
            verdict = self._verify(
                fp,
                int(candidates.ids[i]),
                float(counts[i]) / num_perm,
                None if stored_words < 0 else stored_words,
            )
            if verdict is not None and (best is None or verdict.similarity > best.similarity):
                best = verdict  # a tie keeps the first stored
        return best if best is not None else Unique(fp)

    def _verify(
        self, fp: Fingerprint, of: int, similarity: float, stored_words: int | None
    ) -> Duplicate | None:
        if not self._long_enough(stored_words):
            return None
        containment = None
        if fp.word_count is not None and stored_words is not None:
            containment = estimate_containment(
                similarity, self._set_size(fp.word_count), self._set_size(stored_words)
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
        self._check_compatible(fp)
        word_count = -1 if fp.word_count is None else fp.word_count
        keys = self._keys(fp.minhash) if self._long_enough(fp.word_count) else None
        args = (article_id, fp.text_hash, fp.minhash.hashvalues, word_count, keys)
        data = fp.signature_bytes() if self.index.needs_bytes else b""
        if not self.index.add(*args, data):  # the id is indexed already
            current = self.index.get(article_id)
            if current is not None and (
                current[0] == fp.text_hash
                and current[2] == word_count
                and np.array_equal(current[1], fp.minhash.hashvalues)
            ):
                self.high_water = max(self.high_water, article_id)
                return
            self.remove(article_id)
            self.index.add(*args, data)
        self.high_water = max(self.high_water, article_id)

    def remove(self, article_id: int) -> None:
        """Forget an article (e.g. its transaction was rolled back); unknown ids are ignored."""
        current = self.index.get(article_id)
        if current is None:
            return
        _, values, word_count = current
        in_lsh = self._long_enough(None if word_count < 0 else word_count)
        keys = band_keys(values.reshape(1, -1), self.bands, self.rows)[0] if in_lsh else None
        self.index.remove(article_id, keys)

    def load(self, rows: Iterable[tuple[int, str, bytes]], block: int = 20_000) -> int:
        """Add stored articles ``(article_id, text_hash, signature bytes)``; returns how many
        rows were read.

        Rows in the current format with increasing new ids are indexed a block at a time (one
        ``frombuffer`` and one vectorised band-key pass per block); anything else (an id seen
        before, a signature without word count, another format, which is refused) goes through
        :meth:`add` one by one.
        """
        count = 0
        last = self.high_water
        ids: list[int] = []
        hashes: list[str] = []
        datas: list[bytes] = []
        size, header, version = self._size + _TRAILER.size, self._header, HASH_VERSION
        collecting = gc.isenabled()
        gc.disable()  # many new, acyclic objects: the cycle collector only slows this down
        try:
            for article_id, text_hash, data in rows:
                count += 1
                if (
                    article_id > last
                    and len(data) == size
                    and data[-1] == version
                    and data.startswith(header)
                ):
                    ids.append(article_id)
                    hashes.append(text_hash)
                    datas.append(data)
                    last = article_id
                    if len(ids) >= block:
                        self._add_block(ids, hashes, datas)
                        ids, hashes, datas = [], [], []
                    continue
                self._add_block(ids, hashes, datas)
                ids, hashes, datas = [], [], []
                self.add(article_id, Fingerprint.from_bytes(text_hash, data))
                last = max(last, article_id)
            self._add_block(ids, hashes, datas)
        finally:
            if collecting:
                gc.enable()
        self.index.mark_loaded(self.high_water)
        return count

    def _add_block(self, ids: list[int], hashes: list[str], datas: list[bytes]) -> None:
        if not ids:
            return
        raw = np.frombuffer(b"".join(datas), np.uint8).reshape(len(ids), -1)
        values = raw[:, SIGNATURE_HEADER.size : self._size].copy().view("<u4")
        values = values.astype(np.uint32, copy=False)
        word_counts = raw[:, self._size : self._size + 4].copy().view("<u4")[:, 0].astype(np.int64)
        in_lsh = word_counts >= self.settings.min_words_for_near
        keys = band_keys(values, self.bands, self.rows)
        self.index.add_many(
            np.asarray(ids, np.int64), hashes, values, word_counts, keys, in_lsh, datas
        )
        self.high_water = max(self.high_water, ids[-1])

    def _parse_stored(self, data: bytes) -> tuple[npt.NDArray[np.uint32], int]:
        """Hash values and word count (-1 unknown) of stored signature bytes."""
        fp = Fingerprint.from_bytes("", data)
        return fp.minhash.hashvalues, -1 if fp.word_count is None else fp.word_count

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


def open_deduplicator(
    settings: AkhbarSettings, rows_after: Callable[..., Iterable[tuple[int, str, bytes]]]
) -> tuple[Deduplicator, int]:
    """The deduplicator a crawl, backfill or reprocess run uses, loaded: ``rows_after(after=N)``
    yields the stored signatures with ids above N (``Repository.iter_signatures``). A memory
    index reads them all; a shared Redis index only what it does not have yet. Returns the
    deduplicator and how many rows were read."""
    dedup = Deduplicator(
        settings.dedup,
        redis_url=settings.redis_url,
        database_url=settings.database_url,
        redis_key_prefix=settings.redis_key_prefix,
    )
    return dedup, dedup.load(rows_after(after=dedup.resume_after))
