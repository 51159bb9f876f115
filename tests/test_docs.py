"""Documentation that users rely on cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from click import Group

from akhbar.cli import cli
from akhbar.seeds import Politeness, SourceConfig
from akhbar.storage.models import Base

DOCS = Path(__file__).resolve().parents[1] / "docs"


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


def test_every_command_has_help() -> None:
    def walk(group: Group, prefix: str) -> None:
        for name, command in group.commands.items():
            assert command.help, f"{prefix}{name} has no help text"
            if isinstance(command, Group):
                walk(command, f"{prefix}{name} ")

    walk(cli, "akhbar ")


def test_every_health_threshold_is_documented() -> None:
    from akhbar.settings import HealthSettings

    text = (DOCS / "deploy.md").read_text(encoding="utf-8")
    for key in HealthSettings.model_fields:
        assert f"`AKHBAR_HEALTH__{key.upper()}`" in text, key
