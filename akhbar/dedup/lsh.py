"""MinHash LSH banding, with compact band keys and an in-memory band table.

The banding is datasketch's ``MinHashLSH`` (the same ``b`` bands of ``r`` rows, chosen by its
``_optimal_param`` for the threshold and permutations), so the candidates are exactly the
stored signatures sharing at least one whole band with the query. What differs is the storage:
datasketch keeps, per band, a dict from a ``bytes`` key to a ``set`` of ids: several Python
objects per band and signature, which is where the memory of a large index goes
(docs/benchmarks.md, "Dedup"). Here

* a band is reduced to one 64-bit key (the band's ``r`` values and its position, mixed), all
  bands of all signatures computed at once with numpy (:func:`band_keys`);
* :class:`BandTable` keeps the keys in a few sorted numpy runs (8-byte key + 4-byte row per
  band and signature, 444 bytes per signature at 37 bands) plus a small dict for the latest
  inserts, merged into the runs as it fills (an LSM tree in miniature);
* a 64-bit key can collide where datasketch's keys would not, so the caller confirms a real
  shared band on the candidates' signatures (:func:`shares_band`): the candidates, and so the
  verdicts, are the same as datasketch's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch.lsh import _optimal_param

__all__ = ["BandTable", "band_keys", "band_shape", "shares_band"]

_U64 = np.uint64
_BAND_SALT = 0x9E3779B97F4A7C15
_MULTIPLIER = _U64(0xFF51AFD7ED558CCD)  # odd: x -> x * m is a bijection modulo 2^64


@lru_cache(maxsize=16)
def band_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) as datasketch's ``MinHashLSH(threshold, num_perm)`` picks them
    (cached: the search integrates the collision curves, too slow to repeat per index)."""
    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    if b < 2:
        raise ValueError(f"threshold {threshold} with num_perm {num_perm} gives fewer than 2 bands")
    return int(b), int(r)


@lru_cache(maxsize=16)
def _salts(bands: int) -> npt.NDArray[np.uint64]:
    salts = np.arange(1, bands + 1, dtype=np.uint64) * _U64(_BAND_SALT)
    return salts.reshape(1, bands)


