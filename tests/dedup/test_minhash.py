"""Shingles and signatures: deterministic, compact, and faithful to Jaccard."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from datasketch import LeanMinHash

from akhbar.dedup.minhash import (
    build_signature,
    shingles,
    signature_from_bytes,
    signature_to_bytes,
)


def test_shingles_are_overlapping_word_windows() -> None:
    assert shingles(["a", "b", "c", "d"], 3) == {b"a b c", b"b c d"}
    assert shingles(["a", "b", "a", "b"], 2) == {b"a b", b"b a"}  # a set: repeats count once


def test_short_text_is_one_shingle_and_empty_text_none() -> None:
    assert shingles(["قطر", "روسيا"], 3) == {"قطر روسيا".encode()}
    assert shingles(["a", "b", "c"], 3) == {b"a b c"}
    assert shingles([], 3) == set()
    with pytest.raises(ValueError):
        shingles(["a"], 0)


def test_signature_estimates_jaccard() -> None:
    a = {f"s{i}".encode() for i in range(300)}
    b = {f"s{i}".encode() for i in range(100, 400)}  # true Jaccard 200/400 = 0.5
    sig_a = build_signature(a, num_perm=256, seed=1)
    sig_b = build_signature(b, num_perm=256, seed=1)
    assert isinstance(sig_a, LeanMinHash)
    assert sig_a.jaccard(sig_b) == pytest.approx(0.5, abs=0.1)
    assert sig_a.jaccard(build_signature(set(a), num_perm=256, seed=1)) == 1.0


def test_bytes_round_trip_is_compact() -> None:
    sig = build_signature({b"x y z", b"y z w"}, num_perm=128, seed=7)
    data = signature_to_bytes(sig)
    assert len(data) == 8 + 4 + 1 + 4 * 128  # seed, size, scheme code, uint32 values
    back = signature_from_bytes(data)
    assert back == sig
    assert back.seed == 7
    assert signature_from_bytes(data + b"\x01\x02\x03\x04") == sig  # trailing bytes ignored
    reference = bytearray(sig.bytesize("<"))
    sig.serialize(reference, "<")
    assert data == bytes(reference)  # the direct packing is datasketch's own format


@pytest.mark.slow  # fresh interpreters
def test_signatures_are_stable_across_processes() -> None:
    """Stored signatures are compared with new ones after a restart: no salted hashing."""
    code = (
        "from akhbar.dedup.minhash import build_signature, signature_to_bytes;"
        "print(signature_to_bytes(build_signature({'قطر روسيا'.encode()}, 64, 1)).hex())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1
    assert runs == {signature_to_bytes(build_signature({"قطر روسيا".encode()}, 64, 1)).hex() + "\n"}
