"""The reads and writes of ``akhbar reprocess`` (stored pages → re-extracted records).

Every change goes through the crawl's :class:`~akhbar.storage.IngestWriter` session, so a
reprocess batch commits like a crawl batch and SQLite keeps one writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update

from akhbar.records import Article as ArticleRecord
from akhbar.records import FetchedPage
from akhbar.storage.models import ARTICLE_ACTIVE, ARTICLE_WITHDRAWN, Article, Duplicate, Page
from akhbar.storage.repository import (
    IngestWriter,
    Repository,
    article_columns,
    decompress_html,
)
from akhbar.storage.types import utcnow

__all__ = ["StoredPage", "count_pages", "iter_pages"]


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A stored page with what was made of it."""

    id: int
    page: FetchedPage
    outcome: str
    reason: str | None
    article_id: int | None


def _filters(source: str, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Page.source == source,
        Page.raw_html.is_not(None),
        Page.outcome.in_(["article", "duplicate", "rejected"]),
    ]
    if since is not None:
        conditions.append(Page.last_fetched_at >= since)
    return conditions


def count_pages(repo: Repository, source: str, since: datetime | None) -> int:
    with repo.sessions() as session:
        query = select(func.count()).select_from(Page).where(*_filters(source, since))
        return int(session.scalar(query) or 0)


def iter_pages(
    repo: Repository, source: str, since: datetime | None, chunk: int = 200
) -> Iterator[StoredPage]:
    """The source's stored pages with raw HTML, in id order, streamed in chunks."""
    last = 0
    while True:
        with repo.sessions() as session:
            rows = session.scalars(
                select(Page)
                .where(Page.id > last, *_filters(source, since))
                .order_by(Page.id)
                .limit(chunk)
            ).all()
            pages = [
                StoredPage(
                    id=row.id,
                    page=FetchedPage(
                        source=row.source,
                        url=row.url,
                        final_url=row.final_url or row.url,
                        status=row.http_status or 200,
                        headers={
                            k: v
                            for k, v in (
                                ("content-type", row.content_type),
                                ("etag", row.etag),
                                ("last-modified", row.last_modified),
                            )
                            if v
                        },
                        body=decompress_html(bytes(row.raw_html or b"")),
                        encoding=row.encoding,
                        fetched_at=row.last_fetched_at,
                    ),
                    outcome=row.outcome,
                    reason=row.reason,
                    article_id=row.article_id,
                )
                for row in rows
            ]
        if not pages:
            return
        yield from pages
        last = pages[-1].id


def own_article(writer: IngestWriter, url: str) -> Article | None:
    """The article row whose record is this page (not one it copies), active or withdrawn."""
    return writer.session.scalar(select(Article).where(Article.url == url))


def has_copies(writer: IngestWriter, article_id: int) -> bool:
    query = select(Duplicate.id).where(Duplicate.article_id == article_id).limit(1)
    return writer.session.scalar(query) is not None


def update_article(
    writer: IngestWriter, row: Article, record: ArticleRecord, text_hash: str, minhash: bytes
) -> None:
    """Rewrite an article row in place from a re-extracted record (an ORM update, so the
    search index follows: see ``storage/search.py``)."""
    for name, value in article_columns(record, text_hash, minhash).items():
        setattr(row, name, value)
    writer.session.flush()


def same_record(row: Article, record: ArticleRecord) -> bool:
    return (
        row.text == record.text
        and row.title == record.title
        and list(row.authors) == list(record.authors)
        and list(row.categories) == list(record.categories)
        and list(row.tags) == list(record.tags)
        and row.description == record.description
        and row.image_url == record.image_url
        and row.canonical_url == record.canonical_url
        and row.published_at == record.published_at
        and row.modified_at == record.modified_at
        and row.language == record.language
    )


def withdraw_article(writer: IngestWriter, row: Article, reason: str) -> None:
    """Mark an article withdrawn (never deleted: its id stays a reader's cursor and is never
    handed out again); the row keeps the text readers saw."""
    row.status = ARTICLE_WITHDRAWN
    row.withdrawn_at = utcnow()
    row.withdrawn_reason = reason
    writer.session.flush()


def restore_article(
    writer: IngestWriter, row: Article, record: ArticleRecord, text_hash: str, minhash: bytes
) -> None:
    """Bring a withdrawn article back under its id, with the re-extracted record."""
    update_article(writer, row, record, text_hash, minhash)
    row.status = ARTICLE_ACTIVE
    row.withdrawn_at = None
    row.withdrawn_reason = None
    writer.session.flush()


def set_article(writer: IngestWriter, page_id: int, article_id: int, canonical_url: str) -> None:
    """Record a page as the page of article ``article_id``."""
    writer.session.execute(
        update(Page)
        .where(Page.id == page_id)
        .values(outcome="article", reason=None, article_id=article_id, canonical_url=canonical_url)
    )
    writer.session.flush()
    writer.pending += 1


def delete_duplicate(writer: IngestWriter, url: str) -> None:
    writer.session.execute(delete(Duplicate).where(Duplicate.url == url))
    writer.session.flush()


def duplicate_of(writer: IngestWriter, url: str) -> int | None:
    return writer.session.scalar(select(Duplicate.article_id).where(Duplicate.url == url))


def set_rejected(
    writer: IngestWriter, page_id: int, reason: str, article_id: int | None = None
) -> None:
    """Record a page as rejected; ``article_id`` names the withdrawn article it was, if any."""
    writer.session.execute(
        update(Page)
        .where(Page.id == page_id)
        .values(outcome="rejected", reason=reason, article_id=article_id)
    )
    writer.session.flush()
    writer.pending += 1


def set_reason(writer: IngestWriter, page_id: int, reason: str | None) -> None:
    """Flag (or unflag) a page row without changing its outcome or its article link."""
    writer.session.execute(update(Page).where(Page.id == page_id).values(reason=reason))
    writer.session.flush()
    writer.pending += 1
