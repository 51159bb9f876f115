"""The options several commands share (akhbar.cli_options) and the source names they resolve:
one spelling, one parser, one message on every command."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from akhbar.cli import cli
from akhbar.cli_options import DAY, MOMENT, echo_json
from akhbar.seeds import UnknownSource, check_known

MOMENT_ERROR = (
    "Error: Invalid value for '--since': not a date: 'yesterday' "
    "(use YYYY-MM-DD or ISO 8601, UTC if no zone)"
)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def lines(result: Any) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """Two valid sources and a seeds file that does not validate."""
    directory = tmp_path / "seeds"
    directory.mkdir()
    for name in ("beta", "alpha"):
        (directory / f"{name}.toml").write_text(
            f'name = "{name}"\nhome_url = "http://{name}.test/"\nfeeds = ["http://{name}.test/rss"]\n',
            encoding="utf-8",
        )
    (directory / "broken.toml").write_text(  # one problem: its feed is not a URL
        'name = "broken"\nhome_url = "http://broken.test/"\nfeeds = ["x"]\n', encoding="utf-8"
    )
    return directory


# -- --since ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["export"],
        ["search", "النفط"],
        ["reprocess"],
        ["reprocess", "alpha"],
    ],
    ids=lambda args: " ".join(args),
)
def test_a_bad_since_is_one_usage_error_the_same_on_every_command(
    args: list[str], sqlite_url: str, seeds: Path
) -> None:
    result = run("--db", sqlite_url, "--seeds", str(seeds), *args, "--since", "yesterday")
    assert result.exit_code == 2, result.output
    assert lines(result)[-1] == MOMENT_ERROR, result.output
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # refused before any work


@pytest.mark.parametrize(
    ("option", "value"),
    [("--since", "yesterday"), ("--since", "2024-03-01T10:00"), ("--until", "2024-02-30")],
)
def test_backfill_wants_days_and_says_so_the_same_way(
    option: str, value: str, sqlite_url: str, seeds: Path
) -> None:
    args = ["--db", sqlite_url, "--seeds", str(seeds), "backfill", "alpha", option, value]
    if option == "--until":
        args += ["--since", "2024-02-01"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert lines(result)[-1] == (
        f"Error: Invalid value for '{option}': not a day: '{value}' (use YYYY-MM-DD, UTC)"
    )


def test_every_since_and_json_option_is_the_shared_one(
    cli_commands: dict[tuple[str, ...], click.Command],
) -> None:
    seen = {"--since": 0, "--json": 0}
    for path, command in cli_commands.items():
        for param in command.params:
            if "--since" in param.opts:
                seen["--since"] += 1
                assert param.type in (MOMENT, DAY), path
            if "--json" in param.opts:
                seen["--json"] += 1
                assert isinstance(param, click.Option) and param.is_flag, path
                assert param.name == "as_json" and (param.help or "").startswith("Print "), path
    assert seen["--since"] >= 4 and seen["--json"] >= 10, seen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        (" 2024-03-01 ", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01T12:30", datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("2024-03-01 12:30Z", datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("2024-03-01T12:30+02:00", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 12:30:00 +0200", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ("", None),
    ],
)
def test_since_reads_dates_times_and_feed_times_as_utc(text: str, expected: Any) -> None:
    value = MOMENT.convert(text, None, None)
    assert value == expected
    assert value is None or value.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["yesterday", "2024-02-30", "03/01/2024"])
def test_since_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(click.BadParameter, match=f"not a date: '{text}'"):
        MOMENT.convert(text, None, None)


def test_a_day_is_an_iso_date() -> None:
    assert DAY.convert("2024-03-01", None, None) == date(2024, 3, 1)
    assert DAY.convert("20240301", None, None) == date(2024, 3, 1)
    with pytest.raises(click.BadParameter, match="not a day: ''"):
        DAY.convert("", None, None)


# -- --json ----------------------------------------------------------------------------------
@dataclass
class _Found:
    title: str
    at: datetime


def test_echo_json_keeps_arabic_and_writes_times_as_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    echo_json([_Found("أسعار النفط", datetime(2026, 4, 1, 8, 30, tzinfo=UTC))])
    out = capsys.readouterr().out
    assert "أسعار النفط" in out
    assert json.loads(out) == [{"title": "أسعار النفط", "at": "2026-04-01 08:30:00+00:00"}]


def test_json_outputs_parse(sqlite_url: str, seeds: Path, tmp_path: Path) -> None:
    assert run("--db", sqlite_url, "db", "upgrade").exit_code == 0
    base = ["--db", sqlite_url, "--seeds", str(seeds)]
    result = run(*base, "runs", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    result = run(*base, "stats", "--syndicated", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    result = run(*base, "health", "--json")  # exit 1: two sources never run, a broken seed
    report = json.loads(result.stdout)
    assert [(h["source"], h["status"]) for h in report] == [
        ("alpha", "never run"),
        ("beta", "never run"),
    ]
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>قصير</p></body></html>", encoding="utf-8")
    result = run("extract", str(page), "--json")
    assert result.exit_code == 2 and "rejected" in json.loads(result.stdout)


# -- source names ----------------------------------------------------------------------------
UNKNOWN = "error: unknown or invalid source(s): nosuch, broken (known in the seeds: alpha, beta)"


@pytest.mark.parametrize(
    "args",
    [
        ["crawl", "alpha", "nosuch", "broken"],
        ["reprocess", "nosuch", "broken", "alpha"],
    ],
    ids=lambda args: args[0],
)
def test_unknown_sources_are_one_line_naming_the_known_ones(
    args: list[str], sqlite_url: str, seeds: Path
) -> None:
    result = run("--db", sqlite_url, "--seeds", str(seeds), *args)
    assert result.exit_code == 1, result.output
    skipped, error = lines(result)
    assert skipped.startswith("skipped: ") and "broken.toml" in skipped
    assert error == UNKNOWN


@pytest.mark.parametrize(
    "args",
    [
        ["backfill", "nosuch", "--since", "2024-03-01"],
        ["backfill", "--urls", "-", "--source", "nosuch"],
        ["backfill", "--warc", "{warc}", "--source", "nosuch"],
    ],
    ids=["window", "urls", "warc"],
)
def test_backfill_names_one_known_source(
    args: list[str], sqlite_url: str, seeds: Path, tmp_path: Path
) -> None:
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"")
    args = [a.format(warc=warc) for a in args]
    result = CliRunner().invoke(
        cli, ["--db", sqlite_url, "--seeds", str(seeds), *args], input="http://alpha.test/1\n"
    )
    assert result.exit_code == 1, result.output
    assert lines(result)[-1] == (
        "error: unknown or invalid source(s): nosuch (known in the seeds: alpha, beta)"
    )


def test_health_names_the_sources_of_seeds_and_database(sqlite_url: str, seeds: Path) -> None:
    assert run("--db", sqlite_url, "db", "upgrade").exit_code == 0
    result = run("--db", sqlite_url, "--seeds", str(seeds), "health", "alpha", "nosuch")
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "error: unknown or invalid source(s): nosuch "
        "(known in the seeds or the database: alpha, beta)"
    )


def test_a_long_list_of_known_sources_is_cut_short() -> None:
    known = [f"site{i:02}" for i in range(25)]
    with pytest.raises(UnknownSource) as raised:
        check_known(["nosuch", "site03", "nosuch"], known)
    assert str(raised.value) == (
        "unknown or invalid source(s): nosuch (known in the seeds: "
        + ", ".join(known[:20])
        + " and 5 more (see `akhbar seeds list`))"
    )
