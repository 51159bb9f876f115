"""Seeds files: the public keys, validation messages as ``file:key: reason``."""

from __future__ import annotations

from pathlib import Path

import pytest

from akhbar.seeds import load_seeds, parse_schedule

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD = """
name = "good"
language = "ar"
feeds = ["https://example.com/rss.xml"]
sitemaps = ["https://example.com/sitemap.xml"]
start_urls = ["https://example.com/"]
allow = ['/news/\\d+']
deny = ['/tag/']
schedule = "every 30m"
max_pages_per_run = 200
[politeness]
download_delay = 1.5
concurrency = 2
obey_robots = true
"""


def write(tmp: Path, name: str, body: str) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_valid_file_loads_every_key(tmp_path: Path) -> None:
    write(tmp_path, "good", GOOD)
    loaded = load_seeds(tmp_path)
    assert loaded.errors == []
    (src,) = loaded.sources
    assert src.name == "good" and src.languages == ["ar"]
    assert src.politeness.download_delay == 1.5 and src.politeness.concurrency == 2
    assert src.is_article_url("https://example.com/news/12/x")
    assert not src.is_article_url("https://example.com/tag/news/12")
    assert not src.is_article_url("https://example.com/about")
    assert src.parsed_schedule.interval is not None
    assert src.parsed_schedule.interval.total_seconds() == 1800
    assert src.home == "https://example.com/"


def test_each_problem_is_reported_as_file_key_reason(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("every 30m", "every day at noon")
        .replace("['/tag/']", "['(unclosed']")
        .replace("https://example.com/rss.xml", "ftp://example.com/rss")
        .replace("concurrency = 2", "concurrency = 0\ncolour = 'red'")
    )
    path = write(tmp_path, "bad", bad)
    loaded = load_seeds(tmp_path)
    assert loaded.sources == []
    lines = sorted(str(e) for e in loaded.errors)
    assert any(line.startswith(f"{path}:schedule: ") for line in lines)
    assert any(line.startswith(f"{path}:deny[0]: bad regex") for line in lines)
    assert any(line.startswith(f"{path}:feeds[0]: not an http(s) URL") for line in lines)
    assert any(line.startswith(f"{path}:politeness.concurrency: ") for line in lines)
    assert f"{path}:politeness.colour: unknown key" in lines


def test_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    write(tmp_path, "a_broken", "name = 'x\n")  # invalid TOML
    write(tmp_path, "b_missing", 'language = "ar"\nfeeds = ["https://e.com/f"]\n')
    write(tmp_path, "good", GOOD)
    loaded = load_seeds(tmp_path)
    assert [s.name for s in loaded.sources] == ["good"]
    keys = {(e.file.name, e.key) for e in loaded.errors}
    assert ("a_broken.toml", "<toml>") in keys
    assert ("b_missing.toml", "name") in keys


def test_duplicate_names_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "one", GOOD)
    write(tmp_path, "two", GOOD)
    loaded = load_seeds(tmp_path)
    assert len(loaded.sources) == 1
    assert [e.key for e in loaded.errors] == ["name"]


@pytest.mark.parametrize(
    ("value", "seconds", "cron"),
    [("every 30m", 1800, None), ("every 6h", 21600, None), ("*/15 * * * *", None, "*/15 * * * *")],
)
def test_schedule_forms(value: str, seconds: int | None, cron: str | None) -> None:
    parsed = parse_schedule(value)
    assert parsed.cron == cron
    assert (parsed.interval.total_seconds() if parsed.interval else None) == seconds


@pytest.mark.parametrize("value", ["every 0m", "every 5 weeks", "61 * * * *", "daily"])
def test_bad_schedules_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(value)


def test_shipped_seeds_are_valid() -> None:
    loaded = load_seeds(REPO_ROOT / "seeds")
    assert loaded.errors == []
    assert len(loaded.sources) >= 5
    assert any(s.name == "almaghribtoday" for s in loaded.sources)
    assert all("ar" in s.languages for s in loaded.sources)
