"""Table and column descriptions for the dashboard, taken from docs/schema.md.

docs/schema.md is the one description of the schema (a test checks it against the models).
An installed akhbar has no docs/ folder, so the descriptions travel in the package as
``schema_descriptions.json``, generated from it by ``python -m akhbar.dashboard.descriptions``;
a test fails when the two disagree.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

GENERATED = "schema_descriptions.json"

_HEADING = re.compile(r"^## (?P<title>.+)$")
_NAMED_HEADING = re.compile(r"^`(?P<name>[a-z_]+)` — (?P<tagline>.+)$")
_ROW = re.compile(
    r"^\| `(?P<column>[a-z_]+)` \| (?P<type>[^|]+) \| (?P<null>[^|]+) \| (?P<meaning>.+) \|$"
)
_INTRODUCED_NAME = re.compile(r"`([a-z_]+)` \(")  # "`articles_fts` (SQLite FTS5; ..."


@dataclass
class TableDescription:
    """What docs/schema.md says about one table or view."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


def _plain(markdown: str) -> str:
    """Descriptions are shown as plain text: drop code ticks and bold markers."""
    return markdown.replace("`", "").replace("**", "").strip()


def parse_schema_doc(markdown: str) -> dict[str, TableDescription]:
    """Descriptions per table from the ``## `name` — tagline`` sections of docs/schema.md: the
    tagline and the paragraph before the column table, and each column's type and meaning.

    A section naming several tables in its heading (the search index tables) gives its first
    paragraph to each table its text names."""
    tables: dict[str, TableDescription] = {}
    sections: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading["title"], []))
        elif sections:
            sections[-1][1].append(line)
    for title, lines in sections:
        paragraphs = "\n".join(lines).split("\n\n")
        prose = [" ".join(p.split()) for p in paragraphs if p.strip() and p.lstrip()[:1] != "|"]
        named = _NAMED_HEADING.match(title)
        if named:
            before_table = []
            for paragraph in paragraphs:
                if paragraph.lstrip().startswith("|"):
                    break
                if paragraph.strip():
                    before_table.append(" ".join(paragraph.split()))
            text = named["tagline"] + (". " + " ".join(before_table) if before_table else "")
            table = TableDescription(_plain(text))
            for line in lines:
                row = _ROW.match(line.strip())
                if row:
                    null = "" if row["null"].strip() == "no" else ", may be null"
                    table.columns[row["column"]] = _plain(
                        f"{row['meaning']} ({row['type'].strip()}{null})"
                    )
            tables[named["name"]] = table
        elif prose and "tables" in title.lower():
            for name in _INTRODUCED_NAME.findall(prose[0]):
                tables.setdefault(name, TableDescription(_plain(prose[0])))
    return tables


def load_descriptions() -> dict[str, TableDescription]:
    """The descriptions shipped with the package (generated from docs/schema.md)."""
    raw = json.loads(resources.files("akhbar.dashboard").joinpath(GENERATED).read_text("utf-8"))
    return {name: TableDescription(**table) for name, table in raw.items()}


def render(tables: dict[str, TableDescription]) -> str:
    """The JSON text of ``schema_descriptions.json``."""
    data = {name: asdict(table) for name, table in sorted(tables.items())}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> None:
    """``python -m akhbar.dashboard.descriptions [docs/schema.md]``: regenerate the JSON."""
    source = Path(argv[0] if argv else "docs/schema.md")
    target = Path(__file__).with_name(GENERATED)
    target.write_text(render(parse_schema_doc(source.read_text("utf-8"))), "utf-8")
    print(f"wrote {target} from {source}")


if __name__ == "__main__":
    main(sys.argv[1:])
