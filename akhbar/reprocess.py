"""``akhbar reprocess``: re-extract stored raw pages with the current cleaner, without fetching.

For each source the stored pages (``pages.raw_html``) go through the current cleaner and the
source's learned boilerplate (learned first from the pages themselves when the source has no
model yet); records that changed are rewritten and their dedup verdicts re-judged:

* an article whose text or metadata changed is updated in place (and re-indexed); if its new
  text now copies another article and nothing copies it, it becomes a duplicate;
* an article row is never deleted and its id never reused (readers page through ids): an
  article page that the cleaner now rejects becomes ``rejected`` and its record is
  *withdrawn* (``articles.status``, ``withdrawn_at``, ``withdrawn_reason``), keeping the text
  readers saw and leaving the dedup index, unless other pages are recorded as its copies: then
  the record, its copies' ``duplicates`` rows and their ``article_id`` links are kept as they
  are (no provenance lost) and the page row is flagged: outcome stays ``article``, ``reason``
  becomes ``kept: …`` with the cleaner's rejection (counted as ``kept_copied``). The flag goes
  when a later cleaner accepts the page again; once no copy points at the record, the next
  reprocess withdraws it as usual. Promoting a copy instead would re-judge pages of other
  sources, with their own cleaner settings, in this source's pass;
* an article whose new text copies another article (and that nothing copies) is withdrawn
  too (reason ``copy of article N``) and its page recorded as that article's copy;
* a rejected page that is now an article goes through the normal ingest path (new or copy),
  except when it was a withdrawn article: that row is restored under its id (``restored``),
  or stays withdrawn as a copy when its text now copies an active article;
* a duplicate whose text no longer copies its original becomes an article (restoring its own
  withdrawn row if it had one), or is rejected.

Each source's pass is one ``crawl_runs`` row of kind ``reprocess`` and commits in batches, so
an interrupted reprocess is resumed by running it again: pages already brought up to date come
out ``unchanged``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from akhbar.cleaner import extract
from akhbar.cleaner.boilerplate import BoilerplateModel
from akhbar.dedup import Deduplicator, Duplicate, open_deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import Article, PageOutcome, Rejection
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, RunCounters, make_engine
from akhbar.storage import reprocess_store as store
from akhbar.storage.boilerplate import BoilerplateStore
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.models import ARTICLE_WITHDRAWN
from akhbar.storage.models import Article as ArticleRow

__all__ = ["KEPT_PREFIX", "ReprocessSummary", "reprocess"]

# ``pages.reason`` of an article page the current cleaner rejects but other pages copy
KEPT_PREFIX = "kept: copied by other pages; the current cleaner rejects it: "

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (source, done, total)


@dataclass
class ReprocessSummary:
    """What one source's reprocess changed."""

    source: str
    run_id: int | None = None
    status: str = "running"
    pages: int = 0
    changed: int = 0
    unchanged: int = 0
    now_rejected: int = 0
    now_article: int = 0
    now_duplicate: int = 0
    kept_copied: int = 0  # now rejected, kept (and flagged) because copies point at it
    restored: int = 0  # withdrawn articles accepted again (among now_article)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _record(
    page_result: Article | Rejection, model: BoilerplateModel | None
) -> Article | Rejection:
    if isinstance(page_result, Article) and model is not None:
        page_result.text = model.strip(page_result.text, page_result.title)
    return page_result


