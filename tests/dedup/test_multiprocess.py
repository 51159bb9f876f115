"""Several crawl processes on one database give the verdicts of one.

Real processes (``peer_worker.py``) ingest the same stories at the same moment into SQLite and
PostgreSQL: every story must end as exactly one article and one duplicate. A second test shows
the read-your-peers step on its own: an index loaded before another process stored a story
still recognises the copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peer_worker import page_html
from sqlalchemy import func, select
from syndication_corpus import generate

from akhbar.dedup import Deduplicator
from akhbar.pipeline import Ingestor
from akhbar.records import FetchedPage, PageOutcome
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article, Duplicate

WORKER = Path(__file__).with_name("peer_worker.py")
SETTINGS = AkhbarSettings()


def stories(count: int) -> list[list[str]]:
    """Paragraph lists of ``count`` distinct synthetic stories of 250+ words."""
    docs = [d for d in generate(40, seed=5) if d.kind == "original"]
    out = [d.text.split("\n\n") for d in docs if len(d.text.split()) >= 250]
    return out[:count]


def copy_of(paragraphs: list[str], index: int) -> list[str]:
    """Even stories: the same text (exact copy); odd: another dateline, last paragraph cut."""
    if index % 2 == 0:
        return list(paragraphs)
    return ["الرباط - وكالات", *paragraphs[1:-1]]


def prepared(db_url: str) -> Repository:
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    for name in ("alpha", "beta"):
        repo.sync_source(name, f"http://{name}.test/", ["ar"])
    return repo


@pytest.mark.slow  # processes racing on one database
def test_two_processes_store_one_article_per_story(db_url: str, tmp_path: Path) -> None:
    race(db_url, tmp_path, {})


@pytest.mark.slow
def test_two_processes_sharing_the_redis_index_store_one_article_per_story(
    postgres_url: str, redis_server_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    """The same race with the index on the real Redis (``AKHBAR_DEDUP__INDEX=redis``): the
    shared index plus the database's dedup lock still give one article per story."""
    env = {
        "AKHBAR_DEDUP__INDEX": "redis",
        "AKHBAR_REDIS_URL": redis_server_url,
        "AKHBAR_REDIS_KEY_PREFIX": redis_prefix,
    }
    race(postgres_url, tmp_path, env)
    index = Deduplicator(
        SETTINGS.dedup.model_copy(update={"index": "redis"}),
        redis_url=redis_server_url,
        database_url=postgres_url,
        redis_key_prefix=redis_prefix,
    )
    assert len(index) == 6  # the workers' shared index holds the six articles


def race(db_url: str, tmp_path: Path, env: dict[str, str]) -> None:
    """Two worker processes ingest copies of six stories at the same moment."""
    repo = prepared(db_url)
    texts = stories(6)
    assert len(texts) == 6
    for name in ("alpha", "beta"):
        pages = [
            {
                "url": f"http://{name}.test/news/{i}",
                "title": f"خبر {i}",
                "paragraphs": paras if name == "alpha" else copy_of(paras, i),
            }
            for i, paras in enumerate(texts)
        ]
        (tmp_path / f"{name}.json").write_text(json.dumps(pages), encoding="utf-8")
    start_at = time.time() + 4.0  # both processes loaded and waiting by then
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                db_url,
                name,
                str(tmp_path / f"{name}.json"),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        for name in ("alpha", "beta")
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    outcomes = [json.loads(line)["outcome"] for out, _ in outputs for line in out.splitlines()]
    assert sorted(outcomes) == ["article"] * 6 + ["duplicate"] * 6
    with repo.sessions() as session:
        articles = session.execute(select(Article.id, Article.url)).all()
        dupes = session.execute(select(Duplicate.article_id, Duplicate.url, Duplicate.kind)).all()
    assert len(articles) == 6 and len(dupes) == 6
    story_of = {url: int(url.rsplit("/", 1)[1]) for _, url in articles}
    by_id = {article_id: story_of[url] for article_id, url in articles}
    assert sorted(story_of.values()) == list(range(6))  # one article per story
    for article_id, url, kind in dupes:  # each copy points at its own story's article
        assert by_id[article_id] == int(url.rsplit("/", 1)[1])
        assert kind == ("exact" if by_id[article_id] % 2 == 0 else "near")
    repo.engine.dispose()


def _ingestor(repo: Repository, name: str) -> Ingestor:
    dedup = Deduplicator(SETTINGS.dedup)
    dedup.load(repo.iter_signatures())
    return Ingestor(
        source=SourceConfig(name=name, start_urls=[f"http://{name}.test/"]),
        writer=repo.writer(batch_size=50),
        run_id=None,
        dedup=dedup,
        cleaner=SETTINGS.cleaner,
    )


def _page(name: str, url: str, paragraphs: list[str]) -> FetchedPage:
    return FetchedPage(
        source=name,
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=page_html("خبر", paragraphs),
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


@pytest.mark.parametrize("exact", [True, False])
def test_an_index_loaded_earlier_reads_what_peers_stored(db_url: str, exact: bool) -> None:
    """Process B loaded its index before process A stored the story: B still finds it."""
    repo_a, repo_b = prepared(db_url), Repository(make_engine(db_url))
    paras = stories(1)[0]
    a, b = _ingestor(repo_a, "alpha"), _ingestor(repo_b, "beta")  # both indexes empty
    first = a.ingest(_page("alpha", "http://alpha.test/1", paras))
    a.close()
    copy = paras if exact else copy_of(paras, 1)
    second = b.ingest(_page("beta", "http://beta.test/1", copy))
    b.close()
    assert first.outcome is PageOutcome.ARTICLE
    assert second.outcome is PageOutcome.DUPLICATE and second.article_id == first.article_id
    with repo_a.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        dup = session.scalars(select(Duplicate)).one()
        assert (dup.kind, dup.source) == ("exact" if exact else "near", "beta")
    for repo, ing in ((repo_a, a), (repo_b, b)):
        ing.writer.close()
        repo.engine.dispose()
