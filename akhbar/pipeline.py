"""The ingest pipeline: one fetched page → cleaner → dedup → storage.

Plain code that knows neither scrapy nor SQL: the crawler's item pipeline, backfills,
reprocessing and the tests all call :class:`Ingestor`. A broken page never raises out of
:meth:`Ingestor.ingest`; it becomes a recorded outcome with a reason.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from akhbar.cleaner import extract
from akhbar.cleaner.boilerplate import BoilerplateModel
from akhbar.dedup import Deduplicator, Duplicate, Fingerprint
from akhbar.dedup.minhash import signature_from_bytes
from akhbar.records import (
    Article,
    DuplicateKind,
    ExtractResult,
    FetchedPage,
    PageOutcome,
    Rejection,
    RejectReason,
)
from akhbar.seeds import SourceConfig
from akhbar.settings import CleanerSettings
from akhbar.storage import IngestWriter, RunCounters
from akhbar.storage.html import compress_html
from akhbar.storage.search import search_documents
from akhbar.unit_of_work import PendingPage, UnitOfWork, describe

log = logging.getLogger(__name__)
# One DEBUG line per page, on a logger of their own: `akhbar --verbose` shows them without
# turning on the tracebacks akhbar's loggers add at DEBUG
page_log = logging.getLogger("akhbar.pages")


class BoilerplateSink(Protocol):
    """Where the Ingestor saves its source's boilerplate model after each committed batch."""

    def save(self, model: BoilerplateModel) -> int: ...


# A page whose canonical URL names a stored article is the same article only if its text is
# at least this similar: sites that point every canonical at their home page must not make
# every article a copy of the first.
CANONICAL_MIN_SIMILARITY = 0.3

# The learned boilerplate model is saved this often (seconds) and when the run ends: it is an
# optimisation, and saving its changed lines after every commit cost more than storing pages.
BOILERPLATE_SAVE_EVERY = 30.0


@dataclass(frozen=True, slots=True)
class Prepared:
    """Work done beside the cleaner, in the crawler's extraction workers, that the ingesting
    thread would otherwise do: the compressed raw HTML and, for an article, its fingerprint and
    search documents. The last two hold only while the text stays as cleaned (the source's
    boilerplate model may still cut lines; then they are made again)."""

    raw_html: bytes | None
    text: str | None = None
    text_hash: str | None = None
    signature: bytes | None = None
    search_documents: tuple[str, str] | None = None


def prepare(body: bytes, extracted: ExtractResult, dedup: Deduplicator) -> Prepared:
    """:class:`Prepared` for one cleaned page (``dedup`` only fingerprints here)."""
    raw_html = compress_html(body) if body else None
    if isinstance(extracted, Rejection):
        return Prepared(raw_html)
    fingerprint = dedup.fingerprint(extracted.text)
    return Prepared(
        raw_html,
        extracted.text,
        fingerprint.text_hash,
        fingerprint.signature_bytes(),
        search_documents(extracted.title, extracted.text),
    )


def needs_cleaning(page: FetchedPage) -> bool:
    """Whether the page is a response to clean (failed downloads and HTTP errors are not)."""
    return 0 < page.status < 400


