"""What a backfill covers and what it did: its date window, the dates read from sitemaps and
URLs, and its summary.

Shared by the command (:mod:`akhbar.backfill`) and the crawler side
(:mod:`akhbar.crawler.backfill`); kept below both so neither imports the other at load time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from akhbar.pipeline import IngestResult
from akhbar.records import PageOutcome
from akhbar.storage import RunCounters

_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$)")


@dataclass(frozen=True, slots=True)
class Window:
    """The days a backfill covers, both ends included (UTC calendar days)."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError(f"--until {self.until} is before --since {self.since}")

    def contains(self, day: date) -> bool:
        return self.since <= day <= self.until

    def days(self) -> Iterator[date]:
        day = self.since
        while day <= self.until:
            yield day
            day += timedelta(days=1)


def parse_day(text: str | None) -> date | None:
    """A sitemap/feed date (``2024-03-04``, ``2024-03-04T10:15:00+03:00``, ``...Z``) as a
    UTC calendar day; ``None`` when absent or unreadable."""
    if not text:
        return None
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if parsed.tzinfo is not None and ("T" in value or " " in value):
        return parsed.astimezone(UTC).date()
    return parsed.date()


def url_day(url: str) -> date | None:
    """The date many sites put in article paths (``/2024/03/04/slug/``)."""
    match = _URL_DATE_RE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


@dataclass(slots=True)
class BackfillSummary:
    """What a backfill did: the CLI's summary table."""

    source: str
    run_id: int
    status: str = "running"
    discovered: int = 0  # article URLs in the window (or listed, or archived)
    counters: RunCounters = field(default_factory=RunCounters)
    skipped_known: int = 0  # already stored: not fetched again (resume)
    out_of_window: int = 0
    undated: int = 0  # sitemap entries without any date: not fetched
    reasons: Counter[str] = field(default_factory=Counter)  # rejected/failed, by reason
    notes: list[str] = field(default_factory=list)

    def tally(self, result: IngestResult) -> None:
        if result.outcome in (PageOutcome.REJECTED, PageOutcome.ERROR) and result.reason:
            self.reasons[result.reason.split(":", 1)[0]] += 1

    def top_reasons(self, n: int = 3) -> list[tuple[str, int]]:
        return self.reasons.most_common(n)
