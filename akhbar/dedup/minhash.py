"""Word shingles → MinHash signature, and the signature's compact byte form.

A text is the set of its overlapping ``k``-word shingles; two texts' Jaccard similarity
``|A ∩ B| / |A ∪ B|`` is estimated by the fraction of equal MinHash slots (each slot is the
minimum of one random permutation over the set, equal with probability J). Standard error is
about ``sqrt(J(1-J)/num_perm)``: ±0.04 at J = 0.6 with 128 permutations.

Signatures are stored with the articles and reloaded after a restart, so everything here is
deterministic across processes: the shingle hash of :mod:`akhbar.dedup.sketch` (a fixed
polynomial word hash, not Python's salted ``hash``; version :data:`HASH_VERSION`),
permutations from the configured seed, datasketch's ``affine32`` scheme pinned explicitly, and
little-endian serialisation (``LeanMinHash.serialize`` with ``"<"``: 13 + 4·num_perm bytes).
Articles are fingerprinted by :class:`akhbar.dedup.sketch.Sketcher` straight from their text;
:func:`build_signature` gives the same signature for an explicit set of shingles.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash

from akhbar.dedup.sketch import HASH_VERSION, SCHEME, Sketcher, lean_signature, shingle_hash32

__all__ = [
    "HASH_VERSION",
    "SCHEME",
    "build_signature",
    "shingles",
    "signature_from_bytes",
    "signature_to_bytes",
]

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
def _sketcher(num_perm: int, seed: int) -> Sketcher:
    return Sketcher(1, num_perm, seed)


def build_signature(items: set[bytes], num_perm: int, seed: int) -> LeanMinHash:
    """The frozen MinHash of a set of shingles (UTF-8 words joined by single spaces)."""
    hashes = np.fromiter((shingle_hash32(item) for item in items), np.uint32, len(items))
    sketcher = _sketcher(num_perm, seed)
    return LeanMinHash(seed=seed, hashvalues=sketcher.minhash_values(hashes), scheme=SCHEME)


def signature_to_bytes(signature: LeanMinHash) -> bytes:
    """Compact, portable bytes of a signature (seed, size, scheme code, hash values).

    ``affine32`` signatures (all akhbar makes) are packed directly, byte for byte what
    ``LeanMinHash.serialize`` writes (a test checks it), at a fraction of its cost.
    """
    if signature.scheme == SCHEME:
        values = signature.hashvalues
        header = _HEADER.pack(signature.seed, -len(values), _AFFINE32_CODE)
        packed: bytes = values.astype("<u4", copy=False).tobytes()
        return header + packed
    buf = bytearray(signature.bytesize(_BYTEORDER))
    signature.serialize(buf, _BYTEORDER)
    return bytes(buf)


_HEADER = struct.Struct("<qiB")  # seed, -num_perm (scheme-tagged format), scheme code
_AFFINE32_CODE = 1


def signature_from_bytes(data: bytes) -> LeanMinHash:
    """Inverse of :func:`signature_to_bytes` (bytes after the signature are ignored).

    ``affine32`` signatures (all akhbar writes) are read with one ``np.frombuffer``; anything
    else goes through ``LeanMinHash.deserialize``.
    """
    if len(data) >= _HEADER.size:
        seed, size, code = _HEADER.unpack_from(data)
        if size < 0 and code == _AFFINE32_CODE and len(data) >= _HEADER.size - 4 * size:
            values = np.frombuffer(data, "<u4", -size, _HEADER.size).astype(np.uint32)
            return lean_signature(seed, values)
    return LeanMinHash.deserialize(data, _BYTEORDER)
