"""Only the crawler knows scrapy; only storage knows SQL (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a fresh interpreter per stage

FORBIDDEN = {
    "akhbar.cleaner": {"scrapy", "twisted", "sqlalchemy"},
    "akhbar.dedup": {"scrapy", "twisted", "sqlalchemy"},
    # the cleaner, dedup and storage all fold Arabic with it: plain standard library
    "akhbar.text.arabic": {"scrapy", "twisted", "sqlalchemy", "trafilatura", "lxml", "numpy"},
    "akhbar.storage": {"scrapy", "twisted"},
    "akhbar.pipeline": {"scrapy", "twisted"},
    "akhbar.pool": {"scrapy", "twisted"},
    # started before a command's heavy imports: must stay light
    "akhbar.forkserver": {"scrapy", "twisted", "sqlalchemy", "trafilatura", "lxml", "numpy"},
    "akhbar.dashboard.serve": {"scrapy", "twisted"},
}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_stage_imports_stay_inside_their_boundary(module: str) -> None:
    code = (
        f"import json, sys, {module}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not FORBIDDEN[module] & loaded, f"{module} pulls in {FORBIDDEN[module] & loaded}"
