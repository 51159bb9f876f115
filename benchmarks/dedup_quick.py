"""Measure what the dedup defaults rest on (run: ``.venv/bin/python benchmarks/dedup_quick.py``).

For the seed articles and their test copies (``tests/dedup/dedup_corpus.py``) it prints, per
shingle size, the true Jaccard J and containment C of the shingle sets, the MinHash estimate of
J (mean ± sd over 20 seeds) at 64/128/256 permutations, and the containment the deduplicator
would estimate from J and the word counts; then the LSH candidate probability curve for a few
thresholds, and the speed of fingerprinting and of rebuilding the index.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from datasketch import MinHashLSH

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dedup"))

from dedup_corpus import (  # noqa: E402
    SHORT_A,
    SHORT_B,
    article_000,
    article_003,
    follow_up,
    republish,
    retypeset,
    truncate,
)

from akhbar.dedup import Deduplicator, Fingerprint, estimate_containment  # noqa: E402
from akhbar.dedup.minhash import build_signature, shingles  # noqa: E402
from akhbar.dedup.normalize import normalize_text, words  # noqa: E402
from akhbar.settings import DedupSettings  # noqa: E402


def cases() -> dict[str, tuple[str, str]]:
    a3, a0 = article_003(), article_000()
    rep3 = republish(a3, dateline="الدوحة - وكالات", drop=5)
    rep0 = republish(a0, dateline="موسكو - وكالات", drop=10)
    return {
        "000 vs 003 (different stories)": (a0, a3),
        "003 republished (edits)": (a3, rep3),
        "000 republished (edits)": (a0, rep0),
        "003 truncated 65%": (a3, truncate(a3)),
        "000 truncated 65%": (a0, truncate(a0)),
        "003 truncated 65% + edits": (a3, truncate(rep3)),
        "000 truncated 65% + edits": (a0, truncate(rep0)),
        "003 follow-up (1 para reused)": (a3, follow_up(a3)),
        "short one-liners": (SHORT_A, SHORT_B),
        "000 retypeset (exact)": (a0, retypeset(a0)),
    }


def jaccard_table() -> None:
    pairs = cases()
    for k in (2, 3, 4):
        print(f"\nshingle size {k}")
        print(
            f"{'case':32s} {'|A|':>4s} {'|B|':>4s} {'J':>5s} {'C':>5s}  "
            f"{'est J  64':>11s} {'128':>11s} {'256':>11s}  C est"
        )
        for name, (x, y) in pairs.items():
            wx, wy = words(normalize_text(x)), words(normalize_text(y))
            sx, sy = shingles(wx, k), shingles(wy, k)
            j = len(sx & sy) / len(sx | sy)
            c = len(sx & sy) / min(len(sx), len(sy))
            cols = []
            for n in (64, 128, 256):
                est = [
                    build_signature(sx, n, s).jaccard(build_signature(sy, n, s))
                    for s in range(1, 21)
                ]
                cols.append(f"{statistics.mean(est):.3f}±{statistics.pstdev(est):.3f}")
            j128 = build_signature(sx, 128, 1).jaccard(build_signature(sy, 128, 1))
            c_est = estimate_containment(j128, max(1, len(wx) - k + 1), max(1, len(wy) - k + 1))
            print(
                f"{name:32s} {len(sx):4d} {len(sy):4d} {j:5.3f} {c:5.3f}  "
                f"{cols[0]:>11s} {cols[1]:>11s} {cols[2]:>11s}  {c_est:.3f}"
            )


def lsh_curve() -> None:
    print("\nP(candidate) = 1 - (1 - J^r)^b")
    for n in (64, 128, 256):
        for t in (0.3, 0.4, 0.5):
            lsh = MinHashLSH(threshold=t, num_perm=n)
            b, r = lsh.b, lsh.r
            probs = " ".join(
                f"{j:.2f}:{1 - (1 - j**r) ** b:.3f}" for j in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
            )
            print(f"num_perm={n:3d} threshold={t} b={b:2d} r={r}  {probs}")


def speed() -> None:
    dedup = Deduplicator(DedupSettings())
    text = article_003()
    start = time.perf_counter()
    for _ in range(50):
        fp = dedup.fingerprint(text)
    per_text = (time.perf_counter() - start) / 50 * 1e3
    print(f"\nfingerprint of a {fp.word_count}-word article: {per_text:.2f} ms")
    data = []
    for i in range(10_000):  # distinct synthetic articles of 300 shingles
        sig = build_signature({f"w{i} {j}".encode() for j in range(300)}, 128, 1)
        data.append((i, f"{i:064x}", Fingerprint(f"{i:064x}", sig, 300).signature_bytes()))
    fresh = Deduplicator(DedupSettings())
    start = time.perf_counter()
    fresh.load(data)
    print(f"load of {len(data)} rows: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    probe = dedup.fingerprint(text)
    for _ in range(200):
        fresh.check(probe)
    per_check = (time.perf_counter() - start) / 200 * 1e3
    print(f"check against {len(fresh)} articles: {per_check:.2f} ms")


if __name__ == "__main__":
    jaccard_table()
    lsh_curve()
    speed()
