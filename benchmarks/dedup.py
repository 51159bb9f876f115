"""Dedup benchmark: verdict quality on a labelled syndication corpus, speed, index rebuild, memory.

Run: ``.venv/bin/python benchmarks/dedup.py`` (``--quick`` for a smaller run, ``--no-million``
to skip the 1M-signature rebuild). One run prints:

* precision and recall of the merge verdicts against the corpus labels
  (``tests/dedup/syndication_corpus.py``), per copy kind and per hard-negative kind, and
  against the same verdict rule applied with *exact* Jaccard/containment of the shingle sets;
* docs/s of signature building, of index insert+query and of the whole dedup stage, on one
  core, for akhbar's path and for naive datasketch usage (``str.translate`` normalisation,
  SHA-1 per shingle, ``MinHash.update`` per shingle, ``MinHashLSH`` with the same parameters);
* the time to rebuild the index from stored signature rows (100k and 1M synthetic rows) and
  the memory per 100k signatures;
* with the shared index on Redis (``AKHBAR_DEDUP__INDEX=redis``; ``--redis-url``, skipped when
  Redis is not reachable): docs/s of index insert+query and of the whole stage, the time to
  fill it from 20k stored rows and the Redis memory per 100k articles.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dedup"))

from syndication_corpus import Doc, generate, load_material  # noqa: E402

from akhbar.dedup import Deduplicator, Duplicate  # noqa: E402
from akhbar.dedup.minhash import shingles, signature_to_bytes  # noqa: E402
from akhbar.dedup.normalize import reference_normalize  # noqa: E402
from akhbar.settings import DedupSettings  # noqa: E402

SETTINGS = DedupSettings()


# -- quality --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quality:
    precision: float
    recall: float
    merges: int
    expected: int
    recall_by_kind: dict[str, tuple[int, int]]  # copies: kind -> (merged right, expected)
    false_by_kind: dict[str, tuple[int, int]]  # first of their story: kind -> (merged, total)


def run_verdicts(docs: Sequence[Doc]) -> dict[int, int | None]:
    """Stream the corpus through a Deduplicator: doc id -> id of the doc it copies (or None)."""
    dedup = Deduplicator(SETTINGS)
    verdicts: dict[int, int | None] = {}
    for doc in docs:
        fp = dedup.fingerprint(doc.text)
        verdict = dedup.check(fp)
        if isinstance(verdict, Duplicate):
            verdicts[doc.doc_id] = verdict.of
        else:
            verdicts[doc.doc_id] = None
            dedup.add(doc.doc_id, fp)
    return verdicts


def exact_rule_verdicts(docs: Sequence[Doc]) -> dict[int, int | None]:
    """The same rule with exact shingle-set Jaccard and containment (inverted index)."""
    k, s = SETTINGS.shingle_size, SETTINGS
    postings: dict[bytes, list[int]] = defaultdict(list)
    sizes: dict[int, int] = {}
    words_of: dict[int, int] = {}
    hashes: dict[str, int] = {}
    verdicts: dict[int, int | None] = {}
    for doc in docs:
        norm = reference_normalize(doc.text)
        h = hashlib.sha256(norm.encode()).hexdigest()
        tokens = norm.split()
        shingle_set = shingles(tokens, k)
        if h in hashes:
            verdicts[doc.doc_id] = hashes[h]
            continue
        best: tuple[float, int] | None = None
        if len(tokens) >= s.min_words_for_near:
            inter: Counter[int] = Counter()
            for sh in shingle_set:
                for other in postings.get(sh, ()):
                    inter[other] += 1
            for other, n in inter.items():
                if words_of[other] < s.min_words_for_near:
                    continue
                a, b = len(shingle_set), sizes[other]
                j = n / (a + b - n)
                c = n / min(a, b)
                near = j >= s.verify_jaccard or (j >= s.threshold and c >= s.containment_threshold)
                if near and (best is None or j > best[0]):
                    best = (j, other)
        if best is not None:
            verdicts[doc.doc_id] = best[1]
            continue
        verdicts[doc.doc_id] = None
        hashes[h] = doc.doc_id
        sizes[doc.doc_id] = len(shingle_set)
        words_of[doc.doc_id] = len(tokens)
        for sh in shingle_set:
            postings[sh].append(doc.doc_id)
    return verdicts


def against_labels(docs: Sequence[Doc], verdicts: dict[int, int | None]) -> Quality:
    story = {d.doc_id: d.story for d in docs}
    seen: set[int] = set()
    merges = correct = expected = hits = 0
    recall_by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc in docs:
        of = verdicts[doc.doc_id]
        should = doc.story in seen
        seen.add(doc.story)
        right = of is not None and story[of] == doc.story
        if of is not None:
            merges += 1
            correct += right
        counts = (recall_by_kind if should else false_by_kind)[doc.kind]
        counts[1] += 1
        if should:
            expected += 1
            hits += right
            counts[0] += right
        else:
            counts[0] += of is not None
    return Quality(
        precision=correct / merges if merges else 1.0,
        recall=hits / expected if expected else 1.0,
        merges=merges,
        expected=expected,
        recall_by_kind={k: (v[0], v[1]) for k, v in sorted(recall_by_kind.items())},
        false_by_kind={k: (v[0], v[1]) for k, v in sorted(false_by_kind.items())},
    )


def against_reference(
    verdicts: dict[int, int | None], reference: dict[int, int | None]
) -> tuple[float, float]:
    """Precision/recall of merge decisions against the exact-similarity rule."""
    merged = {d for d, of in verdicts.items() if of is not None}
    ref = {d for d, of in reference.items() if of is not None}
    both = len(merged & ref)
    return (both / len(merged) if merged else 1.0, both / len(ref) if ref else 1.0)


# -- speed --------------------------------------------------------------------------------------
def per_second(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` runs in CPU seconds of this process (single thread: the figure is
    per core, and other work on a shared machine slows it much less than the wall clock)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def naive_signature(text: str) -> MinHash:
    """What a first datasketch user writes: normalise, shingle, ``update`` per shingle (SHA-1)."""
    tokens = reference_normalize(text).split()
    m = MinHash(num_perm=SETTINGS.num_perm, seed=SETTINGS.seed)
    for sh in shingles(tokens, SETTINGS.shingle_size):
        m.update(sh)
    return m


def speed(texts: list[str]) -> dict[str, float]:
    n = len(texts)
    dedup = Deduplicator(SETTINGS)
    fps = [dedup.fingerprint(t) for t in texts[:50]]  # warm-up
    results: dict[str, float] = {}
    results["fast_sig"] = per_second(n, timed(lambda: [dedup.fingerprint(t) for t in texts]))
    fps = [dedup.fingerprint(t) for t in texts]
    naive_n = min(n, 600)
    results["naive_sig"] = per_second(
        naive_n, timed(lambda: [naive_signature(t) for t in texts[:naive_n]], repeat=1)
    )
    naive_sigs = [naive_signature(t) for t in texts[:naive_n]]

    def fast_index() -> None:
        index = Deduplicator(SETTINGS)
        for i, fp in enumerate(fps):
            if not isinstance(index.check(fp), Duplicate):
                index.add(i, fp)

    def naive_index() -> None:
        lsh = MinHashLSH(threshold=SETTINGS.threshold, num_perm=SETTINGS.num_perm)
        stored: dict[int, MinHash] = {}
        for i, m in enumerate(naive_sigs):
            if not any(m.jaccard(stored[c]) >= SETTINGS.verify_jaccard for c in lsh.query(m)):
                lsh.insert(i, m)
                stored[i] = m

    results["fast_index"] = per_second(n, timed(fast_index))
    results["naive_index"] = per_second(naive_n, timed(naive_index))

    def whole() -> None:
        index = Deduplicator(SETTINGS)
        for i, text in enumerate(texts):
            fp = index.fingerprint(text)
            if not isinstance(index.check(fp), Duplicate):
                index.add(i, fp)

    def naive_whole() -> None:
        lsh = MinHashLSH(threshold=SETTINGS.threshold, num_perm=SETTINGS.num_perm)
        stored: dict[int, MinHash] = {}
        for i, text in enumerate(texts[:naive_n]):
            hashlib.sha256(reference_normalize(text).encode()).hexdigest()
            m = naive_signature(text)
            if not any(m.jaccard(stored[c]) >= SETTINGS.verify_jaccard for c in lsh.query(m)):
                lsh.insert(i, m)
                stored[i] = m

    results["fast_whole"] = per_second(n, timed(whole))
    results["naive_whole"] = per_second(naive_n, timed(naive_whole, repeat=1))
    return results


# -- rebuild and memory ---------------------------------------------------------------------------
def synthetic_rows(count: int, seed: int = 1) -> list[tuple[int, str, bytes]]:
    """Stored-signature rows as ``iter_signatures`` yields them (random signatures, 400 words)."""
    rng = np.random.default_rng(seed)
    template = Deduplicator(SETTINGS).fingerprint("نص " * 400)
    rows = []
    for i in range(1, count + 1):
        values = rng.integers(0, 2**32, SETTINGS.num_perm, dtype=np.uint32)
        lean = LeanMinHash(seed=SETTINGS.seed, hashvalues=values, scheme="affine32")
        data = signature_to_bytes(lean) + template.signature_bytes()[-5:]
        rows.append((i, f"{i:064x}", data))
    return rows


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def rebuild(count: int) -> tuple[float, float]:
    """(seconds to load ``count`` rows, bytes of index memory per 100k signatures)."""
    rows = synthetic_rows(count)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    dedup = Deduplicator(SETTINGS)
    dedup.load(iter(rows))
    seconds = time.perf_counter() - start
    del rows
    gc.collect()
    used = rss_bytes() - before
    assert len(dedup) == count
    return seconds, used / count * 100_000


def naive_rebuild(count: int) -> tuple[float, float]:
    rows = synthetic_rows(count)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=SETTINGS.threshold, num_perm=SETTINGS.num_perm)
    stored = {}
    for article_id, _, data in rows:
        m = MinHash(
            num_perm=SETTINGS.num_perm,
            seed=SETTINGS.seed,
            hashvalues=LeanMinHash.deserialize(data[:-5], "<").hashvalues,
            scheme="affine32",
        )
        lsh.insert(article_id, m)
        stored[article_id] = m
    seconds = time.perf_counter() - start
    del rows
    gc.collect()
    return seconds, (rss_bytes() - before) / count * 100_000


def rebuild_in_subprocess(count: int, naive: bool = False) -> tuple[float, float] | str:
    """Load ``count`` rows in a fresh process (so that memory freed by an earlier measurement
    cannot hide this one's): (seconds, bytes per 100k signatures), or why it failed."""
    function = "naive_rebuild" if naive else "rebuild"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r});"
        f"import dedup as b; s, m = b.{function}({count}); print(s, m)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if out.returncode != 0:
        return f"failed: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}"
    seconds, per100k = out.stdout.split()
    return float(seconds), float(per100k)


