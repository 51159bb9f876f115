"""The fast path of fingerprinting: normalise, shingle, hash and sketch a text with numpy.

The dedup stage has to keep up with a crawler, so the per-article work must cost well under a
millisecond. The straightforward route (``str.translate`` with a large table, Python strings
per shingle, SHA-1 per shingle, ``MinHash.update``) spends its time in per-character and
per-shingle Python calls. Here every step is a handful of numpy operations over the whole text:

1. **normalise** — NFKC and case folding in C, then the character table of
   :mod:`akhbar.dedup.normalize` applied as one lookup into a code-point array (deletions
   filtered by a mask, runs of spaces collapsed by a mask). The result is bit-for-bit the
   reference :func:`akhbar.dedup.normalize.reference_normalize` (a property test checks it).
2. **hash words** — a polynomial hash of each word's code points modulo 2^64, computed for all
   words at once (prefix weights, ``np.add.reduceat`` over the word segments, and the inverse
   weight of each word's start so the hash does not depend on the word's position).
3. **hash shingles** — ``k`` consecutive word hashes combined and avalanched (a 64-bit
   finaliser), keeping 32 bits: :func:`shingle_hash32` is the same function on one shingle,
   used as a plain datasketch ``hashfunc`` to show that the sketches agree.
4. **sketch** — datasketch's ``affine32`` scheme reproduced exactly (MurmurHash3 ``fmix32``
   pre-mix, then ``a_k * h + b_k`` in uint32, minimum per permutation) into a reused buffer.

Everything is deterministic across processes and machines (no salted hashing), which stored
signatures need.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash

from akhbar.dedup.normalize import normalize_codepoints

__all__ = [
    "HASH_VERSION",
    "SketchResult",
    "Sketcher",
    "lean_signature",
    "shingle_hash32",
    "word_hash64",
]

HASH_VERSION = 2
"""Version of the shingle hash (1 was SHA-1 per shingle string); stored with signatures."""

SCHEME = "affine32"

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_WORD_BASE = 0x100000001B3  # odd: invertible modulo 2^64 (the FNV-64 prime)
_COMBINE = 0x9E3779B97F4A7C15  # odd (golden ratio), mixes one word hash into the next
_SPACE = 32


# -- word and shingle hashes ------------------------------------------------------------------
def _fmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """MurmurHash3's 64-bit finaliser (an avalanching bijection), in place."""
    x ^= x >> _U64(33)
    x *= _U64(0xFF51AFD7ED558CCD)
    x ^= x >> _U64(33)
    x *= _U64(0xC4CEB9FE1A85EC53)
    x ^= x >> _U64(33)
    return x


fmix64 = _fmix64
"""Public name of the 64-bit finaliser (the LSH band keys use it too)."""


