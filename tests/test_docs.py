"""Documentation that users rely on cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from click import Command, Group

from akhbar.cli import cli
from akhbar.seeds import Politeness, SourceConfig
from akhbar.storage.models import Base

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC_FILES = [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]
# options of the `akhbar` group itself that take a value (`akhbar --db URL crawl`)
GLOBAL_VALUE_OPTIONS = {"--db", "--seeds", "--log-level"}
# a command line: `akhbar ...`, maybe after a prompt and environment variables
COMMAND_LINE = re.compile(r"\s*(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*akhbar\s+(.*)")


def test_every_column_is_documented_in_schema_md() -> None:
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `(\w+)`.*?\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    for table in Base.metadata.sorted_tables:
        assert table.name in sections, f"table {table.name} missing from docs/schema.md"
        documented = set(re.findall(r"^\| `(\w+)` \|", sections[table.name], re.M))
        assert documented == {c.name for c in table.columns}, table.name


def test_the_consumer_view_is_documented_column_by_column() -> None:
    from akhbar.storage.reader_cursor import FEED_COLUMNS

    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    section = re.search(r"^## `article_feed`.*?\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "article_feed missing from docs/schema.md"
    assert re.findall(r"^\| `(\w+)` \|", section.group(1), re.M) == list(FEED_COLUMNS)
    reading = (DOCS / "reading.md").read_text(encoding="utf-8")
    for name in ("article_feed", "--after-id", "read_articles", "pg_locks"):
        assert name in reading, name


def test_every_seeds_key_is_documented() -> None:
    text = (DOCS / "seeds.md").read_text(encoding="utf-8")
    for key in SourceConfig.model_fields:
        assert f"`{key}`" in text, key
    for key in Politeness.model_fields:
        assert f"`politeness.{key}`" in text, key


def _documented_command_lines() -> list[tuple[str, list[str]]]:
    """Each ``akhbar ...`` command line of README.md and docs/*.md: in a code block (fenced or
    indented) or inline code. Gives where it is and its words up to a ``#`` comment."""
    found = []
    for path in DOC_FILES:
        in_fence = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                continue
            in_code = in_fence or line.startswith("    ")
            for snippet in [line] if in_code else re.findall(r"`([^`]+)`", line):
                match = COMMAND_LINE.match(snippet)
                if match:
                    words = match.group(1).split("#")[0].split()
                    found.append((f"{path.name}:{number}", words))
    return found


def _resolve(words: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The command path a documented line runs (global options skipped), and its other words."""
    rest = list(words)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in GLOBAL_VALUE_OPTIONS and rest:
            rest.pop(0)
    path: tuple[str, ...] = ()
    node: Command | None = cli
    while isinstance(node, Group) and rest and not rest[0].startswith(("-", "[")):
        path = (*path, rest.pop(0))
        node = node.commands.get(path[-1])
    return path, rest


def test_every_command_has_help(cli_commands: dict[tuple[str, ...], Command]) -> None:
    for path, command in cli_commands.items():
        assert command.help, f"akhbar {' '.join(path)} has no help text"


def test_every_command_is_documented(cli_commands: dict[tuple[str, ...], Command]) -> None:
    """Each command and subcommand appears as an ``akhbar ...`` line in README.md or docs/."""
    documented = {_resolve(words)[0] for _, words in _documented_command_lines()}
    for path in cli_commands:
        assert any(d[: len(path)] == path for d in documented), (
            f"`akhbar {' '.join(path)}` is not in README.md or docs/*.md"
        )


def test_every_documented_command_and_option_exists(
    cli_commands: dict[tuple[str, ...], Command],
) -> None:
    """A documented ``akhbar ...`` line names a real command, and only options it has."""
    lines = _documented_command_lines()
    assert len(lines) > 20  # the scan found the docs' command lines
    for where, words in lines:
        path, rest = _resolve(words)
        if not path:  # `akhbar --version`
            continue
        command = cli_commands.get(path)
        assert command is not None, f"{where}: no command `akhbar {' '.join(path)}`"
        options = {"--help", *(o for p in command.params for o in (*p.opts, *p.secondary_opts))}
        for word in rest:
            option = word.strip("[]").split("=")[0]
            if option.startswith("--"):
                assert option in options, f"{where}: `akhbar {' '.join(path)}` has no {option}"


def test_every_health_threshold_is_documented() -> None:
    from akhbar.settings import HealthSettings

    text = (DOCS / "deploy.md").read_text(encoding="utf-8")
    for key in HealthSettings.model_fields:
        assert f"`AKHBAR_HEALTH__{key.upper()}`" in text, key