class _SourcePass:
    def __init__(
        self,
        repo: Repository,
        settings: AkhbarSettings,
        source: SourceConfig,
        dedup: Deduplicator,
        model: BoilerplateModel,
        run_id: int,
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.source = source
        self.dedup = dedup
        self.model = model
        self.writer = repo.writer(settings.crawl.batch_size)
        # the ingest path for pages that become articles (the model is applied here already)
        self.ingestor = Ingestor(
            source=source,
            writer=self.writer,
            run_id=run_id,
            dedup=dedup,
            cleaner=settings.cleaner,
        )
        self.summary = ReprocessSummary(source.name, run_id)

    def extract(self, item: store.StoredPage) -> Article | Rejection:
        page = item.page
        result = extract(
            page.body,
            page.final_url or page.url,
            encoding=page.encoding,
            settings=self.settings.cleaner,
            languages=self.source.languages,
        )
        if isinstance(result, Article):
            result.url = page.url
        return _record(result, self.model)

    def one(self, item: store.StoredPage) -> str:
        new = self.extract(item)
        if item.outcome == PageOutcome.ARTICLE.value:
            return self._was_article(item, new)
        if item.outcome == PageOutcome.DUPLICATE.value:
            return self._was_duplicate(item, new)
        return self._was_rejected(item, new)

    def _reason(self, rejection: Rejection) -> str:
        return rejection.reason.value + (f": {rejection.detail}" if rejection.detail else "")

    def _ingest(self, item: store.StoredPage, article: Article) -> str:
        row = store.own_article(self.writer, item.page.url)
        if row is not None and row.status == ARTICLE_WITHDRAWN:
            return self._restore(item, row, article)
        result = self.ingestor._store(item.page, article)
        return "now_duplicate" if result.outcome is PageOutcome.DUPLICATE else "now_article"

    def _restore(self, item: store.StoredPage, row: ArticleRow, article: Article) -> str:
        """A withdrawn article's page is accepted again: the same row comes back (same id),
        unless its text now copies an active article (then the page is recorded as a copy)."""
        fingerprint = self.dedup.fingerprint(article.text)
        verdict = self.dedup.check(fingerprint)
        if isinstance(verdict, Duplicate):
            reason = f"copy of article {verdict.of}"
            if row.withdrawn_reason != reason:
                store.withdraw_article(self.writer, row, reason)
            self.ingestor._duplicate(
                item.page,
                article,
                verdict.of,
                verdict.kind,
                verdict.similarity,
                verdict.containment,
            )
            return "now_duplicate"
        store.restore_article(
            self.writer, row, article, fingerprint.text_hash, fingerprint.signature_bytes()
        )
        self.dedup.add(row.id, fingerprint)
        store.set_article(self.writer, item.id, row.id, article.canonical_url)
        self.summary.restored += 1
        log.info("%s reprocess restored article %d %s", self.source.name, row.id, item.page.url)
        return "now_article"

    def _withdraw(self, item: store.StoredPage, row: ArticleRow, reason: str) -> None:
        self.dedup.remove(row.id)
        store.withdraw_article(self.writer, row, reason)
        log.info(
            "%s reprocess withdrew article %d %s: %s",
            self.source.name,
            row.id,
            item.page.url,
            reason,
        )

    def _was_article(self, item: store.StoredPage, new: Article | Rejection) -> str:
        row = store.own_article(self.writer, item.page.url)
        if row is None:  # the page pointed at another article ("already stored"): leave it
            return "unchanged"
        if row.status == ARTICLE_WITHDRAWN:  # (a page left behind by an interrupted pass)
            if isinstance(new, Rejection):
                store.set_rejected(self.writer, item.id, self._reason(new), row.id)
                return "now_rejected"
            return self._restore(item, row, new)
        if isinstance(new, Rejection):
            if store.has_copies(self.writer, row.id):
                flag = KEPT_PREFIX + self._reason(new)
                if item.reason == flag:
                    return "unchanged"
                store.set_reason(self.writer, item.id, flag)
                self.summary.notes.append(f"{item.page.url}: {flag}")
                log.warning("%s reprocess kept %s: %s", self.source.name, item.page.url, flag)
                return "kept_copied"
            self._withdraw(item, row, "rejected: " + self._reason(new))
            store.set_rejected(self.writer, item.id, self._reason(new), row.id)
            return "now_rejected"
        unflagged = bool(item.reason and item.reason.startswith(KEPT_PREFIX))
        if unflagged:  # accepted again: the page is a plain article
            store.set_reason(self.writer, item.id, None)
        if store.same_record(row, new):
            return "changed" if unflagged else "unchanged"
        fingerprint = self.dedup.fingerprint(new.text)
        self.dedup.remove(row.id)
        verdict = self.dedup.check(fingerprint)
        if isinstance(verdict, Duplicate) and not store.has_copies(self.writer, row.id):
            self._withdraw(item, row, f"copy of article {verdict.of}")
            self.ingestor._duplicate(
                item.page, new, verdict.of, verdict.kind, verdict.similarity, verdict.containment
            )
            return "now_duplicate"
        store.update_article(
            self.writer, row, new, fingerprint.text_hash, fingerprint.signature_bytes()
        )
        self.dedup.add(row.id, fingerprint)
        self.writer.pending += 1
        return "changed"

    def _was_duplicate(self, item: store.StoredPage, new: Article | Rejection) -> str:
        if isinstance(new, Rejection):
            store.delete_duplicate(self.writer, item.page.url)
            row = store.own_article(self.writer, item.page.url)  # withdrawn as a copy before
            store.set_rejected(self.writer, item.id, self._reason(new), row.id if row else None)
            return "now_rejected"
        verdict = self.dedup.check(self.dedup.fingerprint(new.text))
        of = store.duplicate_of(self.writer, item.page.url)
        if isinstance(verdict, Duplicate) and verdict.of == of:
            return "unchanged"
        store.delete_duplicate(self.writer, item.page.url)
        return self._ingest(item, new)

    def _was_rejected(self, item: store.StoredPage, new: Article | Rejection) -> str:
        if isinstance(new, Rejection):
            reason = self._reason(new)
            if reason != item.reason:
                store.set_rejected(self.writer, item.id, reason, item.article_id)
            return "unchanged"
        return self._ingest(item, new)


def _learn(repo: Repository, settings: AkhbarSettings, source: SourceConfig) -> BoilerplateModel:
    """A first model for a source that has none: observe every stored page once."""
    model = BoilerplateModel(source.name)
    for item in store.iter_pages(repo, source.name, None):
        result = extract(
            item.page.body,
            item.page.final_url or item.page.url,
            encoding=item.page.encoding,
            settings=settings.cleaner,
            languages=source.languages,
        )
        if isinstance(result, Article):
            model.observe(result.text, result.title)
    return model


def reprocess(
    settings: AkhbarSettings,
    sources: Sequence[SourceConfig],
    *,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> list[ReprocessSummary]:
    """Re-extract the stored pages of ``sources`` (fetched at or after ``since``)."""
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    ensure_schema(engine)
    repo = Repository(engine)
    dedup, _ = open_deduplicator(settings, repo.iter_signatures)
    models = BoilerplateStore(engine)
    summaries: list[ReprocessSummary] = []
    try:
        for source in sources:
            summaries.append(_one_source(repo, settings, source, dedup, models, since, progress))
    finally:
        engine.dispose()
    return summaries


def _one_source(
    repo: Repository,
    settings: AkhbarSettings,
    source: SourceConfig,
    dedup: Deduplicator,
    models: BoilerplateStore,
    since: datetime | None,
    progress: Progress | None,
) -> ReprocessSummary:
    started = time.perf_counter()
    repo.sync_source(source.name, source.home, source.languages)
    model = models.load(source.name)
    if model.pages_seen == 0:
        model = _learn(repo, settings, source)
        models.save(model)
    total = store.count_pages(repo, source.name, since)
    try:
        run_id = repo.start_run(source.name, "reprocess")
    except IntegrityError:  # a crawl of the source holds its run lease right now
        log.error("%s: a run of this source is in progress; reprocess skipped", source.name)
        return ReprocessSummary(source.name, None, status="busy", notes=["run in progress"])
    work = _SourcePass(repo, settings, source, dedup, model, run_id)
    counters = RunCounters()
    summary = work.summary
    status, error = "ok", None
    try:
        for done, item in enumerate(store.iter_pages(repo, source.name, since), start=1):
            verdict = work.one(item)
            setattr(summary, verdict, getattr(summary, verdict) + 1)
            summary.pages = done
            counters.fetched = done
            counters.rejected += verdict == "now_rejected"
            counters.new += verdict in ("changed", "now_article")
            counters.duplicate += verdict == "now_duplicate"
            if verdict != "unchanged":
                log.info("%s reprocess %s %s", source.name, verdict, item.page.url)
            if work.writer.due():
                work.ingestor.flush()
                repo.heartbeat(run_id, counters)
            if progress is not None:
                progress(source.name, done, total)
        work.ingestor.flush()
    except BaseException as exc:
        status, error = (
            ("interrupted", "stopped by the user")
            if isinstance(exc, KeyboardInterrupt)
            else ("failed", f"{type(exc).__name__}: {exc}")
        )
        work.ingestor.flush()
        raise
    finally:
        work.writer.close()
        repo.finish_run(run_id, status, counters, error)
        summary.status = status
        summary.seconds = time.perf_counter() - started
    return summary
