"""The compact LSH band table finds exactly datasketch's candidates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHashLSH

from akhbar.dedup.lsh import BandTable, band_keys, band_shape, shares_band


def signatures(count: int, num_perm: int, seed: int) -> npt.NDArray[np.uint32]:
    """Random signatures in which many pairs share one or more whole bands."""
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, (count, num_perm), dtype=np.uint32)
    for i in range(1, count):
        if rng.random() < 0.6:  # copy some values of an earlier signature (a shared band or not)
            j = int(rng.integers(0, i))
            cols = rng.random(num_perm) < rng.choice([0.05, 0.3, 0.8])
            sigs[i, cols] = sigs[j, cols]
    return sigs


def test_band_shape_is_datasketchs() -> None:
    for threshold, num_perm in ((0.3, 128), (0.5, 128), (0.8, 64)):
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert band_shape(threshold, num_perm) == (lsh.b, lsh.r)


def test_candidates_equal_datasketchs_through_merges_and_removals() -> None:
    num_perm, count = 128, 600
    bands, rows = band_shape(0.3, num_perm)
    sigs = signatures(count, num_perm, seed=3)
    keys = band_keys(sigs, bands, rows)
    alive = np.ones(count, bool)
    table = BandTable(lambda r: alive[r], buffer_rows=16)  # many runs and merges
    lsh = MinHashLSH(threshold=0.3, num_perm=num_perm)
    table.insert_many(np.arange(200, dtype=np.int64), keys[:200])  # a bulk load, then inserts
    for i in range(count):
        if i >= 200:
            table.insert(i, keys[i].tolist())
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=sigs[i], scheme="affine32"))
    for i in range(0, count, 7):  # removed rows: gone from datasketch, filtered by the caller
        alive[i] = False
        lsh.remove(i)
    for i in range(count - 30, count):  # more inserts after the removals (merges drop them)
        table.insert(i, keys[i].tolist())
    for q in range(0, count, 3):
        found = {r for r in table.query(keys[q], keys[q].tolist()) if alive[r]}
        rows_found = np.array(sorted(found), dtype=np.int64)
        confirmed = set(rows_found[shares_band(sigs[rows_found], sigs[q], bands, rows)].tolist())
        expected = set(lsh.query(LeanMinHash(seed=1, hashvalues=sigs[q], scheme="affine32")))
        assert confirmed == expected
        assert q in expected or not alive[q]


def test_the_index_costs_under_2_kb_per_article() -> None:
    """datasketch's dict-of-sets LSH cost ~13 KB per article; the compact index well under 2."""
    import tracemalloc

    from akhbar.dedup import Deduplicator, Duplicate, Fingerprint
    from akhbar.dedup.minhash import signature_to_bytes
    from akhbar.settings import DedupSettings

    settings = DedupSettings()
    count = 20_000
    rng = np.random.default_rng(2)
    trailer = (400).to_bytes(4, "little") + bytes([2])  # 400 words, shingle hash version 2
    rows = [
        (
            i,
            f"{i:064x}",
            signature_to_bytes(
                LeanMinHash(
                    seed=settings.seed,
                    hashvalues=rng.integers(0, 2**32, settings.num_perm, dtype=np.uint32),
                    scheme="affine32",
                )
            )
            + trailer,
        )
        for i in range(1, count + 1)
    ]
    tracemalloc.start()
    try:
        dedup = Deduplicator(settings)
        assert dedup.load(iter(rows)) == count
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(dedup) == count
    assert used / count < 2048, f"{used / count:.0f} bytes per article"
    article_id, _, data = rows[123]
    same = Fingerprint.from_bytes("another text", data)  # only the signature is the same
    verdict = dedup.check(same)
    assert isinstance(verdict, Duplicate) and (verdict.of, verdict.similarity) == (article_id, 1.0)