def _fmix64_int(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & _MASK64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & _MASK64
    return x ^ (x >> 33)


def word_hash64(word: str) -> int:
    """Scalar reference of the vectorised word hash: sum of code point × base^position."""
    h, power = 0, 1
    for ch in word:
        h = (h + ord(ch) * power) & _MASK64
        power = (power * _WORD_BASE) & _MASK64
    return _fmix64_int(h)


def shingle_hash32(shingle: bytes | str) -> int:
    """Scalar reference of the vectorised shingle hash (a datasketch ``hashfunc``): the
    normalised words of one shingle, space-separated, as UTF-8 bytes or a string."""
    text = shingle.decode("utf-8") if isinstance(shingle, bytes) else shingle
    hashes = [word_hash64(w) for w in text.split(" ")]
    h = hashes[0]
    for nxt in hashes[1:]:
        h = (((h ^ (h >> 29)) * _COMBINE) + nxt) & _MASK64
    return _fmix64_int(h) >> 32


class _Powers:
    """base^i and base^-i modulo 2^64 for i < capacity, grown on demand."""

    def __init__(self) -> None:
        self.capacity = 0
        self.pow = np.empty(0, dtype=np.uint64)
        self.inv = np.empty(0, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if n <= self.capacity:
            return
        size = max(n, 2 * self.capacity, 16384)
        inverse = pow(_WORD_BASE, -1, 1 << 64)
        base_col = np.full(size, _WORD_BASE, dtype=np.uint64)
        base_col[0] = 1
        inv_col = np.full(size, inverse, dtype=np.uint64)
        inv_col[0] = 1
        self.pow = np.cumprod(base_col, dtype=np.uint64)  # wraps modulo 2^64
        self.inv = np.cumprod(inv_col, dtype=np.uint64)
        self.capacity = size


_POWERS = _Powers()


def _word_hashes(cps: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per word of a normalised code-point array."""
    n = cps.size
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    _POWERS.ensure(n)
    space = cps == _SPACE
    contrib = np.multiply(cps, _POWERS.pow[:n], dtype=np.uint64)
    contrib[space] = 0
    spaces = np.flatnonzero(space)
    starts = np.empty(spaces.size + 1, dtype=spaces.dtype)
    starts[0] = 0
    np.add(spaces, 1, out=starts[1:])
    sums = np.add.reduceat(contrib, starts)
    sums *= _POWERS.inv[starts]
    return _fmix64(sums)


def _shingle_hashes(words: npt.NDArray[np.uint64], size: int) -> npt.NDArray[np.uint32]:
    """One 32-bit hash per ``size``-word window (a text shorter than ``size`` is one)."""
    count = words.size
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    span = min(size, count)
    windows = count - span + 1
    h = words[:windows].copy()
    for offset in range(1, span):
        h ^= h >> _U64(29)
        h *= _U64(_COMBINE)
        h += words[offset : offset + windows]
    return (_fmix64(h) >> _U64(32)).astype(np.uint32)


# -- MinHash (datasketch's affine32, vectorised into a reused buffer) ---------------------------
def _fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint32], ...]:
    """datasketch's (a, b) for this (num_perm, seed), as uint32 row vectors."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@dataclass(frozen=True, slots=True)
class SketchResult:
    """What one text gives: its normalised form, word count and frozen signature."""

    normalized: str
    word_count: int
    signature: LeanMinHash


class Sketcher:
    """Fingerprints texts for one (shingle size, num_perm, seed); reuses its buffers, so one
    instance must not be shared between threads."""

    def __init__(self, shingle_size: int, num_perm: int, seed: int) -> None:
        if shingle_size < 1:
            raise ValueError("shingle size must be at least 1")
        self.shingle_size = shingle_size
        self.num_perm = num_perm
        self.seed = seed
        self._a, self._b = _permutations(num_perm, seed)
        self._a_col, self._b_col = self._a[:, None].copy(), self._b[:, None].copy()
        self._buffer = np.empty(1024 * num_perm, dtype=np.uint32)
        self._empty = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)

    def sketch(self, text: str) -> SketchResult:
        """Normalise ``text`` and build its signature."""
        normalized, cps = normalize_codepoints(text)
        words = _word_hashes(cps)
        return SketchResult(normalized, int(words.size), self.signature_of_hashes(words))

    def signature_of_hashes(self, word_hashes: npt.NDArray[np.uint64]) -> LeanMinHash:
        """The MinHash of the shingles of a sequence of word hashes."""
        values = self.minhash_values(_shingle_hashes(word_hashes, self.shingle_size))
        return lean_signature(self.seed, values)

    def minhash_values(self, shingle_hashes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        """datasketch ``affine32`` hash values of a set of 32-bit shingle hashes.

        The products are laid out one permutation per row (``num_perm`` × n, contiguous), so
        the minimum runs along contiguous memory, faster than shingle rows (docs/benchmarks.md,
        "Dedup").
        """
        n = shingle_hashes.size
        if n == 0:
            return self._empty.copy()
        if n * self.num_perm > self._buffer.size:
            self._buffer = np.empty(
                max(n, 2 * self._buffer.size // self.num_perm) * self.num_perm, np.uint32
            )
        hv = _fmix32(shingle_hashes.copy())
        out = self._buffer[: self.num_perm * n].reshape(self.num_perm, n)
        np.multiply(self._a_col, hv, out=out)
        np.add(out, self._b_col, out=out)
        result: npt.NDArray[np.uint32] = out.min(axis=1)
        return result


def lean_signature(seed: int, values: npt.NDArray[np.uint32]) -> LeanMinHash:
    """A LeanMinHash around ready hash values (skips the generic constructor's checks)."""
    lean: LeanMinHash = LeanMinHash.__new__(LeanMinHash)
    lean.seed = seed
    lean.hashvalues = values
    lean.scheme = SCHEME
    return lean
