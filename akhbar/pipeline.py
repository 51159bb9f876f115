"""The ingest pipeline: one fetched page → cleaner → dedup → storage.

Plain code that knows neither scrapy nor SQL: the crawler's item pipeline, backfills,
reprocessing and the tests all call :class:`Ingestor`. A broken page never raises out of
:meth:`Ingestor.ingest`; it becomes a recorded outcome with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from akhbar.cleaner import extract
from akhbar.cleaner.boilerplate import BoilerplateModel
from akhbar.dedup import Deduplicator, Duplicate, Fingerprint
from akhbar.dedup.minhash import signature_from_bytes
from akhbar.records import (
    Article,
    DuplicateKind,
    FetchedPage,
    PageOutcome,
    Rejection,
    RejectReason,
)
from akhbar.seeds import SourceConfig
from akhbar.settings import CleanerSettings
from akhbar.storage import IngestWriter, RunCounters

log = logging.getLogger(__name__)


class BoilerplateSink(Protocol):
    """Where the Ingestor saves its source's boilerplate model after each committed batch."""

    def save(self, model: BoilerplateModel) -> int: ...


# A page whose canonical URL names a stored article is the same article only if its text is
# at least this similar: sites that point every canonical at their home page must not make
# every article a copy of the first.
CANONICAL_MIN_SIMILARITY = 0.3


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
    ) -> None:
        self.source = source
        self.writer = writer
        self.run_id = run_id
        self.dedup = dedup
        self.cleaner = cleaner
        self.counters = counters or RunCounters()
        # the source's learned boilerplate (issue 4): stripped from every article, saved per batch
        self.boilerplate = boilerplate
        self.boilerplate_store = boilerplate_store

    def ingest(self, page: FetchedPage) -> IngestResult:
        """Process one page; never raises because of the page's content."""
        result = self._process(page)
        self.counters.count(result.outcome)
        log.info(
            "%s %s %s%s",
            self.source.name,
            result.outcome.value,
            page.url,
            f" ({result.reason})" if result.reason else "",
        )
        if self.writer.due():
            self.flush()
        return result

    def _process(self, page: FetchedPage) -> IngestResult:
        if page.status == 0 or page.status >= 400:
            reason = f"http_{page.status}" if page.status else f"network: {page.error or 'failed'}"
            self.writer.record_page(page, PageOutcome.ERROR, run_id=self.run_id, reason=reason)
            return IngestResult(PageOutcome.ERROR, reason)
        try:
            extracted = extract(
                page.body,
                page.final_url or page.url,
                encoding=page.encoding,
                settings=self.cleaner,
                languages=self.source.languages,
            )
        except Exception as exc:  # the cleaner promises not to raise; belt and braces
            log.exception("%s cleaner failed on %s", self.source.name, page.url)
            extracted = Rejection(
                reason=RejectReason.PARSE_ERROR, detail=f"{type(exc).__name__}: {exc}"
            )
        if isinstance(extracted, Rejection):
            reason = extracted.reason.value + (f": {extracted.detail}" if extracted.detail else "")
            self.writer.record_page(page, PageOutcome.REJECTED, run_id=self.run_id, reason=reason)
            return IngestResult(PageOutcome.REJECTED, reason)
        # the page URL is the record's identity; the canonical URL is kept alongside
        article = extracted
        article.url = page.url
        if self.boilerplate is not None:
            self.boilerplate.observe(article.text, article.title)
            article.text = self.boilerplate.strip(article.text, article.title)
        return self._store(page, article)

    def _store(self, page: FetchedPage, article: Article) -> IngestResult:
        existing = self.writer.article_id_for_url(article.url)
        if existing is not None:  # a refetch of a stored article: nothing new
            self.writer.record_page(
                page,
                PageOutcome.ARTICLE,
                run_id=self.run_id,
                canonical_url=article.canonical_url,
                article_id=existing,
            )
            return IngestResult(PageOutcome.ARTICLE, "already stored", existing)
        fingerprint = self.dedup.fingerprint(article.text)
        self._read_peers()
        verdict = self.dedup.check(fingerprint)
        if not isinstance(verdict, Duplicate):
            match = self.writer.find_by_canonical_url(article.canonical_url)
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
        # again under the database's dedup lock with its articles read, and commit at once so
        # that every later decision, in any process, sees this one (docs/dedup.md).
        self.writer.lock_dedup()
        try:
            self._read_peers()
            verdict = self.dedup.check(fingerprint)
            if isinstance(verdict, Duplicate):
                return self._duplicate(
                    page, article, verdict.of, verdict.kind, verdict.similarity, verdict.containment
                )
            return self._new_article(page, article, fingerprint)
        finally:
            self.flush()

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
        )
        if article_id is None:  # lost a race on the unique text hash: an exact copy
            return self._duplicate_of_hash(page, article, fingerprint.text_hash)
        self.dedup.add(article_id, fingerprint)
        self.writer.record_page(
            page,
            PageOutcome.ARTICLE,
            run_id=self.run_id,
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
        self.writer.record_page(
            page,
            PageOutcome.DUPLICATE,
            run_id=self.run_id,
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
            self.writer.record_page(
                page, PageOutcome.ARTICLE, run_id=self.run_id, canonical_url=article.canonical_url
            )
            return IngestResult(PageOutcome.ARTICLE, "stored concurrently")
        return self._duplicate(page, article, of, DuplicateKind.EXACT, 1.0, 1.0)

    def flush(self) -> None:
        """Commit the current batch; on a database error forget its articles and go on."""
        try:
            self.writer.commit()
        except Exception:
            log.exception(
                "%s: batch commit failed; its pages will be fetched again", self.source.name
            )
            for article_id in self.writer.rollback():
                self.dedup.remove(article_id)
            return
        if self.boilerplate is not None and self.boilerplate_store is not None:
            try:
                self.boilerplate_store.save(self.boilerplate)
            except Exception:  # the model is an optimisation: never fail a run for it
                log.exception("%s: saving the boilerplate model failed", self.source.name)

    def close(self) -> RunCounters:
        """Commit what is pending (the writer itself is closed by its owner)."""
        self.flush()
        return self.counters
