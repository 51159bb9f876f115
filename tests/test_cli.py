"""The CLI over real inputs: exit codes, one-line errors, JSON outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from akhbar.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_db_upgrade_and_current(sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "db", "current")
    assert result.exit_code == 0 and "empty database" in result.output
    result = run("--db", sqlite_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    result = run("--db", sqlite_url, "db", "current")
    assert "up to date" in result.output


def test_bad_database_url_is_one_clear_line() -> None:
    result = run("--db", "mysql://x@y/z", "db", "current")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "unsupported database backend" in lines[0]
    assert "Traceback" not in result.output


def test_seeds_validate_reports_file_key_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "Bad Name"\nfeeds = ["x"]\n', encoding="utf-8")
    result = run("--seeds", str(tmp_path), "seeds", "validate")
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.toml'}:name: " in result.output
    assert f"{tmp_path / 'bad.toml'}:feeds[0]: not an http(s) URL" in result.output


def test_shipped_seeds_validate_and_list() -> None:
    result = run("--seeds", str(REPO_ROOT / "seeds"), "seeds", "validate")
    assert result.exit_code == 0, result.output
    result = run("--seeds", str(REPO_ROOT / "seeds"), "seeds", "list", "--json")
    names = {s["name"] for s in json.loads(result.output.splitlines()[-1])}
    assert "almaghribtoday" in names


def test_crawl_unknown_source_fails_cleanly(sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "--seeds", str(REPO_ROOT / "seeds"), "crawl", "nosuch")
    assert result.exit_code == 1 and "unknown or invalid source(s): nosuch" in result.output


def test_stats_on_empty_database_says_so(sqlite_url: str) -> None:
    from akhbar.storage import make_engine

    make_engine(sqlite_url).connect().close()  # an empty SQLite file (a missing one: refused)
    result = run("--db", sqlite_url, "stats")
    assert result.exit_code == 1 and "no akhbar schema" in result.output


def test_stats_json_after_upgrade(sqlite_url: str) -> None:
    run("--db", sqlite_url, "db", "upgrade")
    result = run("--db", sqlite_url, "stats", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_extract_missing_file() -> None:
    result = run("extract", "/nonexistent/page.html")
    assert result.exit_code == 1 and "no such file" in result.output
