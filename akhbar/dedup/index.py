"""Where the dedup index keeps its articles: in this process's memory, or in a shared Redis.

Both answer the same questions for :class:`akhbar.dedup.Deduplicator`: which article has this
normalised-text hash, and which stored signatures share an LSH band key with this one (with
their hash values and word counts, for verification). The verdict rules live in the
deduplicator; an index only stores and finds.

* :class:`MemoryIndex` — signatures in one growing ``uint32`` matrix (a row per article, an id
  → row dict), band keys in a :class:`akhbar.dedup.lsh.BandTable`: a fraction of the memory
  of datasketch's dict-of-sets (docs/benchmarks.md, "Dedup"). Rebuilt from the database at
  start-up.
* :class:`RedisIndex` — the same data in Redis, shared by every worker using the same database
  and signature parameters, and kept across restarts: a new worker loads only the articles the
  database has beyond the index's ``loaded`` mark. Band keys are bucketed into hashes (field =
  8-byte key, value = the packed ids of the articles having it); every change is one Lua script,
  so concurrent workers never lose each other's ids.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from akhbar.dedup.lsh import BandTable

if TYPE_CHECKING:
    import redis

__all__ = ["Candidates", "DedupIndex", "MemoryIndex", "RedisIndex", "redis_basename"]

_ID = struct.Struct("<q")
_HASH_LEN = struct.Struct("<H")
SIGNATURE_HEADER = struct.Struct("<qiB")  # seed, -num_perm, scheme code (LeanMinHash, "<")


@dataclass(frozen=True, slots=True)
class Candidates:
    """Stored articles sharing a band key with a query, in ascending id order."""

    ids: npt.NDArray[np.int64]
    signatures: npt.NDArray[np.uint32]  # (len(ids), num_perm)
    word_counts: npt.NDArray[np.int64]  # -1: unknown


@lru_cache(maxsize=8)
def _no_candidates(num_perm: int) -> Candidates:
    """The empty answer (shared: callers only read it)."""
    return Candidates(
        np.empty(0, np.int64), np.empty((0, num_perm), np.uint32), np.empty(0, np.int64)
    )


class DedupIndex(Protocol):
    """What the deduplicator needs from a store of fingerprints."""

    needs_bytes: bool
    """Whether :meth:`add` needs the stored bytes of the signature."""

    def lookup(
        self, text_hash: str, keys: npt.NDArray[np.uint64] | None
    ) -> tuple[int | None, Candidates]:
        """(smallest id with this text hash, articles sharing a band key; none when
        ``keys`` is None or an exact match was found)."""
        ...

    def get(self, article_id: int) -> tuple[str, npt.NDArray[np.uint32], int] | None:
        """(text hash, hash values, word count or -1) of an indexed article."""
        ...

    def add(
        self,
        article_id: int,
        text_hash: str,
        values: npt.NDArray[np.uint32],
        word_count: int,
        keys: npt.NDArray[np.uint64] | None,
        data: bytes,
    ) -> bool:
        """Index one article (``keys`` None: exact matches only; ``data``: its stored bytes,
        when :attr:`needs_bytes`); False, and nothing changed, if the id is indexed already."""
        ...

    def add_many(
        self,
        ids: npt.NDArray[np.int64],
        hashes: list[str],
        values: npt.NDArray[np.uint32],
        word_counts: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        in_lsh: npt.NDArray[np.bool_],
        datas: list[bytes],
    ) -> None:
        """Index many new articles (ids not indexed yet) at once; ``keys`` (len(ids), bands)
        count only where ``in_lsh``; ``datas`` are their stored bytes."""
        ...

    def remove(self, article_id: int, keys: npt.NDArray[np.uint64] | None) -> bool:
        """Forget an article (``keys``: its band keys, if it was in the LSH)."""
        ...

    def __contains__(self, article_id: object) -> bool: ...

    def __len__(self) -> int: ...

    @property
    def loaded_through(self) -> int:
        """Every database article with an id up to this is indexed (0: none is)."""
        ...

    def mark_loaded(self, article_id: int) -> None:
        """Record that every database article up to ``article_id`` is indexed."""
        ...


class MemoryIndex:
    """This process's index (not thread-safe)."""

    needs_bytes = False

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        capacity = 1024
        self._sigs = np.empty((capacity, num_perm), np.uint32)
        self._word_counts = np.empty(capacity, np.int64)
        self._row_ids = np.empty(capacity, np.int64)
        self._alive = np.zeros(capacity, bool)
        self._size = 0  # rows used (removed rows included)
        self._rows: dict[int, int] = {}
        self._hashes: list[str] = []  # text hash of each row
        self._exact: dict[str, int] = {}  # text hash -> smallest id
        self._exact_more: dict[str, set[int]] = {}  # the other ids of a repeated hash (rare)
        self._table = BandTable(self._alive_rows)
        self._loaded_through = 0

    def _alive_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        alive: npt.NDArray[np.bool_] = self._alive[rows]
        return alive

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def loaded_through(self) -> int:
        return self._loaded_through

    def mark_loaded(self, article_id: int) -> None:
        self._loaded_through = max(self._loaded_through, article_id)

    def lookup(
        self, text_hash: str, keys: npt.NDArray[np.uint64] | None
    ) -> tuple[int | None, Candidates]:
        exact = self._exact.get(text_hash)
        if exact is not None or keys is None:
            return exact, _no_candidates(self.num_perm)
        found = self._table.query(keys, keys.tolist())
        if not found:
            return None, _no_candidates(self.num_perm)
        rows = np.unique(np.array(found, dtype=np.int64))
        rows = rows[self._alive[rows]]
        ids = self._row_ids[rows]
        order = np.argsort(ids)
        rows = rows[order]
        return None, Candidates(ids[order], self._sigs[rows], self._word_counts[rows])

    def get(self, article_id: int) -> tuple[str, npt.NDArray[np.uint32], int] | None:
        row = self._rows.get(article_id)
        if row is None:
            return None
        return self._hashes[row], self._sigs[row], int(self._word_counts[row])

    def _grow(self, extra: int) -> int:
        """Make room for ``extra`` rows; returns the first new row."""
        start, need = self._size, self._size + extra
        capacity = self._sigs.shape[0]
        if need > capacity:
            capacity = max(need, capacity * 2)
            self._sigs = _resized(self._sigs, capacity)
            self._word_counts = _resized(self._word_counts, capacity)
            self._row_ids = _resized(self._row_ids, capacity)
            self._alive = _resized(self._alive, capacity)
        self._size = need
        return start

    def _register(self, article_id: int, row: int, text_hash: str) -> None:
        self._rows[article_id] = row
        current = self._exact.setdefault(text_hash, article_id)
        if current != article_id:
            self._exact_more.setdefault(text_hash, set()).add(max(current, article_id))
            if article_id < current:
                self._exact[text_hash] = article_id

    def add(
        self,
        article_id: int,
        text_hash: str,
        values: npt.NDArray[np.uint32],
        word_count: int,
        keys: npt.NDArray[np.uint64] | None,
        data: bytes,
    ) -> bool:
        if article_id in self._rows:
            return False
        row = self._grow(1)
        self._sigs[row] = values
        self._word_counts[row] = word_count
        self._row_ids[row] = article_id
        self._alive[row] = True
        self._hashes.append(text_hash)
        self._register(article_id, row, text_hash)
        if keys is not None:
            self._table.insert(row, keys.tolist())
        return True

    def add_many(
        self,
        ids: npt.NDArray[np.int64],
        hashes: list[str],
        values: npt.NDArray[np.uint32],
        word_counts: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        in_lsh: npt.NDArray[np.bool_],
        datas: list[bytes],
    ) -> None:
        count = ids.size
        start = self._grow(count)
        end = start + count
        self._sigs[start:end] = values
        self._word_counts[start:end] = word_counts
        self._row_ids[start:end] = ids
        self._alive[start:end] = True
        self._hashes.extend(hashes)
        for row, (article_id, text_hash) in enumerate(
            zip(ids.tolist(), hashes, strict=True), start
        ):
            self._register(article_id, row, text_hash)
        rows = np.flatnonzero(in_lsh)
        self._table.insert_many(rows + start, keys[rows])

    def remove(self, article_id: int, keys: npt.NDArray[np.uint64] | None) -> bool:
        row = self._rows.pop(article_id, None)
        if row is None:
            return False
        self._alive[row] = False
        text_hash = self._hashes[row]
        more = self._exact_more.get(text_hash)
        if self._exact.get(text_hash) == article_id:
            if more:
                self._exact[text_hash] = min(more)
                more.discard(self._exact[text_hash])
            else:
                del self._exact[text_hash]
        elif more is not None:
            more.discard(article_id)
        if more is not None and not more:
            del self._exact_more[text_hash]
        return True


