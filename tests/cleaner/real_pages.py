"""akhbar's cleaner vs bare trafilatura on the public real-page sets in ``../shared``.

Shared by the real-page gates (``test_real_pages.py``) and ``benchmarks/extraction.py``.
Pages and gold texts stay in ``../shared`` (never copied here); text is scored with the sets'
own ``score.py`` (token-bag P/R/F1, ``leak2`` chrome lines). Bare trafilatura's per-page
figures are stored in ``real_pages_baseline.json`` (ids and numbers only), so the gates do
not run trafilatura a second time; regenerate it with
``.venv/bin/python benchmarks/extraction.py --write-baseline`` after a trafilatura upgrade.

Metadata matching rules (WCXB gold fields ``title``, ``author``, ``publish_date``):

- title: equal after normalising (NFKC, case-folded, punctuation to spaces), or one contains
  the other (a site name added to or missing from the headline);
- author: a name token (two letters or more, not a title such as "MD" or a filler such as
  "by") of the gold author is a token of the extracted authors;
- date: the same calendar day (the same month when the gold gives only a month) as one of
  the extractor's dates. WCXB's ``publish_date`` is the date the page shows, which is its last
  update on many pages; akhbar reports ``published_at`` and ``modified_at`` apart and either
  may match, trafilatura reports one date (htmldate's choice among both).

Only pages whose gold has the field count for that field; a missing value is a miss.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from akhbar.cleaner import extract
from akhbar.records import Article
from akhbar.settings import CleanerSettings

SETS = {"real-pages": "real-pages/manifest.jsonl", "wcxb-articles": "wcxb-articles/manifest.jsonl"}
META_SET = "wcxb-articles"
META_FIELDS = ("title", "author", "date")
HERE = Path(__file__).resolve().parent
BASELINE = HERE / "real_pages_baseline.json"
EXCEPTIONS = HERE / "real_pages_exceptions.json"
# the benchmark scores text, not the length policy: keep short articles
SETTINGS = CleanerSettings(min_text_chars=0)


@dataclass(slots=True)
class RealPage:
    id: str
    url: str
    html: bytes
    gold: str
    title: str | None = None
    author: str | None = None
    publish_date: str | None = None


@dataclass(slots=True)
class PageScore:
    f1: float
    precision: float | None
    recall: float
    tokens: int
    leak2: int


@dataclass(slots=True)
class Run:
    """One extractor over one set: per-page scores, metadata hits and CPU seconds."""

    scores: dict[str, PageScore] = field(default_factory=dict)
    metadata: dict[str, dict[str, bool]] = field(default_factory=dict)
    cpu: float = 0.0

    def macro(self, attr: str) -> float:
        values = [getattr(s, attr) for s in self.scores.values()]
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else 0.0

    @property
    def empty(self) -> int:
        return sum(1 for s in self.scores.values() if s.tokens == 0)

    @property
    def leak2(self) -> int:
        return sum(s.leak2 for s in self.scores.values())

    def meta_accuracy(self) -> dict[str, tuple[int, int]]:
        """Field → (matches, pages whose gold has the field)."""
        out: dict[str, tuple[int, int]] = {}
        for name in META_FIELDS:
            hits = [m[name] for m in self.metadata.values() if name in m]
            out[name] = (sum(hits), len(hits))
        return out


def score_module(shared: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "real_pages_score", shared / "real-pages" / "score.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_set(shared: Path, name: str) -> list[RealPage]:
    manifest = shared / SETS[name]
    base = manifest.parent
    pages: list[RealPage] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row: dict[str, Any] = json.loads(line)
        if row.get("gold_type", "full") != "full":
            continue
        pages.append(
            RealPage(
                id=row["id"],
                url=row.get("url") or "https://example.invalid/",
                html=gzip.decompress((base / row["html"]).read_bytes()),
                gold=(base / row["gold"]).read_text(encoding="utf-8"),
                title=row.get("title"),
                author=row.get("author"),
                publish_date=row.get("publish_date"),
            )
        )
    return pages


def score_text(score: ModuleType, gold: str, text: str) -> PageScore:
    s = score.score_page(gold, text)
    return PageScore(s["f1"], s["precision"], s["recall"] or 0.0, s["n_pred"], s["leak2_lines"])


# -- metadata matching ---------------------------------------------------------------------------

_PUNCT = re.compile(r"[\W_]+")
_NOT_NAMES = frozenset(
    {"by", "and", "the", "team", "staff", "editor", "editors", "md", "phd", "ms", "rd", "mba"}
)


def _norm(text: str) -> str:
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def title_matches(gold: str, ours: str | None) -> bool:
    a, b = _norm(gold), _norm(ours or "")
    return bool(a and b) and (a == b or a in b or b in a)


def _name_tokens(text: str) -> set[str]:
    return {t for t in _norm(text).split() if len(t) >= 2 and t not in _NOT_NAMES}


def author_matches(gold: str, ours: Iterable[str]) -> bool:
    found: set[str] = set()
    for name in ours:
        found |= _name_tokens(name)
    return bool(_name_tokens(gold) & found)


def date_matches(gold: str, ours: Iterable[date | datetime | str | None]) -> bool:
    day = gold.strip()
    if len(day) < 7:
        return False
    for value in ours:
        text = value if isinstance(value, str) else value.isoformat() if value else ""
        if text[: len(day)] == day:
            return True
    return False


def metadata_hits(
    page: RealPage,
    title: str | None,
    authors: Sequence[str],
    dates: Sequence[date | datetime | str | None],
) -> dict[str, bool]:
    hits: dict[str, bool] = {}
    if page.title:
        hits["title"] = title_matches(page.title, title)
    if page.author:
        hits["author"] = author_matches(page.author, authors)
    if page.publish_date:
        hits["date"] = date_matches(page.publish_date, dates)
    return hits


# -- runs ----------------------------------------------------------------------------------------


def run_akhbar(pages: Sequence[RealPage], score: ModuleType) -> Run:
    run = Run()
    for page in pages:
        started = time.process_time()
        result = extract(page.html, page.url, settings=SETTINGS)
        run.cpu += time.process_time() - started
        text = result.text if isinstance(result, Article) else ""
        run.scores[page.id] = score_text(score, page.gold, text)
        if isinstance(result, Article):
            dates = [d.date() for d in (result.published_at, result.modified_at) if d]
            run.metadata[page.id] = metadata_hits(page, result.title, result.authors, dates)
        else:
            run.metadata[page.id] = metadata_hits(page, None, [], [])
    return run


def run_bare(pages: Sequence[RealPage], score: ModuleType, *, metadata: bool) -> Run:
    """Bare ``trafilatura.extract`` with default options (CPU counts the text only); with
    ``metadata``, trafilatura's own ``extract_metadata`` too, for the metadata comparison."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    run = Run()
    for page in pages:
        started = time.process_time()
        text = trafilatura.extract(page.html, url=page.url) or ""
        run.cpu += time.process_time() - started
        run.scores[page.id] = score_text(score, page.gold, text)
        if metadata:
            doc = trafilatura.extract_metadata(page.html, default_url=page.url)
            authors = [a for a in re.split(r";|,| and ", doc.author or "") if a.strip()]
            run.metadata[page.id] = metadata_hits(page, doc.title, authors, [doc.date])
    return run


