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


def _per_day(
    date_column: str, title: str, mark: dict[str, Any], x_type: str, window_days: int
) -> dict[str, Any]:
    """A chart of articles per UTC day of ``date_column``, one colour per source, within the
    dashboard's filters (``x_type``: ``ordinal``, a band per day that has articles, or
    ``temporal``, a time scale).

    Without a "From" day it shows the ``window_days`` up to the newest value of the column: a
    chart of every day of a years-old corpus would read every article (past datasette's time
    limit) for bars too thin to see; the index on the column finds the window's rows."""
    day = f"date({date_column})"
    x: dict[str, Any] = {"field": "day", "type": x_type, "title": "UTC day"}
    x["axis"] = {"labelAngle": 0}
    if x_type == "temporal":
        x["timeUnit"] = "yearmonthdate"
    newest = f"SELECT date(max({date_column}), '-{window_days - 1} days') FROM articles"
    return {
        "title": f"{title} (the last {window_days} days unless From is set)",
        "db": DATABASE,
        "query": (
            f"SELECT {day} AS day, source, count(*) AS articles FROM articles "
            f"WHERE {date_column} >= coalesce(nullif(:since, ''), ({newest})) "
            f"{_SOURCE_FILTER} [[ AND {day} <= :until ]] GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        "library": "vega-lite",
        "display": {
            "mark": {**mark, "tooltip": True},
            "encoding": {
                "x": x,
                "y": {
                    "field": "articles",
                    "type": "quantitative",
                    "aggregate": "sum",
                    "title": "articles",
                },
                "color": {"field": "source", "type": "nominal", "title": "source"},
            },
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
                "since": {"name": "From (day)", "type": "date"},
                "until": {"name": "To (day)", "type": "date"},
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
                # stacked bars for the crawler's days; points for publication days, which
                # spread over years (one day's bar would be a hairline on that axis)
                "stored-per-day": _per_day(
                    "created_at",
                    "Articles stored per day per source",
                    {"type": "bar"},
                    "ordinal",
                    window_days=90,
                ),
                "published-per-day": _per_day(
                    "published_at",
                    "Articles published per day per source",
                    {"type": "point", "filled": True, "size": 80},
                    "temporal",
                    window_days=365,
                ),
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
                "description_html": (
                    "akhbar's corpus and crawl history (tables: docs/schema.md), read-only. "
                    f'Charts: <a href="/-/dashboards/{DASHBOARD}">articles per day</a>.'
                ),
                "tables": tables,
                "queries": {q.name: q.metadata() for q in CANNED_QUERIES},
            }
        },
        "plugins": {"datasette-dashboards": dashboards()},
    }
