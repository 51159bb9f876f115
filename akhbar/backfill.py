"""``akhbar backfill``: fill the database with a source's past, once, resumably.

Three ways in, one pipeline (:class:`akhbar.pipeline.Ingestor`) and one run row (kind
``backfill``, holding the source's lease like any crawl):

- a date window: the source's sitemaps (its seeds ``sitemaps`` and those its robots.txt
  declares; indexes followed, ``lastmod`` and news sitemaps' publication dates read) and its
  date archive pages (seeds ``archive_urls``) are searched, and only articles dated inside the
  window are fetched (``akhbar.crawler.backfill``, scrapy: robots.txt and politeness hold);
- a list of URLs (``--urls FILE|-``), fetched the same way;
- a WARC file (``--warc``): archived responses are ingested with no network at all.

Resumable: URLs already stored with a final outcome are skipped (``--resume``, the default), so
re-running an interrupted backfill fetches only what is missing; ``--refetch`` fetches them again.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine

from akhbar.dedup import open_deduplicator
from akhbar.pipeline import Ingestor, IngestResult
from akhbar.records import FetchedPage, PageOutcome
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import IngestWriter, Repository, RunCounters, make_engine
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.runs import acquire_run, reap_dead_runs
from akhbar.unit_of_work import UnitOfWork
from akhbar.urls import normalize_url

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a URL list that is not an http(s) URL: skipped, and said so."""

    line_no: int
    text: str
    reason: str

    def describe(self) -> str:
        return f"line {self.line_no}: {self.text[:200]!r} {self.reason}"


@dataclass(slots=True)
class UrlList:
    """The URLs of a ``--urls`` file, and the lines that were not URLs."""

    urls: list[str] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)

    def notes(self, limit: int = 20) -> list[str]:
        """One run note naming the skipped lines (the first ``limit`` of them)."""
        if not self.bad:
            return []
        shown = "; ".join(b.describe() for b in self.bad[:limit])
        more = f"; and {len(self.bad) - limit} more" if len(self.bad) > limit else ""
        return [f"{len(self.bad)} lines of the URL list skipped ({shown}{more})"]


def _url_problem(text: str) -> str | None:
    """Why ``text`` cannot be fetched, or ``None`` when it is an absolute http(s) URL."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    if not host:
        return "has no host"
    if any(ch.isspace() for ch in text):
        return "contains whitespace"
    return None


def read_url_list(lines: Iterable[str]) -> UrlList:
    """One URL per line; blank lines and ``#`` comments ignored; order kept, repeats dropped.

    A line that is not an absolute http(s) URL is reported with its line number and skipped,
    so one typo does not cost the URLs after it.
    """
    seen: dict[str, None] = {}
    bad: list[BadLine] = []
    for line_no, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        problem = _url_problem(text)
        if problem is not None:
            log.warning("URL list line %d skipped: %r %s", line_no, text[:200], problem)
            bad.append(BadLine(line_no, text, problem))
            continue
        seen.setdefault(text, None)
    return UrlList(list(seen), bad)


# -- WARC: no network ------------------------------------------------------------------------
def source_hosts(source: SourceConfig) -> set[str]:
    """Hosts the source publishes on (home page and entry points)."""
    urls = [source.home, *source.feeds, *source.sitemaps, *source.start_urls]
    return {urlsplit(u).netloc.lower() for u in urls}


def iter_warc_pages(path: Path, source: SourceConfig) -> Iterator[FetchedPage]:
    """The HTTP responses of a WARC (``.warc`` or ``.warc.gz``) as fetched pages of ``source``:
    only response records on the source's hosts whose URL passes its article rules."""
    from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

    hosts = source_hosts(source)
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            target = record.rec_headers.get_header("WARC-Target-URI") or ""
            url = normalize_url(target)
            if urlsplit(url).netloc.lower() not in hosts or not source.is_article_url(url):
                continue
            headers = {k.lower(): v for k, v in record.http_headers.headers}
            when = record.rec_headers.get_header("WARC-Date") or ""
            try:
                fetched_at = datetime.fromisoformat(when.replace("Z", "+00:00"))
            except ValueError:
                fetched_at = datetime.now(UTC)
            status = int(record.http_headers.get_statuscode() or 0)
            yield FetchedPage(
                source=source.name,
                url=url,
                final_url=url,
                status=status,
                headers=headers,
                body=record.content_stream().read(),
                encoding=_charset(headers.get("content-type", "")),
                fetched_at=fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC),
            )


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w.-]+)", content_type, re.I)
    return match.group(1) if match else None


