"""Reality check on real news pages (../shared/real-pages): akhbar must not lose to trafilatura.

Runs the first pages of the manifest through akhbar's cleaner and through bare
``trafilatura.extract``, scored with the benchmark's own ``score.py`` tokeniser. Pages akhbar
rejects are counted and left out of both averages (a rejection is a decision, not an
extraction); there must be few of them.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
import statistics
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from akhbar.cleaner import extract
from akhbar.records import Article
from akhbar.settings import CleanerSettings

PAGES = 40


def _score_module(real: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_pages_score", real / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_macro_f1_not_below_bare_trafilatura(shared_dir: Path) -> None:
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    real = shared_dir / "real-pages"
    score = _score_module(real)
    manifest = (real / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    rows: list[dict[str, Any]] = [json.loads(line) for line in manifest if line.strip()]
    rows = [r for r in rows if r.get("gold_type", "full") == "full"][:PAGES]
    settings = CleanerSettings(min_text_chars=0)  # score the text, not the length policy

    started = time.perf_counter()
    ours: list[float] = []
    bare: list[float] = []
    rejected: list[str] = []
    for row in rows:
        html = gzip.decompress((real / row["html"]).read_bytes())
        gold = (real / row["gold"]).read_text(encoding="utf-8")
        result = extract(html, row["url"], settings=settings)
        if not isinstance(result, Article):
            rejected.append(f"{row['id']}: {result.reason} {result.detail}")
            continue
        ours.append(score.score_page(gold, result.text)["f1"])
        baseline = trafilatura.extract(html, url=row["url"]) or ""
        bare.append(score.score_page(gold, baseline)["f1"])
    elapsed = time.perf_counter() - started

    ours_f1, bare_f1 = statistics.mean(ours), statistics.mean(bare)
    report = (
        f"{len(rows)} pages, {len(rejected)} rejected, macro F1 akhbar {ours_f1:.3f} "
        f"vs bare trafilatura {bare_f1:.3f}, {elapsed:.1f}s; rejected: {rejected}"
    )
    print(report)
    assert len(rejected) <= len(rows) // 10, report
    assert ours_f1 >= bare_f1 - 0.02, report
    assert elapsed < 30, report
