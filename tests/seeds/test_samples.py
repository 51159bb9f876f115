"""Every shipped source's URL rules against sample URLs of that site (fundus-style fixtures).

A source's ``allow`` / ``deny`` rules decide what the crawler fetches as an article; a rule too
loose fills the database with section pages, one too tight silently misses a site's stories.
``tests/seeds/samples/<name>.toml`` lists article and non-article URLs for each ``seeds/*.toml``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from akhbar.seeds import SourceConfig, load_seeds
from akhbar.urls import normalize_url

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parent / "samples"
MIN_SAMPLES = 3


def shipped() -> dict[str, SourceConfig]:
    loaded = load_seeds(REPO_ROOT / "seeds")
    assert loaded.errors == []
    return {source.name: source for source in loaded.sources}


SOURCES = shipped()


def test_every_shipped_source_has_samples_and_every_sample_file_a_source() -> None:
    files = {path.stem for path in SAMPLES.glob("*.toml")}
    assert sorted(set(SOURCES) - files) == [], "seeds without tests/seeds/samples/<name>.toml"
    assert sorted(files - set(SOURCES)) == [], "samples for a source that is not shipped"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_rules_accept_the_sites_articles_and_refuse_its_other_pages(name: str) -> None:
    source = SOURCES[name]
    samples = tomllib.loads((SAMPLES / f"{name}.toml").read_text(encoding="utf-8"))
    articles, others = samples["articles"], samples["not_articles"]
    assert len(articles) >= MIN_SAMPLES and len(others) >= MIN_SAMPLES
    refused = [u for u in articles if not source.is_article_url(normalize_url(u))]
    accepted = [u for u in others if source.is_article_url(normalize_url(u))]
    assert refused == [], f"{name}: article URLs its rules refuse"
    assert accepted == [], f"{name}: non-article URLs its rules accept"
