"""What the CLI says when input is odd: user text printed as it is, refusals as one clear line,
nothing created or attempted behind the user's back."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from akhbar.cli import cli
from akhbar.records import Article, FetchedPage, PageOutcome
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.search import MAX_QUERY_WORDS


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def one_article(db_url: str, title: str) -> int:
    """A database holding one article titled ``title``, written by akhbar's own writer."""
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("alpha", "http://alpha.test/", ["ar"])
    writer = repo.writer()
    url = "http://alpha.test/news/1"
    record = Article(
        url=url,
        canonical_url=url,
        title=title,
        text="ارتفعت أسعار النفط اليوم في الأسواق العالمية بعد قرار خفض الإنتاج.",
        language="ar",
    )
    article_id = writer.add_article("alpha", None, record, "h1", b"m")
    assert article_id is not None
    page = FetchedPage(
        source="alpha",
        url=url,
        final_url=url,
        status=200,
        headers={},
        body=b"<html></html>",
        encoding="utf-8",
        fetched_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    writer.record_page(page, PageOutcome.ARTICLE, run_id=None, article_id=article_id)
    writer.commit()
    writer.close()
    engine.dispose()
    return article_id


# -- rich markup -----------------------------------------------------------------------------
def test_square_brackets_of_user_text_survive_in_errors_and_tables(
    tmp_path: Path, sqlite_url: str
) -> None:
    result = run("extract", str(tmp_path / "page[parquet].html"))
    assert result.exit_code == 1
    assert "no such file:" in result.output and "page[parquet].html" in result.output

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "odd.toml").write_text(
        'name = "odd"\nhome = "http://odd.test/"\nfeeds = ["http://odd.test/rss"]\n'
        'allow = ["[z-a]"]\n',
        encoding="utf-8",
    )
    result = run("--seeds", str(seeds), "seeds", "list")
    assert "[z-a]" in result.output, result.output

    article_id = one_article(sqlite_url, "[عاجل] أسعار النفط [z-a]")
    result = run("--db", sqlite_url, "search", "النفط")
    assert result.exit_code == 0, result.output
    assert "[عاجل]" in result.output and "[z-a]" in result.output
    result = run("--db", sqlite_url, "dupes", str(article_id))
    assert "[عاجل] أسعار النفط [z-a]" in result.output


# -- read-only commands on a missing SQLite file ---------------------------------------------
def test_read_only_commands_do_not_create_a_missing_database(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    url = f"sqlite:///{path}"
    for args in (
        ["stats"],
        ["export"],
        ["search", "خبر"],
        ["dupes", "1"],
        ["runs"],
        ["db", "check"],
    ):
        result = run("--db", url, *args)
        assert result.exit_code == 1, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [f"error: no database at {path} (check --db / AKHBAR_DATABASE_URL, or "
                         "crawl first)"], (args, lines)  # fmt: skip
        assert not path.exists(), args


# -- seeds validate --------------------------------------------------------------------------
def test_seeds_validate_on_a_folder_without_seeds_fails_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no seeds here\n", encoding="utf-8")
    result = run("--seeds", str(tmp_path), "seeds", "validate")
    assert result.exit_code == 1
    assert f"warning: no seeds files (*.toml) in {tmp_path}" in result.output
    assert "0 valid source(s), 0 problem(s)" in result.output


# -- crawl --distributed ---------------------------------------------------------------------
def test_distributed_crawl_on_sqlite_is_refused(sqlite_url: str, local_seeds: Path) -> None:
    result = run("--db", sqlite_url, "--seeds", str(local_seeds), "crawl", "--distributed", "--all")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "a distributed crawl needs PostgreSQL" in lines[0], lines
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


# -- export --after-id -----------------------------------------------------------------------
def test_export_after_id_beyond_64_bits_is_a_usage_error(sqlite_url: str) -> None:
    one_article(sqlite_url, "خبر")
    result = CliRunner().invoke(
        cli, ["--db", sqlite_url, "export", "--after-id", "99999999999999999999"]
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--after-id'" in result.output
    assert "OverflowError" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    result = run("--db", sqlite_url, "export", "--after-id", str(2**63 - 1))
    assert result.exit_code == 0 and "exported 0 article(s)" in result.output
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "dupes", "99999999999999999999"])
    assert result.exit_code == 2 and "Invalid value for 'ARTICLE_ID'" in result.output


# -- extract: the crawler's size limit -------------------------------------------------------
def test_extract_refuses_a_file_over_the_crawl_size_limit(tmp_path: Path) -> None:
    page = tmp_path / "big.html"
    paragraph = "<p>" + "خبر عاجل عن أسعار النفط في الأسواق العالمية. " * 20 + "</p>\n"
    page.write_text(f"<html><body><article>{paragraph * 40}</article></body></html>")
    size = page.stat().st_size
    env = {"AKHBAR_CRAWL__MAX_RESPONSE_BYTES": str(size - 1)}
    result = run("extract", str(page), env=env)
    assert result.exit_code == 1
    assert f"too_large: {page} is {size:,} bytes, over the crawler's limit of {size - 1:,}" in (
        result.output
    )
    result = run("extract", str(page), env={"AKHBAR_CRAWL__MAX_RESPONSE_BYTES": str(size)})
    assert result.exit_code in (0, 2) and "too_large" not in result.output


def test_extract_refuses_a_download_over_the_crawl_size_limit(local_web: Any) -> None:
    site = local_web.sites[0]
    result = run("extract", site.base_url + "/", env={"AKHBAR_CRAWL__MAX_RESPONSE_BYTES": "1024"})
    assert result.exit_code == 1
    assert "too_large: " in result.output and "limit of 1,024 bytes" in result.output


# -- search: query length --------------------------------------------------------------------
def test_search_refuses_an_overlong_query(migrated_db_url: str) -> None:
    db_url = migrated_db_url
    one_article(db_url, "أسعار النفط")
    words = ["النفط"] * (MAX_QUERY_WORDS + 1)
    result = run("--db", db_url, "search", " ".join(words))
    assert result.exit_code == 1
    assert f"search query too long: {MAX_QUERY_WORDS + 1} words (at most {MAX_QUERY_WORDS})" in (
        result.output
    )
    result = run("--db", db_url, "search", "ن" * 5000)
    assert result.exit_code == 1 and "5,000 characters (at most 1,000)" in result.output
    result = run("--db", db_url, "search", " ".join(words[:MAX_QUERY_WORDS]), "--json")
    assert result.exit_code == 0 and '"source": "alpha"' in result.output


@pytest.mark.slow  # a `python -m akhbar` process
def test_the_install_hint_keeps_its_brackets(sqlite_url: str, tmp_path: Path) -> None:
    """Without pyarrow, `export --format parquet` says what to install, brackets included."""
    one_article(sqlite_url, "خبر")
    code = "import sys; sys.modules['pyarrow'] = None; from akhbar.cli import main; main()"
    out = tmp_path / "a.parquet"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "--db",
            sqlite_url,
            "export",
            "--format",
            "parquet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "pip install 'akhbar[parquet]'" in proc.stderr, proc.stderr
    assert not out.exists()
