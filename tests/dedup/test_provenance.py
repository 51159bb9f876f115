"""Provenance: duplicates rows explain every copy; first stored wins; stats and dupes show it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner
from peer_worker import page_html
from sqlalchemy import select
from syndication_corpus import generate

from akhbar.cli import cli
from akhbar.dedup import Deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import FetchedPage, PageOutcome
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.models import Article
from akhbar.storage.provenance import copies_of, duplicate_rates, top_syndicated

SETTINGS = AkhbarSettings()
SOURCES = ("alpha", "beta", "gamma")


def page(source: str, url: str, paragraphs: list[str]) -> FetchedPage:
    return FetchedPage(
        source=source,
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=page_html("خبر اليوم", paragraphs),
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


def test_provenance_first_stored_wins_and_commands(migrated_db_url: str) -> None:
    db_url = migrated_db_url
    engine = make_engine(db_url)
    repo = Repository(engine)
    for name in SOURCES:
        repo.sync_source(name, f"http://{name}.test/", ["ar"])
    dedup = Deduplicator(SETTINGS.dedup)
    writer = repo.writer(batch_size=3)
    ing = {
        name: Ingestor(
            source=SourceConfig(name=name, start_urls=[f"http://{name}.test/"]),
            writer=writer,
            run_id=None,
            dedup=dedup,
            cleaner=SETTINGS.cleaner,
        )
        for name in SOURCES
    }
    originals = [d.text.split("\n\n") for d in generate(30, seed=9) if d.kind == "original"]
    one, two, three = [p for p in originals if len(" ".join(p).split()) >= 250][:3]
    first = ing["alpha"].ingest(page("alpha", "http://alpha.test/1", one))
    exact = ing["beta"].ingest(page("beta", "http://beta.test/1", one))
    longer = [*one, *two[1:3]]  # a fuller copy arriving later must not replace the article
    near = ing["gamma"].ingest(page("gamma", "http://gamma.test/1", ["عمان - وكالات", *one[1:]]))
    fuller = ing["beta"].ingest(page("beta", "http://beta.test/1b", longer))
    second = ing["beta"].ingest(page("beta", "http://beta.test/2", two))
    ing["alpha"].ingest(page("alpha", "http://alpha.test/2", ["الدوحة - وكالات", *two[1:]]))
    ing["gamma"].ingest(page("gamma", "http://gamma.test/3", three))
    refetch = ing["beta"].ingest(page("beta", "http://beta.test/1", one))
    for i in ing.values():
        i.close()
    writer.close()

    assert first.outcome is PageOutcome.ARTICLE
    for copy in (exact, near, fuller, refetch):
        assert copy.outcome is PageOutcome.DUPLICATE and copy.article_id == first.article_id
    assert first.article_id is not None and second.article_id is not None
    with repo.sessions() as session:
        stored = session.get(Article, first.article_id)
        assert stored is not None
        assert (stored.source, stored.url) == ("alpha", "http://alpha.test/1")
        assert stored.text.split("\n\n") == one  # never overwritten by a copy
        assert len(session.scalars(select(Article)).all()) == 3

    story = copies_of(engine, first.article_id)
    assert story is not None and story.source == "alpha"
    found = {(c.source, c.url): c for c in story.copies}
    assert set(found) == {
        ("beta", "http://beta.test/1"),
        ("gamma", "http://gamma.test/1"),
        ("beta", "http://beta.test/1b"),
    }
    assert found["beta", "http://beta.test/1"].kind == "exact"
    assert found["beta", "http://beta.test/1"].similarity == 1.0
    near_copy = found["gamma", "http://gamma.test/1"]
    assert near_copy.kind == "near" and 0.6 <= near_copy.similarity < 1.0
    assert near_copy.containment is not None and near_copy.containment > 0.8
    assert all(c.detected_at is not None for c in story.copies)
    assert copies_of(engine, 10_000) is None

    rates = duplicate_rates(engine)
    assert (rates["beta"].articles, rates["beta"].duplicates, rates["beta"].rate) == (1, 2, 0.6667)
    assert rates["gamma"].by_kind == {"near": 1} and rates["alpha"].by_kind == {"near": 1}
    top = top_syndicated(engine, 2)
    assert [(s.article_id, s.copies, s.sources) for s in top] == [
        (first.article_id, 3, 2),
        (second.article_id, 1, 1),
    ]

    runner = CliRunner()
    out = runner.invoke(cli, ["--db", db_url, "dupes", str(first.article_id), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["article_id"] == first.article_id and len(data["copies"]) == 3
    assert {"source", "url", "kind", "similarity", "containment", "detected_at"} <= set(
        data["copies"][0]
    )
    text_out = runner.invoke(cli, ["--db", db_url, "dupes", str(first.article_id)])
    assert text_out.exit_code == 0 and "gamma.test/1" in text_out.output
    missing = runner.invoke(cli, ["--db", db_url, "dupes", "10000"])
    assert missing.exit_code != 0 and "no article 10000" in missing.output
    stats = json.loads(runner.invoke(cli, ["--db", db_url, "stats", "--json"]).output)
    beta = next(r for r in stats if r["source"] == "beta")
    assert beta["duplicate_rate"] == 0.6667 and beta["duplicates_by_kind"] == {
        "exact": 1,
        "near": 1,
    }
    syndicated = runner.invoke(cli, ["--db", db_url, "stats", "--syndicated", "--json"])
    assert json.loads(syndicated.output)[0]["article_id"] == first.article_id
    table = runner.invoke(cli, ["--db", db_url, "stats"])
    assert table.exit_code == 0 and "duplicate rate" in table.output
    assert "top syndicated" in table.output
    engine.dispose()
