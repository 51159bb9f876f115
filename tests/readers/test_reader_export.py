"""`akhbar export` on SQLite and PostgreSQL: every format, filters, cursor, UTF-8 Arabic."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import STORIES, Corpus

from akhbar.cli import cli
from akhbar.storage import Repository
from akhbar.storage.reader_cursor import FEED_COLUMNS


def export(corpus: Corpus, *args: str) -> tuple[bytes, str]:
    result = CliRunner().invoke(cli, ["--db", corpus.url, "export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes, result.stderr


def test_jsonl_is_utf8_arabic_with_every_column(corpus: Corpus) -> None:
    out, err = export(corpus, "--format", "jsonl", "--include-duplicates")
    assert "\\u06" not in out.decode("utf-8")  # Arabic as is, not escaped
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    assert [r["id"] for r in records] == corpus.ids
    assert list(records[0]) == [*FEED_COLUMNS, "duplicates"]
    assert records[0]["title"] == STORIES[0][3] and records[0]["text"] == STORIES[0][4]
    assert records[0]["published_at"] == "2026-01-05T09:30:00+00:00"
    assert records[0]["duplicates"][0]["url"] == "http://beta.test/copy/0"
    assert records[3]["published_at"] is None
    assert f"cursor {corpus.ids[-1]}" in err


def test_csv_with_bom_round_trips(corpus: Corpus) -> None:
    out, _ = export(corpus, "--format", "csv", "--bom", "--language", "ar")
    assert out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert [int(r["id"]) for r in rows] == [corpus.ids[0], corpus.ids[1], corpus.ids[3]]
    assert rows[1]["text"] == STORIES[1][4]  # multi-line Arabic text in one cell
    assert json.loads(rows[0]["tags"]) == ["اقتصاد", "نفط"]
    assert rows[0]["duplicate_count"] == "1"
    plain, _ = export(corpus, "--format", "csv", "--source", "beta")
    assert not plain.startswith(b"\xef\xbb\xbf") and plain.count(b"\r\n") == 3


def test_parquet_file_with_filters(corpus: Corpus, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    export(corpus, "--format", "parquet", "--since", "2026-02-01", "--out", str(target))
    assert not (tmp_path / "out.parquet.part").exists()
    table = pq.read_table(target)
    assert table.column_names == list(FEED_COLUMNS)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == corpus.ids[1:3]
    assert rows[0]["title"] == STORIES[1][3]
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    dupes = tmp_path / "d.parquet"
    export(corpus, "--format", "parquet", "--include-duplicates", "--out", str(dupes))
    assert pq.read_table(dupes).to_pylist()[0]["duplicates"][0]["kind"] == "near"


def test_cursor_file_makes_exports_incremental(fresh_corpus: Corpus, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor"
    first, _ = export(fresh_corpus, "--cursor-file", str(cursor))
    assert len(first.splitlines()) == 4 and cursor.read_text().strip() == str(fresh_corpus.ids[-1])
    empty, _ = export(fresh_corpus, "--cursor-file", str(cursor))
    assert empty == b""
    writer = Repository(fresh_corpus.engine).writer()
    from conftest import story_record

    new_id = writer.add_article("beta", None, story_record(2, "http://beta.test/n"), "n", b"m")
    writer.commit()
    writer.close()
    later, _ = export(fresh_corpus, "--cursor-file", str(cursor))
    assert [json.loads(line)["id"] for line in later.splitlines()] == [new_id]
    again, _ = export(fresh_corpus, "--after-id", str(fresh_corpus.ids[1]), "--format", "jsonl")
    assert len(again.splitlines()) == 3


@pytest.mark.slow  # a `python -m akhbar` process
def test_parquet_to_a_pipe_and_errors(corpus: Corpus, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "akhbar", "--db", corpus.url, "export", "--format", "parquet"]
    proc = subprocess.run([*cmd, "--language", "en"], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "p.parquet").write_bytes(proc.stdout)
    assert pq.read_table(tmp_path / "p.parquet").num_rows == 1
    result = CliRunner().invoke(cli, ["--db", corpus.url, "export", "--bom"])
    assert result.exit_code != 0 and "--bom" in result.output