def report_rebuild(label: str, count: int, naive: bool = False) -> None:
    result = rebuild_in_subprocess(count, naive)
    if isinstance(result, str):
        print(f"{label} from {count:,} stored signatures: {result}")
        return
    seconds, per100k = result
    print(
        f"{label} from {count:,} stored signatures: {seconds:.1f} s "
        f"({count / seconds:,.0f} rows/s), {per100k / 2**20:,.0f} MiB per 100k signatures"
    )


# -- shared index on Redis ------------------------------------------------------------------------
def redis_index(redis_url: str) -> Deduplicator:
    """A Deduplicator on a fresh shared index of its own (``clear()`` it afterwards)."""
    return Deduplicator(
        SETTINGS.model_copy(update={"index": "redis"}),
        redis_url=redis_url,
        database_url=f"benchmark-{uuid.uuid4().hex}",
        redis_key_prefix="akhbar-benchmark",
    )


def redis_used_memory(dedup: Deduplicator) -> int:
    return int(dedup.index.client.info("memory")["used_memory"])  # type: ignore[attr-defined]


def report_redis(redis_url: str, texts: list[str], load_rows: int) -> None:
    """Insert+query and whole-stage docs/s on a Redis index, and filling it from stored rows
    (one measurement each: every run leaves its articles in the index)."""
    try:
        probe = redis_index(redis_url)
        probe.index.client.ping()  # type: ignore[attr-defined]
    except Exception as exc:  # no Redis here: the in-memory figures stand alone
        print(f"\nshared index on Redis: skipped ({type(exc).__name__}: {exc})")
        return
    fps = [probe.fingerprint(t) for t in texts]
    index = redis_index(redis_url)
    start = time.perf_counter()
    for i, fp in enumerate(fps):
        if not isinstance(index.check(fp), Duplicate):
            index.add(i, fp)
    insert_query = len(fps) / (time.perf_counter() - start)
    whole = redis_index(redis_url)
    start = time.perf_counter()
    for i, text in enumerate(texts):
        fp = whole.fingerprint(text)
        if not isinstance(whole.check(fp), Duplicate):
            whole.add(i, fp)
    whole_rate = len(texts) / (time.perf_counter() - start)
    for dedup in (index, whole):
        dedup.index.clear()  # type: ignore[attr-defined]
    rows = synthetic_rows(load_rows)
    loaded = redis_index(redis_url)
    before = redis_used_memory(loaded)
    start = time.perf_counter()
    loaded.load(iter(rows))
    seconds = time.perf_counter() - start
    per100k = (redis_used_memory(loaded) - before) / load_rows * 100_000
    loaded.index.clear()  # type: ignore[attr-defined]
    print(f"\nshared index on Redis ({redis_url}, one core for this process + the server):")
    print(f"  index insert+query   {insert_query:>8.0f} docs/s")
    print(f"  whole dedup stage    {whole_rate:>8.0f} docs/s")
    print(
        f"  fill from {load_rows:,} stored rows: {seconds:.1f} s ({load_rows / seconds:,.0f} "
        f"rows/s), Redis memory {per100k / 2**20:,.0f} MiB per 100k articles"
    )


