"""The consumers' view ``article_feed`` and its incremental cursor.

Readers never need the MinHash blobs or the raw HTML: ``article_feed`` (created by migration
0005, with ``status``/``withdrawn_at``/``withdrawn_reason`` since 0008) is the stable,
documented shape of an article for them. Article rows are never deleted and ids never
reused, so one id is one story for ever (a withdrawn article keeps its id and text). This
module maps the view for typed reads and implements the cursor that lets a reader ask for
"everything stored since my last read" without missing or repeating a record while a crawl
is writing.

The cursor is ``articles.id``. Ids are handed out in insertion order, but a reader must not
read past an id whose transaction is still open:

* SQLite has one writer at a time, so ids become visible in id order: the largest visible id
  is a safe bound.
* PostgreSQL hands out sequence values to concurrent transactions that may commit in any
  order (id 11 can be committed while id 10 is still in flight). akhbar's writer therefore
  publishes the first article id of each open transaction as a transaction-level advisory
  lock, taken under a short "gate" lock together with the insert; a reader takes the gate,
  reads the smallest published id from ``pg_locks`` (this database's locks only: the view
  shows the whole server's) and reads only ids below it. See
  docs/reading.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from akhbar.storage.models import Duplicate
from akhbar.storage.types import JSONList, UTCDateTime

# Views are not part of the ORM metadata (Alembic autogenerate must not see them).
VIEWS_METADATA = MetaData()

article_feed = Table(
    "article_feed",
    VIEWS_METADATA,
    Column("id", Integer, primary_key=True),
    Column("source", String(64)),
    Column("source_home_url", Text),
    Column("url", Text),
    Column("canonical_url", Text),
    Column("title", Text),
    Column("text", Text),
    Column("description", Text),
    Column("authors", JSONList),
    Column("published_at", UTCDateTime),
    Column("modified_at", UTCDateTime),
    Column("language", String(16)),
    Column("sitename", Text),
    Column("categories", JSONList),
    Column("tags", JSONList),
    Column("image_url", Text),
    Column("word_count", Integer),
    Column("text_hash", String(64)),
    Column("created_at", UTCDateTime),
    Column("crawl_run_id", Integer),
    Column("duplicate_count", Integer),
    Column("first_fetched_at", UTCDateTime),
    Column("last_fetched_at", UTCDateTime),
    Column("status", String(16)),
    Column("withdrawn_at", UTCDateTime),
    Column("withdrawn_reason", Text),
)

FEED_COLUMNS: tuple[str, ...] = tuple(c.name for c in article_feed.columns)

# Advisory lock namespace (first int4 key) of the cursor protocol: "akhr".
CURSOR_LOCK_NS = 0x616B6872
_GATE = 0  # second key of the gate lock; article ids are > 0


@dataclass(frozen=True, slots=True)
class DuplicateRef:
    """One copy of an article seen at another URL (a row of ``duplicates``)."""

    url: str
    source: str
    kind: str
    similarity: float
    containment: float | None
    title: str | None
    published_at: datetime | None
    detected_at: datetime

    def as_dict(self, *, iso_dates: bool = False) -> dict[str, Any]:
        """The copy as a plain mapping (dates as ISO 8601 strings when asked, for JSON/CSV)."""
        row: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        if iso_dates:
            for key in ("published_at", "detected_at"):
                row[key] = None if row[key] is None else row[key].isoformat()
        return row


@dataclass(frozen=True, slots=True)
class FeedArticle:
    """One row of ``article_feed``; ``duplicates`` is filled only when asked for."""

    id: int
    source: str
    source_home_url: str | None
    url: str
    canonical_url: str
    title: str
    text: str
    description: str | None
    authors: list[str]
    published_at: datetime | None
    modified_at: datetime | None
    language: str | None
    sitename: str | None
    categories: list[str]
    tags: list[str]
    image_url: str | None
    word_count: int
    text_hash: str
    created_at: datetime
    crawl_run_id: int | None
    duplicate_count: int
    first_fetched_at: datetime | None
    last_fetched_at: datetime | None
    status: str = "active"
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    duplicates: tuple[DuplicateRef, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What to read: the cursor (``after_id``) and optional filters, all combined with AND.

    ``since`` keeps articles published at or after that instant (articles without a
    publication date are left out); ``sources`` and ``languages`` keep the listed values.
    """

    after_id: int = 0
    since: datetime | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    include_duplicates: bool = False

    def __post_init__(self) -> None:
        if self.after_id < 0:
            raise ValueError("after_id must be >= 0")
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("since must be timezone-aware")


# -- the cursor ------------------------------------------------------------------------------
def safe_upper_bound(conn: Connection, lock_timeout_ms: int = 10_000) -> int:
    """The largest article id a reader may read up to now without ever missing an id below it.

    Every id at or below the bound is committed (or rolled back for good). Runs in its own
    short transaction on ``conn``; the next read should start after this call returns.
    """
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        if conn.dialect.name != "postgresql":
            return int(
                conn.execute(select(func.coalesce(func.max(_articles_id()), 0))).scalar_one()
            )
        conn.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :gate)"), _gate_params())
        first_in_flight = conn.execute(
            text(
                "SELECT min(objid::bigint) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid::bigint = :ns AND objsubid = 2 AND objid::bigint > :gate "
                "AND granted AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"
            ),
            _gate_params(),
        ).scalar()
        if first_in_flight is not None:
            return int(first_in_flight) - 1
        # a fresh statement, hence a snapshot taken after the look at pg_locks
        return int(conn.execute(select(func.coalesce(func.max(_articles_id()), 0))).scalar_one())