def _resized(array: npt.NDArray[Any], rows: int) -> npt.NDArray[Any]:
    grown = np.zeros((rows, *array.shape[1:]), array.dtype)
    grown[: array.shape[0]] = array
    return grown


# -- Redis ------------------------------------------------------------------------------------
_BUCKET_BITS = 18  # 262,144 hashes of band keys: small enough for Redis's compact encoding

# KEYS: sig, exact, band buckets...; ARGV: id, packed id, stored value, text hash, fields...
# (the signature hash is keyed by packed ids, the form the band buckets hold)
_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[2], ARGV[4])
if (not current) or tonumber(current) > tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
end
for i = 3, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i + 2])
  if ids then ids = ids .. ARGV[2] else ids = ARGV[2] end
  redis.call('HSET', KEYS[i], ARGV[i + 2], ids)
end
return 1
"""

# KEYS: sig, exact, band buckets...; ARGV: id, packed id, text hash, fields...
_REMOVE = """
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return 0 end
if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[3]) end
for i = 3, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i + 1])
  if ids then
    local kept = {}
    for j = 1, #ids, 8 do
      local one = string.sub(ids, j, j + 7)
      if one ~= ARGV[2] then kept[#kept + 1] = one end
    end
    if #kept == 0 then redis.call('HDEL', KEYS[i], ARGV[i + 1])
    else redis.call('HSET', KEYS[i], ARGV[i + 1], table.concat(kept)) end
  end
end
return 1
"""

# KEYS: exact, sig, band buckets...; ARGV: text hash, fields...
# Returns {exact id or ''} or {'', packed id, stored value, packed id, stored value...}: the
# candidates with their signatures, in one round trip.
_LOOKUP = """
local exact = redis.call('HGET', KEYS[1], ARGV[1])
if exact then return {exact} end
local out = {''}
local seen = {}
for i = 3, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i - 1])
  if ids then
    for j = 1, #ids, 8 do
      local one = string.sub(ids, j, j + 7)
      if not seen[one] then
        seen[one] = true
        local stored = redis.call('HGET', KEYS[2], one)
        if stored then
          out[#out + 1] = one
          out[#out + 1] = stored
        end
      end
    end
  end
end
return out
"""

# KEYS: loaded; ARGV: id
_MARK = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


def redis_basename(prefix: str, database_url: str, parameters: str) -> str:
    """Key prefix of one shared index: a hash of the database and the signature parameters,
    so that different databases or incompatible signatures never share an index."""
    digest = hashlib.sha256(f"{database_url}\n{parameters}".encode()).hexdigest()[:20]
    return f"{prefix}:dedup:{digest}"


class RedisIndex:
    """The index in Redis, shared by all workers of one database (see the module doc)."""

    needs_bytes = True

    def __init__(
        self,
        client: redis.Redis,
        basename: str,
        num_perm: int,
        parse: Callable[[bytes], tuple[npt.NDArray[np.uint32], int]],
    ) -> None:
        self.client = client
        self.basename = basename
        self.num_perm = num_perm
        self._parse = parse  # stored bytes -> (hash values, word count or -1)
        self._sig_key = f"{basename}:sig"
        self._exact_key = f"{basename}:exact"
        self._loaded_key = f"{basename}:loaded"
        self._add = client.register_script(_ADD)
        self._remove = client.register_script(_REMOVE)
        self._lookup = client.register_script(_LOOKUP)
        self._mark = client.register_script(_MARK)

    def _bands(self, keys: npt.NDArray[np.uint64]) -> tuple[list[str], list[bytes]]:
        """Bucket names and field bytes of band keys."""
        shift = np.uint64(64 - _BUCKET_BITS)
        buckets = (keys >> shift).tolist()
        fields = keys.astype(">u8").tobytes()
        return (
            [f"{self.basename}:b:{b}" for b in buckets],
            [fields[i : i + 8] for i in range(0, len(fields), 8)],
        )

    def lookup(
        self, text_hash: str, keys: npt.NDArray[np.uint64] | None
    ) -> tuple[int | None, Candidates]:
        names, fields = self._bands(keys) if keys is not None else ([], [])
        reply = self._lookup(
            keys=[self._exact_key, self._sig_key, *names], args=[text_hash, *fields]
        )
        if reply[0]:
            return int(reply[0]), _no_candidates(self.num_perm)
        count = (len(reply) - 1) // 2
        if count == 0:
            return None, _no_candidates(self.num_perm)
        ids = np.frombuffer(b"".join(reply[1::2]), "<i8")
        sigs = np.empty((count, self.num_perm), np.uint32)
        wcs = np.empty(count, np.int64)
        for n, stored in enumerate(reply[2::2]):
            _, sigs[n], wcs[n] = self._unpack(stored)
        order = np.argsort(ids)
        return None, Candidates(ids[order], sigs[order], wcs[order])

    def _pack(self, text_hash: str, data: bytes) -> bytes:
        encoded = text_hash.encode()
        return _HASH_LEN.pack(len(encoded)) + encoded + data

    def _unpack(self, stored: bytes) -> tuple[str, npt.NDArray[np.uint32], int]:
        (length,) = _HASH_LEN.unpack_from(stored)
        text_hash = stored[2 : 2 + length].decode()
        values, word_count = self._parse(stored[2 + length :])
        return text_hash, values, word_count

    def get(self, article_id: int) -> tuple[str, npt.NDArray[np.uint32], int] | None:
        stored = self.client.hget(self._sig_key, _ID.pack(article_id))
        return None if stored is None else self._unpack(cast(bytes, stored))

    def _add_args(
        self, article_id: int, text_hash: str, keys: npt.NDArray[np.uint64] | None, data: bytes
    ) -> tuple[list[Any], list[Any]]:
        names, fields = self._bands(keys) if keys is not None else ([], [])
        return (
            [self._sig_key, self._exact_key, *names],
            [article_id, _ID.pack(article_id), self._pack(text_hash, data), text_hash, *fields],
        )

    def add(
        self,
        article_id: int,
        text_hash: str,
        values: npt.NDArray[np.uint32],
        word_count: int,
        keys: npt.NDArray[np.uint64] | None,
        data: bytes,
    ) -> bool:
        names, args = self._add_args(article_id, text_hash, keys, data)
        return bool(self._add(keys=names, args=args))

    def add_many(
        self,
        ids: npt.NDArray[np.int64],
        hashes: list[str],
        values: npt.NDArray[np.uint32],
        word_counts: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        in_lsh: npt.NDArray[np.bool_],
        datas: list[bytes],
    ) -> None:
        pipe = self.client.pipeline(transaction=False)
        for n, (article_id, text_hash, data) in enumerate(
            zip(ids.tolist(), hashes, datas, strict=True)
        ):
            band = keys[n] if in_lsh[n] else None
            names, args = self._add_args(article_id, text_hash, band, data)
            self._add(keys=names, args=args, client=pipe)
        pipe.execute()

    def remove(self, article_id: int, keys: npt.NDArray[np.uint64] | None) -> bool:
        current = self.get(article_id)
        if current is None:
            return False
        names, fields = self._bands(keys) if keys is not None else ([], [])
        removed = self._remove(
            keys=[self._sig_key, self._exact_key, *names],
            args=[article_id, _ID.pack(article_id), current[0], *fields],
        )
        return bool(removed)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, int) and bool(
            self.client.hexists(self._sig_key, _ID.pack(article_id))
        )

    def __len__(self) -> int:
        return int(self.client.hlen(self._sig_key))

    @property
    def loaded_through(self) -> int:
        value = self.client.get(self._loaded_key)
        return int(value) if value is not None else 0

    def mark_loaded(self, article_id: int) -> None:
        self._mark(keys=[self._loaded_key], args=[article_id])

    def clear(self) -> int:
        """Delete every key of this index (tests, or after changing the database); returns
        how many keys went."""
        deleted = 0
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=f"{self.basename}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += int(self.client.delete(*batch))
                batch = []
        if batch:
            deleted += int(self.client.delete(*batch))
        return deleted
