"""Drive Debian's chromium headless: the DOM after the page's JavaScript ran, or a PNG.

``chromium --headless --dump-dom`` / ``--screenshot`` with a virtual-time budget: the page's
fetches and timers run before the DOM is taken, without a driver library. Also refreshes the
screenshots in docs/: ``python tests/dashboard/browser.py URL`` (see docs/deploy.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BUDGET_MS = 20_000  # virtual time: the page's requests and the chart's rendering finish first
SCREENSHOTS = {
    "dashboard-health.png": ("akhbar/source_health", "1280,620"),
    "dashboard-search.png": (
        "akhbar/search?q=%D8%A7%D8%B3%D8%B9%D8%A7%D8%B1+%D8%A7%D9%84%D8%B3%D9%85%D9%83",
        "1280,560",
    ),
    "dashboard-chart.png": ("-/dashboards/akhbar", "1280,1260"),
}


def chromium_or_skip() -> str:
    """The chromium executable; outside CI a missing one skips the test with the reason, in
    CI (where `make test` installs it) it fails the test."""
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (`make browser` or `apt-get install chromium`)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the browser tests")
        pytest.skip(f"{message}: browser tests skipped")
    return path


def _run(chromium: str, args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="akhbar-chromium-") as profile:
        return subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={BUDGET_MS}",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def dump_dom(chromium: str, url: str) -> str:
    """The page's DOM (HTML) after its scripts ran."""
    return _run(chromium, ["--dump-dom"], url).stdout


def screenshot(chromium: str, url: str, out: Path, size: str = "1280,800") -> Path:
    """A PNG of the page in a window of ``size`` ("width,height")."""
    _run(chromium, [f"--screenshot={out}", f"--window-size={size}"], url)
    return out


def main(base_url: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is not installed")
    for name, (path, size) in SCREENSHOTS.items():
        out = screenshot(chromium, base_url.rstrip("/") + "/" + path, DOCS / name, size)
        print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8001")