def _articles_id() -> Any:
    from akhbar.storage.models import Article

    return Article.id


def _gate_params() -> dict[str, int]:
    return {"ns": CURSOR_LOCK_NS, "gate": _GATE}


class CursorGate:
    """Writer side of the cursor protocol for one unit of work (a no-op on SQLite).

    On PostgreSQL the first article inserted by each transaction is inserted under the gate
    lock (shared, held for the insert only) and its id stays published as a transaction-level
    advisory lock until the transaction ends. Later articles of the same transaction have
    larger ids and need neither.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._published_in: object | None = None

    @contextlib.contextmanager
    def inserting(self) -> Iterator[Callable[[int], None]]:
        """Wrap one article insert; call the yielded function with the new id on success."""
        session = self.session
        if session.get_bind().dialect.name != "postgresql" or (
            self._published_in is not None and session.get_transaction() is self._published_in
        ):
            yield _ignore
            return

        def publish(article_id: int) -> None:
            session.execute(
                text("SELECT pg_advisory_xact_lock_shared(:ns, :id)"),
                {"ns": CURSOR_LOCK_NS, "id": article_id},
            )
            self._published_in = session.get_transaction()

        session.execute(text("SELECT pg_advisory_lock_shared(:ns, :gate)"), _gate_params())
        try:
            yield publish
        finally:
            with contextlib.suppress(Exception):  # a dead connection releases it anyway
                session.execute(
                    text("SELECT pg_advisory_unlock_shared(:ns, :gate)"), _gate_params()
                )


def _ignore(_article_id: int) -> None:
    return None


# -- reads -----------------------------------------------------------------------------------
def feed_query(filters: FeedFilter, upper_bound: int | None) -> Select[Any]:
    """``SELECT ... FROM article_feed`` with the filters, in id (cursor) order."""
    query = select(article_feed).where(article_feed.c.id > filters.after_id)
    if upper_bound is not None:
        query = query.where(article_feed.c.id <= upper_bound)
    if filters.since is not None:
        query = query.where(article_feed.c.published_at >= filters.since)
    if filters.sources:
        query = query.where(article_feed.c.source.in_(filters.sources))
    if filters.languages:
        query = query.where(article_feed.c.language.in_(filters.languages))
    return query.order_by(article_feed.c.id)


def count_feed(conn: Connection, filters: FeedFilter, upper_bound: int | None) -> int:
    """How many rows :func:`iter_feed` will yield (for progress bars)."""
    inner = feed_query(filters, upper_bound).order_by(None).with_only_columns(article_feed.c.id)
    return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())


def iter_feed(
    conn: Connection,
    filters: FeedFilter,
    upper_bound: int | None,
    *,
    chunk: int = 1000,
) -> Iterator[FeedArticle]:
    """Stream ``article_feed`` rows as records in constant memory (server-side cursor)."""
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
        feed_query(filters, upper_bound)
    )
    for partition in result.partitions():
        dupes = (
            _duplicates_of(conn, [row.id for row in partition])
            if filters.include_duplicates
            else {}
        )
        for row in partition:
            yield _record(row._mapping, dupes.get(row.id, ()))


def _record(mapping: Any, duplicates: Sequence[DuplicateRef]) -> FeedArticle:
    values = {name: mapping[name] for name in FEED_COLUMNS}
    for name in ("authors", "categories", "tags"):
        values[name] = list(values[name] or [])
    values["duplicate_count"] = int(values["duplicate_count"] or 0)
    return FeedArticle(**values, duplicates=tuple(duplicates))


def _duplicates_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[DuplicateRef]]:
    found: dict[int, list[DuplicateRef]] = {}
    if not ids:
        return found
    table = Duplicate.__table__
    rows = conn.execute(
        select(table).where(table.c.article_id.in_(ids)).order_by(table.c.id)
    ).mappings()
    for row in rows:
        found.setdefault(row["article_id"], []).append(
            DuplicateRef(
                url=row["url"],
                source=row["source"],
                kind=row["kind"],
                similarity=float(row["similarity"]),
                containment=None if row["containment"] is None else float(row["containment"]),
                title=row["title"],
                published_at=row["published_at"],
                detected_at=row["detected_at"],
            )
        )
    return found


def read_bound(engine: Engine) -> int:
    """The cursor bound for a read starting now (see :func:`safe_upper_bound`)."""
    with engine.connect() as conn:
        return safe_upper_bound(conn)


def parse_since(value: datetime | date | str) -> datetime:
    """A ``--since`` value as an aware UTC datetime: a date is its midnight UTC, naive times
    are taken as UTC, ISO 8601 strings with an offset keep it."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD or ISO 8601)") from exc
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
