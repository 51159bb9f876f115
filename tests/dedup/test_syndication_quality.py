"""Regression gate: merge verdicts on a labelled syndication corpus (see benchmarks/dedup.py).

A small corpus of the synthetic generator (copies with another dateline, dropped or added
paragraphs, light re-editing, truncation to 60–80%, retyping; hard negatives about the same
people, follow-ups reusing a paragraph, near-identical one-line briefs) streamed through the
deduplicator must keep precision ≥ 0.99 and recall ≥ 0.97 against the labels, and no hard
negative may be merged.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from syndication_corpus import generate

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "dedup.py"
_spec = importlib.util.spec_from_file_location("akhbar_dedup_benchmark", _BENCH)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # dataclasses resolve their module through sys.modules
_spec.loader.exec_module(bench)


def test_precision_and_recall_on_the_labelled_corpus() -> None:
    docs = generate(250, seed=3)
    quality = bench.against_labels(docs, bench.run_verdicts(docs))
    assert quality.expected > 400  # the corpus really holds copies to find
    assert quality.precision >= 0.99, quality
    assert quality.recall >= 0.97, quality
    for kind in ("same_actors", "follow_up", "brief"):
        merged, total = quality.false_by_kind[kind]
        assert total > 0 and merged == 0, (kind, merged, total)
    for kind in ("dateline", "edited", "retyped", "added"):
        merged, total = quality.recall_by_kind[kind]
        assert merged == total, (kind, merged, total)