@dataclass(slots=True)
class StageSeconds:
    """Where a run's time went, per stage (measured, so that optimising starts
    where the time really goes).

    ``extract`` is CPU time of the cleaner, wherever it ran (worker processes or inline); the
    others are wall time in the ingesting thread.
    """

    extract: float = 0.0
    boilerplate: float = 0.0
    dedup: float = 0.0
    store: float = 0.0
    pages: int = 0

    def as_text(self) -> str:
        """The log line's fields: ``extract=12.3 boilerplate=0.1 dedup=0.4 store=1.2 pages=500``."""
        return (
            f"extract={self.extract:.2f} boilerplate={self.boilerplate:.2f} "
            f"dedup={self.dedup:.2f} store={self.store:.2f} pages={self.pages}"
        )


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What became of one page (also logged, one line per page)."""

    outcome: PageOutcome
    reason: str | None = None
    article_id: int | None = None


class Ingestor:
    """Cleans, de-duplicates and stores the pages of one source run."""

    def __init__(
        self,
        *,
        source: SourceConfig,
        writer: IngestWriter,
        run_id: int | None,
        dedup: Deduplicator,
        cleaner: CleanerSettings,
        counters: RunCounters | None = None,
        boilerplate: BoilerplateModel | None = None,
        boilerplate_store: BoilerplateSink | None = None,
        commit_interval: float = 1.0,
    ) -> None:
        self.source = source
        self.writer = writer
        self.run_id = run_id
        self.dedup = dedup
        self.cleaner = cleaner
        self.counters = counters or RunCounters()
        # the source's learned boilerplate: stripped from every article, saved per batch
        self.boilerplate = boilerplate
        self.boilerplate_store = boilerplate_store
        self._boilerplate_saved = time.monotonic()
        # a batch is committed when it has batch_size pages or is this many seconds old: new
        # articles wait in it with the dedup lock held, so other processes wait at most this
        self.commit_interval = commit_interval
        self._locked_generation: int | None = None  # the transaction holding the dedup lock
        # crash safety: the open batch of the writer (shared by every source of the process)
        # is kept by its unit of work, which replays it after a database error
        self.unit = UnitOfWork.of(writer)
        self.committed = replace(self.counters)  # the counters as of the last commit
        self.db_errors = 0  # database errors met (each rolled back its batch)
        self.pages_lost = 0  # pages left unstored after the retry failed too (fetched next run)
        self.seconds = StageSeconds()
        self._prepared: Prepared | None = None  # of the page being ingested
        self.unit.join(self)

    def ingest(
        self,
        page: FetchedPage,
        extracted: ExtractResult | None = None,
        cpu_seconds: float = 0.0,
        prepared: Prepared | None = None,
    ) -> IngestResult:
        """Process one page; never raises because of the page's content.

        ``extracted`` is the page's cleaner result when it was cleaned elsewhere (the crawler's
        worker processes, taking ``cpu_seconds``, which also made ``prepared``); without it the
        page is cleaned here.

        A database error (connection lost, server restarted, SQLite busy past its timeout)
        does not raise either: the batch (the pages of every source sharing the writer) is
        rolled back and replayed once on a fresh connection; pages that fail again stay
        unstored, are reported, and the next run fetches them again. Either way no
        half-written batch is ever committed (see :mod:`akhbar.unit_of_work`).
        """
        self.seconds.extract += cpu_seconds
        if self.unit.broken is not None:
            return self._not_stored(page, self.unit.broken)
        entry = PendingPage(self, page, extracted, prepared)
        self.unit.remember(entry)
        try:
            result = self._ingest_one(page, extracted, prepared)
            if self.writer.due() or self.unit.age() >= self.commit_interval:
                self.unit.commit()
        except Exception as exc:
            self.unit.recover(exc, self)
            if entry.result is None:
                return IngestResult(PageOutcome.ERROR, f"database: {describe(exc)}")
            return entry.result
        return result

    def replay(
        self, page: FetchedPage, extracted: ExtractResult | None, prepared: Prepared | None
    ) -> IngestResult:
        """Process a page of a rolled-back batch again (raises on a database error)."""
        return self._ingest_one(page, extracted, prepared)

    def _not_stored(self, page: FetchedPage, why: str) -> IngestResult:
        """A page met after the writer gave up: not stored, not counted, reported."""
        self.pages_lost += 1  # noted on the run; the one error line was logged when it broke
        log.debug("%s not stored (database writes failing) %s", self.source.name, page.url)
        return IngestResult(PageOutcome.ERROR, f"database: {why}")

    def batch_age(self) -> float:
        """Seconds since the uncommitted batch took its first page (0 when there is none)."""
        return self.unit.age()

    def commit_if_old(self) -> None:
        """Commit a batch older than ``commit_interval`` (called on a timer: a crawl waiting on
        slow downloads must not hold the dedup lock, or SQLite's write lock, meanwhile)."""
        if self.batch_age() >= self.commit_interval:
            self.flush()

    def settled(self) -> None:
        """The writer committed (this source's pages with everyone's): keep the counters as
        committed, and save the boilerplate model when it is due."""
        self.committed = replace(self.counters)
        if time.monotonic() - self._boilerplate_saved >= BOILERPLATE_SAVE_EVERY:
            self._save_boilerplate()

    def _save_boilerplate(self) -> None:
        if self.boilerplate is None or self.boilerplate_store is None:
            return
        self._boilerplate_saved = time.monotonic()
        try:
            self.boilerplate_store.save(self.boilerplate)
        except Exception as exc:  # the model is an optimisation: never fail a run for it
            log.error(
                "%s: saving the boilerplate model failed (%s); kept for the next batch",
                self.source.name,
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )

    def _ingest_one(
        self, page: FetchedPage, extracted: ExtractResult | None, prepared: Prepared | None
    ) -> IngestResult:
        self.seconds.pages += 1
        self._prepared = prepared
        try:
            result = self._process(page, extracted)
        finally:
            self._prepared = None
        self.counters.count(result.outcome)
        page_log.debug(
            "%s %s %s%s",
            self.source.name,
            result.outcome.value,
            page.url,
            f" ({result.reason})" if result.reason else "",
        )
        return result

    def _process(self, page: FetchedPage, extracted: ExtractResult | None) -> IngestResult:
        if not needs_cleaning(page):
            reason = f"http_{page.status}" if page.status else f"network: {page.error or 'failed'}"
            self._record_page(page, PageOutcome.ERROR, reason=reason)
            return IngestResult(PageOutcome.ERROR, reason)
        if extracted is None:
            extracted = self._clean(page)
        if isinstance(extracted, Rejection):
            reason = extracted.reason.value + (f": {extracted.detail}" if extracted.detail else "")
            self._record_page(page, PageOutcome.REJECTED, reason=reason)
            return IngestResult(PageOutcome.REJECTED, reason)
        # the page URL is the record's identity; the canonical URL is kept alongside (a copy:
        # the cleaner's result is kept as it came for a replay after a database error)
        article = replace(extracted, url=page.url)
        if self.boilerplate is not None:
            started = time.perf_counter()
            self.boilerplate.observe(article.text, article.title)
            article.text = self.boilerplate.strip(article.text, article.title)
            self.seconds.boilerplate += time.perf_counter() - started
        started, dedup_before = time.perf_counter(), self.seconds.dedup
        try:
            return self._store(page, article)
        finally:  # storage is what _store spent outside the dedup calls
            spent = time.perf_counter() - started
            self.seconds.store += spent - (self.seconds.dedup - dedup_before)

    def _record_page(self, page: FetchedPage, outcome: PageOutcome, **row: Any) -> None:
        prepared = self._prepared
        raw_html = prepared.raw_html if prepared is not None else None
        self.writer.record_page(page, outcome, run_id=self.run_id, raw_html=raw_html, **row)

    def _fingerprint(self, article: Article) -> Fingerprint:
        """The worker's fingerprint while the text is as it was cleaned, else made here."""
        prepared = self._prepared
        if (
            prepared is not None
            and prepared.text_hash is not None
            and prepared.signature is not None
            and prepared.text == article.text
        ):
            return Fingerprint.from_bytes(prepared.text_hash, prepared.signature)
        return self.dedup.fingerprint(article.text)

    def _search_documents(self, article: Article) -> tuple[str, str] | None:
        prepared = self._prepared
        if prepared is not None and prepared.text == article.text:
            return prepared.search_documents
        return None

    def _clean(self, page: FetchedPage) -> ExtractResult:
        started = time.process_time()
        try:
            return extract(
                page.body,
                page.final_url or page.url,
                encoding=page.encoding,
                settings=self.cleaner,
                languages=self.source.languages,
            )
        except Exception as exc:  # the cleaner promises not to raise; belt and braces
            log.exception("%s cleaner failed on %s", self.source.name, page.url)
            return Rejection(reason=RejectReason.PARSE_ERROR, detail=f"{type(exc).__name__}: {exc}")
        finally:
            self.seconds.extract += time.process_time() - started

    def _store(self, page: FetchedPage, article: Article) -> IngestResult:
        found = self.writer.lookup(article.url, article.canonical_url)  # one round trip
        existing = found.article_id
        if existing is not None:  # a refetch of a stored article: nothing new
            self._record_page(
                page,
                PageOutcome.ARTICLE,
                canonical_url=article.canonical_url,
                article_id=existing,
            )
            return IngestResult(PageOutcome.ARTICLE, "already stored", existing)
        started = time.perf_counter()
        fingerprint = self._fingerprint(article)
        self.seconds.dedup += time.perf_counter() - started
        if self._locked_generation != self.writer.generation:  # with the lock: none can come
            self._read_peers()
        started = time.perf_counter()
        verdict = self.dedup.check(fingerprint)
        self.seconds.dedup += time.perf_counter() - started
        if not isinstance(verdict, Duplicate):
            match = found.canonical
            if match is not None:
                similarity = fingerprint.minhash.jaccard(signature_from_bytes(match.minhash))
                if similarity >= CANONICAL_MIN_SIMILARITY:
                    return self._duplicate(
                        page, article, match.article_id, DuplicateKind.URL, similarity, None
                    )
        if isinstance(verdict, Duplicate):
            return self._duplicate(
                page, article, verdict.of, verdict.kind, verdict.similarity, verdict.containment
            )
        # A new story so far. Another crawl process may be storing a copy right now: decide
        # again under the database's dedup lock with its articles read. The lock is held until
        # the batch commits (at most commit_interval seconds), so every later decision, in any
        # process, sees this one (docs/dedup.md); while it is held no peer can add articles, so
        # the first check stands. (No ``finally``: after a database error nothing half-done may
        # be committed; the error goes up to :meth:`ingest`, which rolls the batch back.)
        if self._locked_generation != self.writer.generation:
            self.writer.lock_dedup()
            self._locked_generation = self.writer.generation
            self._read_peers()
            started = time.perf_counter()
            verdict = self.dedup.check(fingerprint)
            self.seconds.dedup += time.perf_counter() - started
        if isinstance(verdict, Duplicate):
            return self._duplicate(
                page, article, verdict.of, verdict.kind, verdict.similarity, verdict.containment
            )
        return self._new_article(page, article, fingerprint)

    def _read_peers(self) -> None:
        """Index the articles other processes stored since this one last looked."""
        for article_id, text_hash, data in self.writer.signatures_after(self.dedup.high_water):
            if article_id not in self.dedup:
                self.dedup.add(article_id, Fingerprint.from_bytes(text_hash, data))

    def _new_article(
        self, page: FetchedPage, article: Article, fingerprint: Fingerprint
    ) -> IngestResult:
        article_id = self.writer.add_article(
            self.source.name,
            self.run_id,
            article,
            fingerprint.text_hash,
            fingerprint.signature_bytes(),
            self._search_documents(article),
        )
        if article_id is None:  # lost a race on the unique text hash: an exact copy
            return self._duplicate_of_hash(page, article, fingerprint.text_hash)
        self.dedup.add(article_id, fingerprint)
        self._record_page(
            page,
            PageOutcome.ARTICLE,
            canonical_url=article.canonical_url,
            article_id=article_id,
        )
        return IngestResult(PageOutcome.ARTICLE, None, article_id)

    def _duplicate(
        self,
        page: FetchedPage,
        article: Article,
        of: int,
        kind: DuplicateKind,
        similarity: float,
        containment: float | None,
    ) -> IngestResult:
        self.writer.add_duplicate(
            self.source.name, self.run_id, article, of, kind, similarity, containment
        )
        reason = f"{kind.value} copy of article {of} (similarity {similarity:.2f})"
        self._record_page(
            page,
            PageOutcome.DUPLICATE,
            reason=reason,
            canonical_url=article.canonical_url,
            article_id=of,
        )
        return IngestResult(PageOutcome.DUPLICATE, reason, of)

    def _duplicate_of_hash(
        self, page: FetchedPage, article: Article, text_hash: str
    ) -> IngestResult:
        of = self.writer.article_id_for_hash(text_hash)
        if of is None:  # the URL was taken concurrently; record the page as that article's
            self._record_page(page, PageOutcome.ARTICLE, canonical_url=article.canonical_url)
            return IngestResult(PageOutcome.ARTICLE, "stored concurrently")
        return self._duplicate(page, article, of, DuplicateKind.EXACT, 1.0, 1.0)

    def flush(self, save_model: bool = False) -> None:
        """Commit the open batch; on a database error replay it once (see :meth:`ingest`).
        ``save_model`` saves the boilerplate model too (at the end of a run)."""
        if self.unit.broken is None:
            try:
                self.unit.commit()
            except Exception as exc:
                self.unit.recover(exc, self)
        if save_model and self.unit.broken is None:
            self._save_boilerplate()

    def close(self) -> RunCounters:
        """Commit what is pending and save the boilerplate model (the writer itself is closed by
        its owner)."""
        self.flush(save_model=True)
        return self.counters