@dataclass(slots=True)
class BackfillRunContext:
    """Everything one backfill run writes through, opened by :func:`open_backfill_run`."""

    engine: Engine
    repo: Repository
    run_id: int
    summary: BackfillSummary
    writer: IngestWriter
    ingestor: Ingestor


def open_backfill_run(settings: AkhbarSettings, source: SourceConfig) -> BackfillRunContext:
    """Schema checked, dead runs reaped, the source's run lease taken, dedup index loaded.

    Shared by WARC ingestion and crawled backfills so both start a run the same way.
    """
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    ensure_schema(engine)
    repo = Repository(engine)
    repo.sync_source(source.name, source.home, source.languages)
    stale_after = settings.scheduler.stale_after
    reap_dead_runs(repo, stale_after)
    run_id = acquire_run(repo, source.name, "backfill", stale_after)
    dedup, _ = open_deduplicator(settings, repo.iter_signatures)
    writer = repo.writer(settings.crawl.batch_size)
    UnitOfWork.of(writer).max_failed_commits = settings.crawl.max_failed_commits
    ingestor = Ingestor(
        source=source,
        writer=writer,
        run_id=run_id,
        dedup=dedup,
        cleaner=settings.cleaner,
        commit_interval=settings.crawl.commit_interval,
    )
    summary = BackfillSummary(source.name, run_id)
    return BackfillRunContext(engine, repo, run_id, summary, writer, ingestor)


def backfill_warc(
    settings: AkhbarSettings, source: SourceConfig, path: Path, *, refetch: bool = False
) -> BackfillSummary:
    """Ingest the archived responses of ``path`` for ``source`` (no network)."""
    from akhbar.pool import OrderedCleaner, default_workers

    ctx = open_backfill_run(settings, source)
    engine, repo, run_id, summary = ctx.engine, ctx.repo, ctx.run_id, ctx.summary
    writer, ingestor = ctx.writer, ctx.ingestor
    status: str = "failed"
    error: str | None = "stopped"

    def wanted() -> Iterator[FetchedPage]:
        seen: set[str] = set()
        for page in iter_warc_pages(path, source):
            if page.url in seen:
                continue
            seen.add(page.url)
            summary.discovered += 1
            if not refetch and repo.is_known_url(page.url):
                summary.skipped_known += 1
                continue
            yield page

    def ingest_all() -> None:
        workers = settings.crawl.extract_workers
        if workers == 0:
            for page in wanted():
                summary.tally(ingestor.ingest(page))
                if ingestor.unit.broken is not None:  # the database refuses writes: stop here
                    return
            return
        # the crawl's worker processes: the archive is read and pages stored here while the
        # workers clean the next ones (no network to wait on: the cleaner is the bound)
        with OrderedCleaner(workers or default_workers()) as cleaner:
            cleaned_pages = cleaner.clean(
                wanted(), settings.cleaner, source.languages, settings.dedup
            )
            for page, cleaned in cleaned_pages:
                if cleaned is None:
                    summary.tally(ingestor.ingest(page))
                else:
                    summary.tally(
                        ingestor.ingest(page, cleaned.result, cleaned.cpu_seconds, cleaned.prepared)
                    )
                if ingestor.unit.broken is not None:  # the database refuses writes: stop here
                    return

    try:
        ingest_all()
        broken = ingestor.unit.broken
        status, error = ("ok", None) if broken is None else ("failed", f"database_failed: {broken}")
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except Exception as exc:
        error = f"WARC read failed: {type(exc).__name__}: {exc}"
        raise
    finally:
        summary.counters = ingestor.close()
        writer.close()
        repo.finish_run(run_id, status, summary.counters, error)
        summary.status = status
        engine.dispose()
    return summary


def backfill_crawl(
    settings: AkhbarSettings,
    source: SourceConfig,
    *,
    window: Window | None = None,
    urls: list[str] | None = None,
    refetch: bool = False,
    progress: bool = False,
    notes: list[str] | None = None,
) -> BackfillSummary:
    """Discover (window) or take (urls) article URLs and fetch them with the crawler;
    ``notes`` (e.g. skipped lines of a URL list) go into the run record."""
    from akhbar.crawler.backfill import run_backfill

    return run_backfill(
        settings,
        source,
        window=window,
        urls=urls,
        refetch=refetch,
        progress=progress,
        notes=notes or [],
    )
