"""Word shingles → MinHash signature, and the signature's compact byte form.

A text is the set of its overlapping ``k``-word shingles; two texts' Jaccard similarity
``|A ∩ B| / |A ∪ B|`` is estimated by the fraction of equal MinHash slots (each slot is the
minimum of one random permutation over the set, equal with probability J). Standard error is
about ``sqrt(J(1-J)/num_perm)``: ±0.04 at J = 0.6 with 128 permutations.

Signatures are stored with the articles and reloaded after a restart, so everything here is
deterministic across processes: SHA-1 based shingle hashes (not Python's salted ``hash``),
permutations from the configured seed, datasketch's ``affine32`` scheme pinned explicitly, and
little-endian serialisation (``LeanMinHash.serialize`` with ``"<"``: 13 + 4·num_perm bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from datasketch import LeanMinHash, MinHash
from datasketch.hashfunc import sha1_hash32

__all__ = [
    "SCHEME",
    "build_signature",
    "shingles",
    "signature_from_bytes",
    "signature_to_bytes",
]

SCHEME = "affine32"  # datasketch >= 2.0 default, pinned so stored signatures stay comparable
_BYTEORDER = "<"


def shingles(words: Sequence[str], size: int) -> set[bytes]:
    """The distinct ``size``-word shingles of ``words`` (UTF-8), ready for hashing.

    A text shorter than ``size`` words is one shingle of all its words, so that short texts
    still have a signature; an empty text has no shingles.
    """
    if size < 1:
        raise ValueError("shingle size must be at least 1")
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> Any:
    """The permutation parameters for (num_perm, seed): generated once, shared by all sketches."""
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=sha1_hash32, scheme=SCHEME).permutations


def build_signature(items: set[bytes], num_perm: int, seed: int) -> LeanMinHash:
    """The frozen MinHash of a set of shingles (``update_batch``: one vectorised pass)."""
    minhash = MinHash(
        num_perm=num_perm,
        seed=seed,
        hashfunc=sha1_hash32,
        permutations=_permutations(num_perm, seed),
        scheme=SCHEME,
    )
    minhash.update_batch(items)
    return LeanMinHash(minhash)


def signature_to_bytes(signature: LeanMinHash) -> bytes:
    """Compact, portable bytes of a signature (seed, size, scheme code, hash values)."""
    buf = bytearray(signature.bytesize(_BYTEORDER))
    signature.serialize(buf, _BYTEORDER)
    return bytes(buf)


def signature_from_bytes(data: bytes) -> LeanMinHash:
    """Inverse of :func:`signature_to_bytes` (bytes after the signature are ignored)."""
    return LeanMinHash.deserialize(data, _BYTEORDER)
