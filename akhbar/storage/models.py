"""SQLAlchemy 2 typed models: the public schema downstream readers depend on.

Every column here is documented in ``docs/schema.md``; the Alembic migrations under
``akhbar/storage/migrations/`` own the schema in databases. Time columns are timezone-aware
UTC on every backend.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from akhbar.storage.types import JSONList, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _partial_unique_index(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` only, the same on SQLite and PostgreSQL."""
    return Index(
        name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where)
    )


# articles.status
ARTICLE_ACTIVE = "active"
ARTICLE_WITHDRAWN = "withdrawn"


class Base(DeclarativeBase):
    """Declarative base with stable constraint names across SQLite and PostgreSQL."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """One row per seeds file."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    home_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    languages: Mapped[list[str]] = mapped_column(JSONList, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CrawlRun(Base):
    """One row per crawl, backfill or reprocess run, with its counters."""

    __tablename__ = "crawl_runs"
    # the run lease: at most one running single-process row per source, on every backend,
    # so no two processes crawl one source at once; the workers of a distributed crawl hold
    # one lease each
    __table_args__ = (
        _partial_unique_index(
            "uq_crawl_runs_running_source",
            "source",
            where="status = 'running' AND worker IS NULL",
        ),
        _partial_unique_index(
            "uq_crawl_runs_running_worker",
            "source",
            "worker",
            where="status = 'running' AND worker IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(String(64))


class Article(Base):
    """One distinct story: the first stored copy of it.

    A row is never deleted and its id never reused (``sqlite_autoincrement``; PostgreSQL's
    sequence never goes back): readers page through ids. A story the current cleaner rejects is
    ``withdrawn`` instead, and restored under the same id when the cleaner accepts it again.
    """

    __tablename__ = "articles"
    __table_args__ = (
        # the exact-copy key among the stories readers see; a withdrawn row keeps its text
        _partial_unique_index("uq_articles_text_hash", "text_hash", where="status = 'active'"),
        # the writer's lookup per page: the first active article with a canonical URL
        Index("ix_articles_canonical_url_status", "canonical_url", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSONList, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    sitename: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSONList, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONList, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    text_hash: Mapped[str] = mapped_column(String(64))
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    status: Mapped[str] = mapped_column(
        String(16), default=ARTICLE_ACTIVE, server_default=ARTICLE_ACTIVE, index=True
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class Page(Base):
    """Every URL ever fetched: the crawler's memory across runs, with the raw HTML."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    final_url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text, index=True)
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_size: Mapped[int | None] = mapped_column(Integer)
    first_fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class Duplicate(Base):
    """A URL whose content copies a stored article: provenance without duplicate articles."""

    __tablename__ = "duplicates"
    __table_args__ = (Index("ix_duplicates_source_detected_at", "source", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    similarity: Mapped[float] = mapped_column(Float)
    containment: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class BoilerplateLine(Base):
    """A line seen on several pages of one source: the per-source boilerplate model."""

    __tablename__ = "boilerplate_lines"
    __table_args__ = (
        UniqueConstraint("source", "line_key", name="uq_boilerplate_lines_source_line_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    line_key: Mapped[str] = mapped_column(String(40))
    line: Mapped[str] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    titles: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BoilerplateSource(Base):
    """How many pages of a source the boilerplate model has seen (its ``min_share`` of pages is
    a share of these), kept so that the model survives restarts."""

    __tablename__ = "boilerplate_sources"

    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), primary_key=True)
    pages_seen: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DiscoveryUrl(Base):
    """A feed, sitemap or start page of a source, with the validators of its last reading:
    the next crawl asks for it conditionally (``If-None-Match``/``If-Modified-Since``)."""

    __tablename__ = "discovery_urls"
    __table_args__ = (UniqueConstraint("source", "url", name="uq_discovery_urls_source_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.name"), index=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer)
