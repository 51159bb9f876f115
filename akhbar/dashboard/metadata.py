"""The datasette metadata of ``akhbar serve``: descriptions, facets, canned queries, charts.

One database, named ``akhbar`` whatever its file is called, so the pages' addresses
(``/akhbar/source_health``, ``/-/dashboards/akhbar``) are the same on every installation.
"""

from __future__ import annotations

from typing import Any

from akhbar.dashboard.descriptions import load_descriptions
from akhbar.dashboard.queries import CANNED_QUERIES

DATABASE = "akhbar"
DASHBOARD = "akhbar"

# Tables a reader has no use for on the dashboard: the search index (queried through the
# `search` canned query), Alembic's and APScheduler's bookkeeping.
HIDDEN_TABLES = ("articles_fts", "article_search", "alembic_version", "apscheduler_jobs")

FACETS: dict[str, list[str]] = {
    "articles": ["source", "language", "status"],
    "article_feed": ["source", "language", "status"],
    "pages": ["source", "outcome", "http_status"],
    "duplicates": ["source", "kind"],
    "crawl_runs": ["source", "status", "kind"],
    "discovery_urls": ["source", "http_status"],
    "boilerplate_lines": ["source"],
}
SORT_DESC = {
    "articles": "id",
    "article_feed": "id",
    "pages": "last_fetched_at",
    "duplicates": "id",
    "crawl_runs": "id",
}

_SOURCE_FILTER = "[[ AND source = :source ]]"


def _vega_bars(x_type: str, title: str) -> dict[str, Any]:
    """A vega-lite stacked bar chart of ``articles`` per ``day``, one colour per source
    (``x_type``: ``ordinal`` gives each day a bar of its own, ``temporal`` a time scale)."""
    x: dict[str, Any] = {"field": "day", "type": x_type, "title": title}
    if x_type == "temporal":
        x["timeUnit"] = "yearmonthdate"
    return {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": x,
            "y": {"field": "articles", "type": "quantitative", "aggregate": "sum"},
            "color": {"field": "source", "type": "nominal", "title": "source"},
        },
    }


def dashboards() -> dict[str, Any]:
    """datasette-dashboards' configuration: counters and articles per day per source."""

    def metric(title: str, sql: str) -> dict[str, Any]:
        return {
            "title": title,
            "db": DATABASE,
            "query": sql,
            "library": "metric",
            "display": {"field": "n"},
        }

    return {
        DASHBOARD: {
            "title": "akhbar: articles per day",
            "description": "Articles stored and published per day, by source.",
            "layout": [
                ["articles", "duplicates", "runs"],
                ["stored-per-day", "stored-per-day", "stored-per-day"],
                ["published-per-day", "published-per-day", "published-per-day"],
            ],
            "filters": {
                "source": {
                    "name": "Source",
                    "type": "select",
                    "db": DATABASE,
                    "query": "SELECT name FROM sources ORDER BY name",
                },
            },
            "charts": {
                "articles": metric(
                    "Active articles",
                    f"SELECT count(*) AS n FROM articles WHERE status = 'active' {_SOURCE_FILTER}",
                ),
                "duplicates": metric(
                    "Copies found",
                    f"SELECT count(*) AS n FROM duplicates WHERE TRUE {_SOURCE_FILTER}",
                ),
                "runs": metric(
                    "Runs",
                    f"SELECT count(*) AS n FROM crawl_runs WHERE TRUE {_SOURCE_FILTER}",
                ),
                "stored-per-day": {
                    "title": "Articles stored per day per source",
                    "db": DATABASE,
                    "query": (
                        "SELECT date(created_at) AS day, source, count(*) AS articles "
                        f"FROM articles WHERE TRUE {_SOURCE_FILTER} GROUP BY 1, 2 ORDER BY 1, 2"
                    ),
                    "library": "vega-lite",
                    "display": _vega_bars("ordinal", "stored (UTC day)"),
                },
                "published-per-day": {
                    "title": "Articles published per day per source",
                    "db": DATABASE,
                    "query": (
                        "SELECT date(published_at) AS day, source, count(*) AS articles "
                        "FROM articles WHERE published_at IS NOT NULL "
                        f"{_SOURCE_FILTER} GROUP BY 1, 2 ORDER BY 1, 2"
                    ),
                    "library": "vega-lite",
                    "display": _vega_bars("temporal", "published (UTC day)"),
                },
            },
        }
    }


def metadata() -> dict[str, Any]:
    """The whole datasette metadata document."""
    tables: dict[str, dict[str, Any]] = {}
    for name, table in load_descriptions().items():
        entry: dict[str, Any] = {"description": table.description, "columns": table.columns}
        if name in FACETS:
            entry["facets"] = FACETS[name]
        if name in SORT_DESC:
            entry["sort_desc"] = SORT_DESC[name]
        tables[name] = entry
    for name in HIDDEN_TABLES:
        tables.setdefault(name, {})["hidden"] = True
    links = " · ".join(f'<a href="/{DATABASE}/{q.name}">{q.title}</a>' for q in CANNED_QUERIES)
    return {
        "title": "akhbar",
        "description_html": (
            "Read-only view of the akhbar database. "
            f'<a href="/-/dashboards/{DASHBOARD}">Articles per day</a> · {links}'
        ),
        "databases": {
            DATABASE: {
                "description": "akhbar's corpus and crawl history (tables: docs/schema.md).",
                "tables": tables,
                "queries": {q.name: q.metadata() for q in CANNED_QUERIES},
            }
        },
        "plugins": {"datasette-dashboards": dashboards()},
    }