def band_keys(values: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per band of each signature: ``values`` (n, num_perm) → (n, bands).

    The band's values are combined as a polynomial modulo 2^64 (a handful of numpy operations
    for all bands at once) and its position is mixed in, so the keys of all bands can share
    one table. Distinct bands may rarely get equal keys; :func:`shares_band` sorts them out.
    """
    n = values.shape[0]
    x = values[:, : bands * rows].reshape(n, bands, rows)
    h = x[:, :, 0].astype(np.uint64)
    for j in range(1, rows):
        h *= _MULTIPLIER
        h += x[:, :, j]
    h ^= _salts(bands)
    return h


def shares_band(
    stored: npt.NDArray[np.uint32], query: npt.NDArray[np.uint32], bands: int, rows: int
) -> npt.NDArray[np.bool_]:
    """Which of the ``stored`` signatures (k, num_perm) share a whole band with ``query``
    (datasketch's candidate condition, free of 64-bit key collisions)."""
    width = bands * rows
    eq = stored[:, :width] == query[:width]
    shared: npt.NDArray[np.bool_] = eq.reshape(-1, bands, rows).all(axis=2).any(axis=1)
    return shared


class BandTable:
    """Band key → rows (ints chosen by the caller), for the keys of many signatures.

    Sorted numpy runs hold almost everything; the newest inserts go to a dict (key → row, with
    a second dict for the rare key shared by several rows) that becomes a run every
    ``buffer_rows`` signatures. Runs are merged while the newest is at least a quarter of the
    one before, so there are only a handful and the cost of merging stays amortised. Removed
    rows are left in place and dropped by ``alive`` when runs merge; queries return them too
    (the caller filters).
    """

    def __init__(
        self,
        alive: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]],
        buffer_rows: int = 2048,
    ) -> None:
        self._alive = alive
        self._buffer_rows = buffer_rows
        self._runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]] = []
        self._buffer: dict[int, int] = {}
        self._shared: dict[int, list[int]] = {}
        self._buffered = 0

    def insert(self, row: int, keys: list[int]) -> None:
        """Index one signature's band keys (Python ints) under ``row``."""
        buffer = self._buffer
        for key in keys:
            if buffer.setdefault(key, row) != row:
                self._shared.setdefault(key, []).append(row)
        self._buffered += 1
        if self._buffered >= self._buffer_rows:
            self.flush()

    def insert_many(self, rows: npt.NDArray[np.int64], keys: npt.NDArray[np.uint64]) -> None:
        """Index many signatures at once (``keys`` is (len(rows), bands)): one new run."""
        if rows.size == 0:
            return
        flat_rows = np.repeat(rows.astype(np.uint32), keys.shape[1])
        self._add_run(keys.reshape(-1), flat_rows)

    def query(self, keys: npt.NDArray[np.uint64], keys_list: list[int]) -> list[int]:
        """Rows with at least one of ``keys`` (repeats and removed rows included)."""
        found: list[int] = []
        for keys_run, rows_run in self._runs:
            lo = np.searchsorted(keys_run, keys)
            hi = np.searchsorted(keys_run, keys, side="right")
            hits = np.flatnonzero(hi > lo)
            for i in hits.tolist():
                found.extend(rows_run[lo[i] : hi[i]].tolist())
        buffer = self._buffer
        rows = [row for row in map(buffer.get, keys_list) if row is not None]
        if rows:
            found.extend(rows)
            if self._shared:
                for more in map(self._shared.get, keys_list):
                    if more:
                        found.extend(more)
        return found

    def flush(self) -> None:
        """Turn the dict buffer into a sorted run."""
        if not self._buffer:
            self._buffered = 0
            return
        keys = np.fromiter(self._buffer.keys(), np.uint64, len(self._buffer))
        rows = np.fromiter(self._buffer.values(), np.uint32, len(self._buffer))
        if self._shared:
            extra_keys = [k for k, v in self._shared.items() for _ in v]
            extra_rows = [r for v in self._shared.values() for r in v]
            keys = np.concatenate((keys, np.array(extra_keys, dtype=np.uint64)))
            rows = np.concatenate((rows, np.array(extra_rows, dtype=np.uint32)))
        self._buffer, self._shared, self._buffered = {}, {}, 0
        self._add_run(keys, rows)

    def _add_run(self, keys: npt.NDArray[np.uint64], rows: npt.NDArray[np.uint32]) -> None:
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], rows[order]))
        while len(self._runs) > 1 and 4 * self._runs[-1][0].size >= self._runs[-2][0].size:
            newer = self._live(*self._runs.pop())
            older = self._live(*self._runs.pop())
            self._runs.append(_merge(older, newer))

    def _live(
        self, keys: npt.NDArray[np.uint64], rows: npt.NDArray[np.uint32]
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
        """The run without the entries of removed rows."""
        live = self._alive(rows.astype(np.int64))
        return (keys, rows) if live.all() else (keys[live], rows[live])

    def nbytes(self) -> int:
        """Bytes held by the sorted runs (the dict buffer is bounded by ``buffer_rows``)."""
        return sum(k.nbytes + r.nbytes for k, r in self._runs)


def _merge(
    older: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]],
    newer: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
    """Merge two sorted runs into one (equal keys: the older run's entries first), with
    temporaries the size of the newer run and a mask, not a full argsort."""
    keys_a, rows_a = older
    keys_b, rows_b = newer
    total = keys_a.size + keys_b.size
    where_b = np.searchsorted(keys_a, keys_b, side="right")
    where_b += np.arange(keys_b.size, dtype=where_b.dtype)
    from_a = np.ones(total, bool)
    from_a[where_b] = False
    keys = np.empty(total, np.uint64)
    rows = np.empty(total, np.uint32)
    keys[where_b] = keys_b
    rows[where_b] = rows_b
    keys[from_a] = keys_a
    rows[from_a] = rows_a
    return keys, rows
