"""`akhbar serve`: the datasette dashboard's pages, queries and read-only guarantee, over HTTP
against a real server process on the demo database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dashboard_server import Served

from akhbar.cli import cli
from akhbar.dashboard.descriptions import GENERATED, parse_schema_doc, render
from akhbar.dashboard.metadata import DATABASE, metadata
from akhbar.storage.models import Base
from akhbar.storage.reader_cursor import FEED_COLUMNS

REPO = Path(__file__).resolve().parents[2]
DEMO_SOURCES = {"najmagency", "sahilgate", "wahanews"}


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
        return body.decode("utf-8")


def rows(served: Served, query: str, **params: str) -> list[dict[str, Any]]:
    qs = urllib.parse.urlencode({**params, "_shape": "array"})
    data: list[dict[str, Any]] = json.loads(get(f"{served.url}/{DATABASE}/{query}.json?{qs}"))
    return data


def test_descriptions_are_generated_from_schema_md() -> None:
    doc = (REPO / "docs" / "schema.md").read_text("utf-8")
    shipped = (REPO / "akhbar" / "dashboard" / GENERATED).read_text("utf-8")
    assert shipped == render(parse_schema_doc(doc)), (
        "docs/schema.md changed: run `python -m akhbar.dashboard.descriptions`"
    )


def test_every_table_and_column_has_its_description() -> None:
    tables = metadata()["databases"][DATABASE]["tables"]
    for table in Base.metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        assert tables[table.name]["description"], table.name
        assert set(tables[table.name]["columns"]) == {c.name for c in table.columns}
    assert list(tables["article_feed"]["columns"]) == list(FEED_COLUMNS)
    assert tables["articles"]["columns"]["text_hash"].startswith("SHA-256 hex of the normalised")
    assert tables["articles_fts"]["hidden"] is True


@pytest.mark.slow  # the demo crawl and an `akhbar serve` process
def test_health_page_names_the_three_sources(dashboard: Served) -> None:
    html = get(f"{dashboard.url}/{DATABASE}/source_health")
    for source in DEMO_SOURCES:
        assert source in html
    health = {r["source"]: r for r in rows(dashboard, "source_health", source="")}
    assert set(health) == DEMO_SOURCES
    # the local web's truth: najmagency has a 404 and a non-article page, wahanews a 404
    assert health["najmagency"]["top_reasons"] == "http_404 1, not_article 1"
    assert health["wahanews"]["failed_pct"] == 12.5
    # 19 stories; which of two sources stores the one they share depends on the crawl order
    assert sum(r["articles_24h"] for r in health.values()) == 19
    assert all(r["articles_7d"] == r["articles_24h"] > 0 for r in health.values())
    assert all(r["flag"] == "ok" and r["last_successful_run"] for r in health.values())
    only = rows(dashboard, "source_health", source="wahanews")
    assert [r["source"] for r in only] == ["wahanews"]


@pytest.mark.slow
def test_runs_failures_and_duplicate_clusters(dashboard: Served) -> None:
    runs = rows(dashboard, "recent_runs", source="")
    assert {r["source"] for r in runs} == DEMO_SOURCES
    by_source = {r["source"]: r for r in runs}
    assert by_source["najmagency"]["failures_by_reason"] == "http_404 1, not_article 1"
    assert by_source["sahilgate"]["failures_by_reason"] is None
    failures = rows(dashboard, "failures_by_reason", source="najmagency")
    assert {(r["outcome"], r["reason"]) for r in failures} == {
        ("error", "http_404"),
        ("rejected", "not_article"),
    }
    # the local web's one syndicated story: najmagency republishes a sahilgate article (the
    # copy crawled first is stored, the other is its duplicate)
    clusters = rows(dashboard, "duplicate_clusters")
    assert len(clusters) == 1
    pair = {clusters[0]["first_source"], clusters[0]["republished_by"]}
    assert pair == {"sahilgate", "najmagency"}
    assert clusters[0]["copies"] == 1
    pairs = rows(dashboard, "republishing")
    assert [({p["original_source"], p["republished_by"]}, p["near"]) for p in pairs] == [
        ({"sahilgate", "najmagency"}, 1)
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "in_title"),
    [
        ("اسعار السمك", "أسعار السمك"),  # alef without hamza finds hamza-on-alef
        ("علي التوالي", "على التوالي"),  # yaa finds alef maqsura
        ("السَّمَك", "أسعار السمك"),  # diacritics ignored
    ],
)
def test_search_goes_through_akhbars_normaliser(
    dashboard: Served, query: str, in_title: str
) -> None:
    hits = rows(dashboard, "search", q=query)
    assert hits, query
    assert in_title in hits[0]["title"]
    assert query not in hits[0]["title"]
    assert hits[0]["snippet"]


@pytest.mark.slow
def test_empty_and_syntax_like_queries_find_nothing(dashboard: Served) -> None:
    assert rows(dashboard, "search", q="") == []
    assert rows(dashboard, "search", q='" OR *') == []


@pytest.mark.slow
def test_tables_have_facets(dashboard: Served) -> None:
    data = json.loads(get(f"{dashboard.url}/{DATABASE}/articles.json"))
    facet = {r["value"]: r["count"] for r in data["facet_results"]["source"]["results"]}
    assert set(facet) == DEMO_SOURCES
    assert sum(facet.values()) == 19
    assert facet["wahanews"] == 7  # shares no story


@pytest.mark.slow
def test_served_read_only_and_on_loopback(dashboard: Served, demo_db: Path) -> None:
    from akhbar.dashboard.serve import build_datasette

    ds = build_datasette(demo_db)
    database = ds.get_database(DATABASE)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly database"):
            asyncio.run(database.execute_write("DELETE FROM sources"))
    finally:
        database.close()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("SELECT count(*) FROM sources").fetchone() == (3,)
    sql = urllib.parse.urlencode({"sql": "DELETE FROM sources"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(f"{dashboard.url}/{DATABASE}.json?{sql}")
    assert refused.value.code == 400
    assert "Uvicorn running on http://127.0.0.1:" in dashboard.log.read_text()


def test_serve_refuses_postgresql_and_files_that_are_not_akhbar_databases(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", "postgresql://akhbar@127.0.0.1:9/none", "serve"])
    assert result.exit_code == 1
    assert "akhbar serve reads SQLite databases only" in result.output
    missing = tmp_path / "none.db"
    result = runner.invoke(cli, ["--db", f"sqlite:///{missing}", "serve"])
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = runner.invoke(cli, ["--db", f"sqlite:///{empty}", "serve"])
    assert result.exit_code == 1
    assert "has no akhbar schema" in result.output
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 100)
    result = runner.invoke(cli, ["--db", f"sqlite:///{notes}", "serve"])
    assert result.exit_code == 1
    assert "cannot read" in result.output