def cpu_interleaved(pages: Sequence[RealPage], rounds: int = 2) -> tuple[float, float]:
    """CPU seconds of bare ``trafilatura.extract`` and of akhbar's cleaner on the same pages,
    page by page, alternating which goes first: the load of a shared machine falls on both
    alike, so their ratio holds where separate runs of each drift apart."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    cpu = {"bare": 0.0, "akhbar": 0.0}
    for round_no in range(rounds):
        for i, page in enumerate(pages):
            order = ("bare", "akhbar") if (i + round_no) % 2 == 0 else ("akhbar", "bare")
            for name in order:
                started = time.process_time()
                if name == "bare":
                    trafilatura.extract(page.html, url=page.url)
                else:
                    extract(page.html, page.url, settings=SETTINGS)
                cpu[name] += time.process_time() - started
    return cpu["bare"] / rounds, cpu["akhbar"] / rounds


# -- stored baseline -----------------------------------------------------------------------------


def write_baseline(runs: dict[str, Run]) -> None:
    data = {
        "trafilatura": trafilatura.__version__,
        "note": "bare trafilatura.extract (default options) per page: [f1, leak2 lines, tokens]; "
        "metadata: per page [title, author, date] match, null where the gold has no value",
        "sets": {
            name: {
                "cpu_per_page": round(run.cpu / max(len(run.scores), 1), 5),
                "pages": {
                    pid: [round(s.f1, 5), s.leak2, s.tokens]
                    for pid, s in sorted(run.scores.items())
                },
            }
            for name, run in runs.items()
        },
        "metadata": {
            pid: [hits.get(f) for f in META_FIELDS]
            for pid, hits in sorted(runs[META_SET].metadata.items())
        },
    }
    BASELINE.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def load_baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE.read_text(encoding="utf-8"))
    return data


def baseline_run(data: dict[str, Any], name: str) -> Run:
    """Bare trafilatura's stored figures as a :class:`Run` (precision/recall not stored)."""
    run = Run()
    pages = data["sets"][name]["pages"]
    for pid, (f1, leak2, tokens) in pages.items():
        run.scores[pid] = PageScore(f1, None, 0.0, tokens, leak2)
    run.cpu = data["sets"][name]["cpu_per_page"] * len(pages)
    if name == META_SET:
        for pid, hits in data["metadata"].items():
            run.metadata[pid] = {
                f: h for f, h in zip(META_FIELDS, hits, strict=True) if h is not None
            }
    return run


def load_exceptions() -> dict[str, dict[str, str]]:
    """Set → page id → one-line reason: pages allowed more than 0.15 F1 below trafilatura."""
    data: dict[str, dict[str, str]] = json.loads(EXCEPTIONS.read_text(encoding="utf-8"))
    return data
