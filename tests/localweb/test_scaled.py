"""The scaled local web: a 200-page version crawled by ``akhbar crawl`` matches its known truth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from akhbar.localweb.checkout import load_scaled_web
from akhbar.storage import Repository, make_engine

scaledweb = load_scaled_web()  # benchmarks/scaledweb.py, as `akhbar localweb --scale` loads it


def test_pages_are_deterministic_sized_and_match_their_rules() -> None:
    site = scaledweb.ScaledSite(scaledweb.SPECS[2], 2, 40, 7, "http://127.0.0.23:8000")
    again = scaledweb.ScaledSite(scaledweb.SPECS[2], 2, 40, 7, "http://127.0.0.23:8000")
    for n in range(scaledweb.ARTICLE_BASE, scaledweb.ARTICLE_BASE + 10):
        body = site.article(n).body
        assert body == again.article(n).body
        assert 50 * 1024 <= len(body) <= 150 * 1024
    for path, (kind, _) in site.routes.items():  # listings look like articles to the URL rules
        assert re.search(scaledweb.SPECS[2].allow, path), (kind, path)
    assert site.response("/nothing-here").status == 404


def test_truth_counts_wire_copies_once() -> None:
    truth = scaledweb.scaled_truth(20_000)
    assert truth.pages == 20_000
    assert truth.expected_article_count + truth.expected_duplicate_count == truth.pages
    assert 0.05 <= truth.wire_pages / truth.pages <= 0.12  # dedup has real work
    assert truth.rejected == 200 and truth.failed == 100


@pytest.mark.e2e
def test_crawl_of_a_200_page_web_matches_truth(tmp_path: Path) -> None:
    db = tmp_path / "scaled.db"
    with scaledweb.ScaledNewsWeb(200, first_host=31) as web:
        web.write_seeds(tmp_path / "seeds")
        cmd = [sys.executable, "-m", "akhbar", "--db", f"sqlite:///{db}"]
        cmd += ["--seeds", str(tmp_path / "seeds"), "crawl", "--all", "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=os.environ)
        truth = web.truth
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = json.loads(proc.stdout)
    assert {s["status"] for s in summaries} == {"ok"}
    rows = Repository(make_engine(f"sqlite:///{db}")).stats()
    stored = {
        "articles": sum(r.articles for r in rows),
        "duplicates": sum(r.duplicates for r in rows),
        "rejected": sum(r.rejected for r in rows),
        "failed": sum(r.failed for r in rows),
    }
    assert stored == truth.as_dict()
    assert truth.as_dict() == {"articles": 188, "duplicates": 12, "rejected": 5, "failed": 5}


@pytest.mark.slow  # an `akhbar localweb` process
def test_the_cli_serves_the_scaled_web_from_the_checkout(tmp_path: Path) -> None:
    """``akhbar localweb --scale N`` loads benchmarks/scaledweb.py and prints the lines the
    benchmarks read."""
    cmd = [sys.executable, "-m", "akhbar", "localweb", "--scale", "10", "--seeds-out", tmp_path]
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("serving"):
                break
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    truth = scaledweb.scaled_truth(10)
    assert f"truth {json.dumps({'pages': truth.pages, **truth.as_dict()})}\n" in lines, lines
    assert sorted(p.stem for p in tmp_path.glob("*.toml")) == sorted(
        s.name for s in scaledweb.SPECS
    )