# -- report ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller corpus and rebuild")
    parser.add_argument("--no-million", action="store_true", help="skip the 1M-row rebuild")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("AKHBAR_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the shared-index figures",
    )
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis figures")
    args = parser.parse_args()
    stories = 600 if args.quick else 2500
    material = load_material()

    started = time.perf_counter()
    docs = generate(stories, seed=7, material=material)
    verdicts = run_verdicts(docs)
    quality = against_labels(docs, verdicts)
    reference = exact_rule_verdicts(docs)
    ref_quality = against_labels(docs, reference)
    vs_exact = against_reference(verdicts, reference)
    kinds = Counter(d.kind for d in docs)
    print(f"corpus: {len(docs)} docs, {stories} stories ({dict(sorted(kinds.items()))})")
    print(
        f"labels:       precision {quality.precision:.4f}  recall {quality.recall:.4f}  "
        f"({quality.merges} merges, {quality.expected} copies expected)"
    )
    print(
        f"exact rule:   precision {ref_quality.precision:.4f}  recall {ref_quality.recall:.4f}"
        "  (the same verdict rule on exact shingle sets)"
    )
    print(
        f"vs exact:     precision {vs_exact[0]:.4f}  recall {vs_exact[1]:.4f}  "
        "(MinHash+LSH merge decisions against the exact rule's)"
    )
    print("  recall per kind (docs whose story was already stored: merged into it / all):")
    print("    " + ", ".join(f"{k} {m}/{t}" for k, (m, t) in quality.recall_by_kind.items()))
    print("  false merges per kind (first doc of their story, incl. hard negatives):")
    print("    " + ", ".join(f"{k} {m}/{t}" for k, (m, t) in quality.false_by_kind.items()))

    words = [d.text for d in generate(900, seed=11, words=400, material=material)]
    words = [t for t in words if 300 <= len(t.split()) <= 500][:1500]
    mean_words = statistics.mean(len(t.split()) for t in words)
    s = speed(words)
    print(
        f"\nspeed, one core, {len(words)} articles of {mean_words:.0f} words "
        "(docs per CPU second, best of 3):"
    )
    print(f"  {'':<22}{'akhbar':>10}{'naive':>10}{'ratio':>8}")
    for label, fast, naive in (
        ("signature building", s["fast_sig"], s["naive_sig"]),
        ("index insert+query", s["fast_index"], s["naive_index"]),
        ("whole dedup stage", s["fast_whole"], s["naive_whole"]),
    ):
        print(f"  {label:<22}{fast:>10.0f}{naive:>10.0f}{fast / naive:>7.1f}x")

    if not args.no_redis:
        report_redis(args.redis_url, words, 5_000 if args.quick else 20_000)

    count = 20_000 if args.quick else 100_000
    print()
    report_rebuild("index rebuild (akhbar: Deduplicator.load)", count)
    report_rebuild("naive rebuild (MinHash objects + MinHashLSH.insert)", count, naive=True)
    if not args.quick and not args.no_million:
        report_rebuild("index rebuild (akhbar: Deduplicator.load)", 1_000_000)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
