"""akhbar's cleaner as a ``score.py --func`` extractor (text of the article, "" if rejected).

    PYTHONPATH=tests/cleaner .venv/bin/python ../shared/real-pages/score.py \
        --func score_adapter:extract_text
"""

from __future__ import annotations

from akhbar.cleaner import extract
from akhbar.records import Article
from akhbar.settings import CleanerSettings

# the benchmark scores text, not the length policy: keep short articles
_SETTINGS = CleanerSettings(min_text_chars=0)


def extract_text(html: bytes, url: str | None = None) -> str:
    result = extract(html, url or "https://example.invalid/", settings=_SETTINGS)
    return result.text if isinstance(result, Article) else ""


def rejection(html: bytes, url: str | None = None) -> str | None:
    """The rejection reason for a page, or None when it becomes an article."""
    result = extract(html, url or "https://example.invalid/", settings=_SETTINGS)
    return None if isinstance(result, Article) else f"{result.reason}: {result.detail}"
