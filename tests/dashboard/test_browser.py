"""The dashboard in a real headless browser (Debian's chromium): the pages render and the
chart is drawn by its JavaScript."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from browser import chromium_or_skip, dump_dom, screenshot
from dashboard_server import Served

pytestmark = pytest.mark.browser

SOURCES = ("najmagency", "sahilgate", "wahanews")


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


def test_health_page(chromium: str, dashboard: Served) -> None:
    dom = dump_dom(chromium, f"{dashboard.url}/akhbar/source_health")
    cells = re.findall(r'<td class="col-source[^"]*">\s*([^<\s]+)\s*</td>', dom)
    assert sorted(cells) == list(SOURCES)
    assert "Source health" in dom


def test_search_page_finds_another_spelling(chromium: str, dashboard: Served) -> None:
    query = urllib.parse.quote_plus("اسعار السمك")  # the title writes أسعار
    dom = dump_dom(chromium, f"{dashboard.url}/akhbar/search?q={query}")
    assert "أسعار السمك ترتفع في أسواق المدن الساحلية" in dom
    assert "returning 1 row" in dom


def test_articles_per_day_chart_is_drawn(chromium: str, dashboard: Served) -> None:
    dom = dump_dom(chromium, f"{dashboard.url}/-/dashboards/akhbar")
    # vega renders each chart as an SVG of marks once its data was fetched
    charts = re.findall(r'<svg[^>]*class="marks"', dom)
    assert len(charts) == 2, "both per-day charts drawn"
    bars = re.findall(r'aria-roledescription="bar"', dom)
    assert len(bars) >= 3, "a bar per source"
    for source in SOURCES:
        assert source in dom  # the legend


def test_screenshots(chromium: str, dashboard: Served, tmp_path: Path) -> None:
    for page in ("akhbar/source_health", "-/dashboards/akhbar"):
        png = screenshot(chromium, f"{dashboard.url}/{page}", tmp_path / "page.png")
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 10_000  # not a blank page
