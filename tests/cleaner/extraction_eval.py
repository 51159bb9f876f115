"""Scoring for the extraction evaluation set (``tests/data/extraction/``).

Shared by the gate (``tests/cleaner/test_extraction_eval.py``) and the benchmark
(``benchmarks/extraction.py``). Token-bag precision/recall/F1 as in the shared real-pages
scorer (NFKC, casefold, Arabic tashkeel and tatweel dropped, runs of word characters), chrome
leakage as output lines that are not in the gold, and per-field metadata checks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import trafilatura

from akhbar.cleaner import extract
from akhbar.records import Article
from akhbar.settings import CleanerSettings

EVAL_DIR = Path(__file__).resolve().parents[1] / "data" / "extraction"
PAGES_DIR = EVAL_DIR / "pages"
LEAK_BASELINE = EVAL_DIR / "leak_baseline.json"

# the evaluation scores text, not the length policy
SETTINGS = CleanerSettings(min_text_chars=0)

_AR_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640]"
)
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """The scorer's tokens: normalised words."""
    text = _AR_MARKS.sub("", unicodedata.normalize("NFKC", text or "").casefold())
    return _WORD.findall(text)


@dataclass(frozen=True)
class EvalPage:
    """One page of the set with its gold text and gold metadata."""

    id: str
    template: str
    url: str
    html: bytes
    gold: str
    meta: dict[str, Any]


def load_pages(directory: Path = PAGES_DIR) -> list[EvalPage]:
    pages: list[EvalPage] = []
    for path in sorted(directory.glob("*.html")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append(
            EvalPage(
                id=path.stem,
                template=str(meta["template"]),
                url=str(meta["url"]),
                html=path.read_bytes(),
                gold=path.with_suffix(".txt").read_text(encoding="utf-8"),
                meta=meta,
            )
        )
    return pages


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def score(output: str, gold: str) -> Score:
    """Bag-of-tokens precision, recall and F1 of ``output`` against ``gold``."""
    out, ref = Counter(tokens(output)), Counter(tokens(gold))
    n_out, n_ref = sum(out.values()), sum(ref.values())
    common = sum((out & ref).values())
    p = common / n_out if n_out else 0.0
    r = common / n_ref if n_ref else 0.0
    return Score(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def _bigrams(words: list[str]) -> set[tuple[str, str]]:
    return set(pairwise(words))


def leaked_lines(output: str, gold: str) -> list[str]:
    """Output lines that are not in the gold: not a contiguous run of gold words and (for
    lines merged from several gold lines) fewer than 80% of their word pairs in the gold."""
    gold_words = tokens(gold)
    gold_text = " " + " ".join(gold_words) + " "
    gold_pairs = _bigrams(gold_words)
    gold_set = set(gold_words)
    leaked: list[str] = []
    for line in output.splitlines():
        words = tokens(line)
        if not words:
            continue
        if f" {' '.join(words)} " in gold_text:
            continue
        if len(words) == 1:
            if words[0] not in gold_set:
                leaked.append(line.strip())
            continue
        pairs = _bigrams(words)
        if sum(p in gold_pairs for p in pairs) < 0.8 * len(pairs):
            leaked.append(line.strip())
    return leaked


# -- running the extractors ----------------------------------------------------------------------


def run_trafilatura(page: EvalPage) -> str:
    """Bare trafilatura with its default settings."""
    return trafilatura.extract(page.html.decode("utf-8"), url=page.url) or ""


def run_akhbar(page: EvalPage) -> Article | None:
    result = extract(page.html, page.url, settings=SETTINGS, languages=("ar",))
    return result if isinstance(result, Article) else None


# -- metadata ------------------------------------------------------------------------------------

META_FIELDS = (
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "canonical_url",
    "categories",
    "tags",
    "description",
    "image_url",
    "word_count",
)


def _same_instant(value: datetime | None, gold: str, date_only: bool) -> bool:
    if value is None:
        return False
    if date_only:
        return value.date().isoformat() == gold
    return value == datetime.fromisoformat(gold)


def metadata_checks(article: Article | None, meta: dict[str, Any]) -> dict[str, bool]:
    """Per gold field (those the template exposes): does akhbar's record match?"""
    checks: dict[str, bool] = {}
    for name in META_FIELDS:
        gold = meta.get(name)
        if gold is None or gold == []:
            continue
        if article is None:
            checks[name] = False
            continue
        if name == "published":
            checks[name] = _same_instant(
                article.published_at, gold, bool(meta.get("published_date_only"))
            )
        elif name == "modified":
            checks[name] = _same_instant(article.modified_at, gold, False)
        elif name in ("authors", "categories", "tags"):
            checks[name] = list(getattr(article, name)) == list(gold)
        elif name == "word_count":
            checks[name] = abs(article.word_count - int(gold)) <= max(3, 0.02 * int(gold))
        else:
            checks[name] = getattr(article, name) == gold
    return checks


@dataclass
class PageResult:
    """The akhbar and trafilatura results of one page."""

    page: EvalPage
    akhbar_text: str
    bare_text: str
    akhbar: Score
    bare: Score
    akhbar_leaks: list[str]
    bare_leaks: list[str]
    metadata: dict[str, bool] = field(default_factory=dict)


def evaluate(pages: list[EvalPage], *, with_bare: bool = True) -> list[PageResult]:
    results: list[PageResult] = []
    for page in pages:
        article = run_akhbar(page)
        text = article.text if article else ""
        bare = run_trafilatura(page) if with_bare else ""
        results.append(
            PageResult(
                page=page,
                akhbar_text=text,
                bare_text=bare,
                akhbar=score(text, page.gold),
                bare=score(bare, page.gold),
                akhbar_leaks=leaked_lines(text, page.gold),
                bare_leaks=leaked_lines(bare, page.gold),
                metadata=metadata_checks(article, page.meta),
            )
        )
    return results


def load_leak_baseline() -> dict[str, list[str]]:
    if not LEAK_BASELINE.exists():
        return {}
    data: dict[str, list[str]] = json.loads(LEAK_BASELINE.read_text(encoding="utf-8"))
    return data
