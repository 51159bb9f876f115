"""``akhbar export``: stream ``article_feed`` to JSON Lines, CSV or Parquet in constant memory.

Rows come from one server-side cursor (``yield_per``) and leave in small batches, so memory
does not grow with the corpus. Text is written as UTF-8 in every format (JSON keeps Arabic
as is, not ``\\uXXXX`` escapes); CSV can start with a byte-order mark so spreadsheet programs
detect UTF-8. The summary carries the cursor to pass as ``--after-id`` next time.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from sqlalchemy import Engine

from akhbar.errors import AkhbarError
from akhbar.storage.reader_cursor import (
    FEED_COLUMNS,
    FeedArticle,
    FeedFilter,
    count_feed,
    iter_feed,
    read_bound,
)

_LIST_COLUMNS = ("authors", "categories", "tags")
_TIME_COLUMNS = (
    "published_at",
    "modified_at",
    "created_at",
    "first_fetched_at",
    "last_fetched_at",
    "withdrawn_at",
)
_PARQUET_BATCH = 2000


class ExportFormat(StrEnum):
    """Output formats of ``akhbar export``."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


class ParquetUnavailable(AkhbarError, RuntimeError):
    """pyarrow is not installed (``pip install 'akhbar[parquet]'``)."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote; ``cursor`` is the ``--after-id`` of the next incremental export."""

    count: int
    cursor: int
    format: str


def columns(include_duplicates: bool) -> list[str]:
    """The exported columns: those of ``article_feed`` (+ ``duplicates`` when asked for)."""
    return [*FEED_COLUMNS, "duplicates"] if include_duplicates else list(FEED_COLUMNS)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def json_record(article: FeedArticle, include_duplicates: bool) -> dict[str, Any]:
    """The JSON object of one article (timestamps as ISO 8601 with a UTC offset)."""
    record = {name: getattr(article, name) for name in FEED_COLUMNS}
    for name in _TIME_COLUMNS:
        record[name] = _iso(record[name])
    if include_duplicates:
        record["duplicates"] = [d.as_dict(iso_dates=True) for d in article.duplicates]
    return record


@contextlib.contextmanager
def _text_out(out: IO[bytes], encoding: str, newline: str) -> Iterator[io.TextIOWrapper]:
    """``out`` written as text; flushed at the end and handed back open (the caller owns it)."""
    text = io.TextIOWrapper(out, encoding=encoding, newline=newline)
    try:
        yield text
        text.flush()
    finally:
        text.detach()


def _write_jsonl(
    rows: Iterator[FeedArticle], out: IO[bytes], include_duplicates: bool, tick: Callable[[], None]
) -> int:
    count = 0
    with _text_out(out, "utf-8", "\n") as text:
        for article in rows:
            text.write(json.dumps(json_record(article, include_duplicates), ensure_ascii=False))
            text.write("\n")
            count += 1
            tick()
    return count


def _write_csv(
    rows: Iterator[FeedArticle],
    out: IO[bytes],
    include_duplicates: bool,
    bom: bool,
    tick: Callable[[], None],
) -> int:
    count = 0
    with _text_out(out, "utf-8-sig" if bom else "utf-8", "") as text:
        writer = csv.writer(text, lineterminator="\r\n")
        names = columns(include_duplicates)
        writer.writerow(names)
        for article in rows:
            record = json_record(article, include_duplicates)
            for name in (*_LIST_COLUMNS, "duplicates"):
                if name in record:  # lists as JSON text in one cell
                    record[name] = json.dumps(record[name], ensure_ascii=False)
            writer.writerow(["" if record[n] is None else record[n] for n in names])
            count += 1
            tick()
    return count


def parquet_schema(include_duplicates: bool) -> Any:
    """The Arrow schema of a Parquet export (UTC timestamps in microseconds)."""
    try:
        import pyarrow as pa
    except ImportError as exc:
        raise ParquetUnavailable(
            "parquet export needs pyarrow: pip install 'akhbar[parquet]'"
        ) from exc
    ts = pa.timestamp("us", tz="UTC")
    types = {
        "id": pa.int64(),
        "word_count": pa.int32(),
        "crawl_run_id": pa.int64(),
        "duplicate_count": pa.int32(),
        **{name: pa.list_(pa.string()) for name in _LIST_COLUMNS},
        **{name: ts for name in _TIME_COLUMNS},
    }
    fields = [pa.field(name, types.get(name, pa.string())) for name in FEED_COLUMNS]
    if include_duplicates:
        dup = pa.struct(
            [
                ("url", pa.string()),
                ("source", pa.string()),
                ("kind", pa.string()),
                ("similarity", pa.float64()),
                ("containment", pa.float64()),
                ("title", pa.string()),
                ("published_at", ts),
                ("detected_at", ts),
            ]
        )
        fields.append(pa.field("duplicates", pa.list_(dup)))
    return pa.schema(fields)


def _write_parquet(
    rows: Iterator[FeedArticle], out: IO[bytes], include_duplicates: bool, tick: Callable[[], None]
) -> int:
    schema = parquet_schema(include_duplicates)
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for article in rows:
            record = {name: getattr(article, name) for name in FEED_COLUMNS}
            if include_duplicates:
                record["duplicates"] = [
                    {
                        "url": d.url,
                        "source": d.source,
                        "kind": d.kind,
                        "similarity": d.similarity,
                        "containment": d.containment,
                        "title": d.title,
                        "published_at": d.published_at,
                        "detected_at": d.detected_at,
                    }
                    for d in article.duplicates
                ]
            batch.append(record)
            count += 1
            tick()
            if len(batch) >= _PARQUET_BATCH:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                batch = []
        if batch or count == 0:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
    return count


def export_articles(
    engine: Engine,
    filters: FeedFilter,
    fmt: ExportFormat,
    out: IO[bytes],
    *,
    bom: bool = False,
    chunk: int = 1000,
    on_total: Callable[[int], None] | None = None,
    on_row: Callable[[], None] | None = None,
) -> ExportSummary:
    """Write the articles after ``filters.after_id`` up to the safe cursor bound to ``out``.

    ``on_total`` (when given) receives the row count first (one extra ``COUNT`` query, for a
    progress bar); ``on_row`` is called after each row written.
    """
    if fmt is ExportFormat.PARQUET:
        parquet_schema(filters.include_duplicates)  # fail before reading anything
    bound = max(read_bound(engine), filters.after_id)
    tick = on_row or _nothing
    with engine.connect() as conn:
        if on_total is not None:
            on_total(count_feed(conn, filters, bound))
        rows = iter_feed(conn, filters, bound, chunk=chunk)
        if fmt is ExportFormat.JSONL:
            count = _write_jsonl(rows, out, filters.include_duplicates, tick)
        elif fmt is ExportFormat.CSV:
            count = _write_csv(rows, out, filters.include_duplicates, bom, tick)
        else:
            count = _write_parquet(rows, out, filters.include_duplicates, tick)
    out.flush()
    return ExportSummary(count=count, cursor=bound, format=fmt.value)


def _nothing() -> None:
    return None
