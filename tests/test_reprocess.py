"""Per-source boilerplate through the Ingestor, and ``akhbar reprocess``, on both databases.

The test site puts teasers the cleaner's page-level rules cannot know inside the article: a
heading no list has (``لا تفوتك``) followed by full headlines of the site's other stories as
plain ``<p><a>`` paragraphs. Only the pages seen together show them to be chrome.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from akhbar.cli import cli
from akhbar.dedup import Deduplicator
from akhbar.localweb.content import load_site
from akhbar.pipeline import Ingestor
from akhbar.read import read_articles, search_articles
from akhbar.records import FetchedPage
from akhbar.reprocess import KEPT_PREFIX, reprocess
from akhbar.seeds import SourceConfig
from akhbar.settings import AkhbarSettings, CleanerSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.boilerplate import BoilerplateStore
from akhbar.storage.export import ExportFormat, export_articles
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import Article, BoilerplateLine, CrawlRun, Duplicate, Page
from akhbar.storage.reader_cursor import FeedFilter
from akhbar.storage.repository import compress_html
from akhbar.storage.runs import finish_run, start_run

SOURCE = SourceConfig(name="laftah", start_urls=["http://laftah.test/"])
HEADING = "لا تفوتك"
STORIES = load_site("najmagency").stories[:6]


def page_html(i: int) -> bytes:
    story = STORIES[i]
    others = [STORIES[(i + 1) % len(STORIES)], STORIES[(i + 2) % len(STORIES)]]
    paras = [f"<p>{html.escape(p)}</p>" for p in story.paragraphs]
    teasers = f"<p><strong>{HEADING}</strong></p>" + "".join(
        f'<p><a href="/n/{o.key}">{html.escape(o.headline)}</a></p>' for o in others
    )
    body = "\n".join([*paras[:2], teasers, *paras[2:]])
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{html.escape(story.headline)} - لفتة</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{story.published.isoformat()}">
</head><body><header><nav><a href="/">الرئيسية</a></nav></header>
<main><article><h1>{html.escape(story.headline)}</h1>{body}</article></main>
<footer><p>لفتة 2024</p></footer></body></html>""".encode()


def fetched(i: int) -> FetchedPage:
    url = f"http://laftah.test/n/{STORIES[i].key}"
    return FetchedPage(
        source=SOURCE.name,
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=page_html(i),
        encoding="utf-8",
        fetched_at=datetime.now(UTC),
    )


def teaser_lines(text: str) -> list[str]:
    headlines = {s.headline for s in STORIES}
    return [line for line in text.splitlines() if line == HEADING or line in headlines]


@pytest.fixture
def db_url(migrated_db_url: str) -> str:
    """Every test here starts from a migrated database (tests/conftest.py)."""
    return migrated_db_url


def crawl(db_url: str, cleaner: CleanerSettings | None = None) -> Repository:
    """Ingest the six pages like a crawl does (model loaded, saved per batch)."""
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source(SOURCE.name, "http://laftah.test/", ["ar"])
    store = BoilerplateStore(engine)
    dedup = Deduplicator(AkhbarSettings().dedup)
    writer = repo.writer(2)
    run_id = start_run(repo, SOURCE.name)
    ingestor = Ingestor(
        source=SOURCE,
        writer=writer,
        run_id=run_id,
        dedup=dedup,
        cleaner=cleaner or CleanerSettings(),
        boilerplate=store.load(SOURCE.name),
        boilerplate_store=store,
    )
    for i in range(len(STORIES)):
        ingestor.ingest(fetched(i))
    finish_run(repo, run_id, "ok", ingestor.close())
    writer.close()
    return repo


def stored_texts(repo: Repository) -> dict[str, str]:
    with repo.sessions() as session:
        return {a.url: a.text for a in session.scalars(select(Article))}


def test_page_rules_alone_keep_the_teasers() -> None:
    from akhbar.cleaner import extract
    from akhbar.records import Article as Record

    result = extract(page_html(0), "http://laftah.test/n/0")
    assert isinstance(result, Record)
    assert HEADING in teaser_lines(result.text)


def test_boilerplate_is_learned_persisted_and_stripped(db_url: str) -> None:
    repo = crawl(db_url)
    texts = stored_texts(repo)
    assert len(texts) == len(STORIES)
    # the first pages were stored before the model knew; the last ones are clean
    last = texts[f"http://laftah.test/n/{STORIES[-1].key}"]
    assert teaser_lines(last) == []
    for story in STORIES[-2:]:
        text = texts[f"http://laftah.test/n/{story.key}"]
        for paragraph in story.paragraphs:
            assert paragraph in text  # the article's own text is untouched
    model = BoilerplateStore(repo.engine).load(SOURCE.name)
    assert model.pages_seen == len(STORIES)
    assert HEADING in model.chrome_lines()
    with repo.sessions() as session:
        assert session.scalar(select(BoilerplateLine).where(BoilerplateLine.line == HEADING))


def test_reprocess_fixes_records_of_an_older_cleaner(db_url: str) -> None:
    # an "older cleaner" that rejected one story as too short
    repo = crawl(db_url)
    first_url = f"http://laftah.test/n/{STORIES[0].key}"
    with repo.sessions.begin() as session:  # and stored chrome in another record
        session.execute(
            update(Article)
            .where(Article.url == f"http://laftah.test/n/{STORIES[3].key}")
            .values(text=Article.text + "\n\nاقرأ أيضا\n\nView on laftah.test")
        )
    before = stored_texts(repo)
    assert teaser_lines(before[first_url])  # stored before the model had learned
    settings = AkhbarSettings(database_url=db_url)
    done: list[int] = []
    [summary] = reprocess(settings, [SOURCE], progress=lambda s, n, total: done.append(n))
    assert summary.status == "ok"
    assert summary.pages == len(STORIES) == done[-1]
    assert summary.changed >= 2
    after = stored_texts(repo)
    for url, text in after.items():
        assert teaser_lines(text) == [], url
        assert "View on laftah.test" not in text
    with repo.sessions() as session:
        run = session.scalars(select(CrawlRun).where(CrawlRun.kind == "reprocess")).one()
        assert run.status == "ok" and run.fetched == len(STORIES)
        row = session.scalars(select(Article).where(Article.url == first_url)).one()
        assert row.word_count == len(row.text.split())
    # run again: nothing left to change (an interrupted run resumes this way)
    [again] = reprocess(settings, [SOURCE])
    assert again.changed == 0 and again.unchanged == len(STORIES)


def test_reprocess_turns_rejected_pages_into_articles_via_cli(db_url: str, tmp_path: Path) -> None:
    repo = crawl(db_url, CleanerSettings(min_text_chars=100_000))  # everything "too short"
    with repo.sessions() as session:
        outcomes = set(session.scalars(select(Page.outcome)))
    assert outcomes == {"rejected"}
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "laftah.toml").write_text(
        'name = "laftah"\nstart_urls = ["http://laftah.test/"]\nlanguage = "ar"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["--db", db_url, "--seeds", str(seeds), "reprocess", "laftah", "--json"]
    )
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.output.strip().splitlines()[-1])
    assert summary["now_article"] == len(STORIES)
    with repo.sessions() as session:
        assert set(session.scalars(select(Page.outcome))) == {"article"}
        assert len(stored_texts(repo)) == len(STORIES)


MIRROR = SourceConfig(name="mirror", start_urls=["http://mirror.test/"])


def copy_into_mirror(repo: Repository, i: int, n: int) -> list[str]:
    """``n`` pages of another source republishing story ``i`` word for word (its copies)."""
    repo.sync_source(MIRROR.name, "http://mirror.test/", ["ar"])
    dedup = Deduplicator(AkhbarSettings().dedup)
    dedup.load(repo.iter_signatures())
    writer = repo.writer(10)
    run_id = start_run(repo, MIRROR.name)
    ingestor = Ingestor(
        source=MIRROR, writer=writer, run_id=run_id, dedup=dedup, cleaner=CleanerSettings()
    )
    urls = []
    for k in range(n):
        url = f"http://mirror.test/copy/{k}"
        urls.append(url)
        ingestor.ingest(replace(fetched(i), source=MIRROR.name, url=url, final_url=url))
    finish_run(repo, run_id, "ok", ingestor.close())
    writer.close()
    return urls


def set_raw_html(repo: Repository, url: str, body: bytes) -> None:
    with repo.sessions.begin() as session:
        session.execute(update(Page).where(Page.url == url).values(raw_html=compress_html(body)))


STUB = (
    b'<html lang="ar"><head><meta charset="utf-8"><title>x</title></head><body><article>'
    + "<p>للاشتراك في الخدمة اضغط هنا</p>".encode()
    + b"</article></body></html>"
)


def test_reprocess_keeps_and_flags_a_rejected_article_that_others_copy(db_url: str) -> None:
    repo = crawl(db_url)
    copied = f"http://laftah.test/n/{STORIES[0].key}"
    alone = f"http://laftah.test/n/{STORIES[1].key}"
    copies = copy_into_mirror(repo, 0, 2)
    with repo.sessions() as session:
        article_id = session.scalars(select(Article.id).where(Article.url == copied)).one()
        alone_id = session.scalars(select(Article.id).where(Article.url == alone)).one()
        dupes = session.scalars(select(Duplicate).where(Duplicate.url.in_(copies))).all()
        assert [d.article_id for d in dupes] == [article_id, article_id]
    # the current cleaner rejects both stored pages (a paywall stub): story 1 has no copies
    set_raw_html(repo, copied, STUB)
    set_raw_html(repo, alone, STUB)
    settings = AkhbarSettings(database_url=db_url)
    [summary] = reprocess(settings, [SOURCE])
    assert summary.status == "ok"
    assert (summary.kept_copied, summary.now_rejected) == (1, 1)
    with repo.sessions() as session:
        kept = session.scalars(select(Page).where(Page.url == copied)).one()
        assert (kept.outcome, kept.article_id) == ("article", article_id)
        assert kept.reason is not None and kept.reason.startswith(KEPT_PREFIX + "too_short")
        assert session.get(Article, article_id) is not None  # record and copies untouched
        for url in copies:
            dupe = session.scalars(select(Duplicate).where(Duplicate.url == url)).one()
            page = session.scalars(select(Page).where(Page.url == url)).one()
            assert dupe.article_id == article_id
            assert (page.outcome, page.article_id) == ("duplicate", article_id)
        rejected = session.scalars(select(Page).where(Page.url == alone)).one()
        assert (rejected.outcome, rejected.article_id) == ("rejected", alone_id)
        assert rejected.reason is not None and rejected.reason.startswith("too_short")
        withdrawn = session.get(Article, alone_id)  # marked, never deleted
        assert withdrawn is not None and withdrawn.status == "withdrawn"
        assert (withdrawn.withdrawn_reason or "").startswith("rejected: too_short")
    # resumable: a second run has nothing to do
    [again] = reprocess(settings, [SOURCE])
    assert (again.kept_copied, again.now_rejected, again.changed) == (0, 0, 0)
    # the page is accepted again (an older raw page restored): the flag goes
    set_raw_html(repo, copied, page_html(0))
    [restored] = reprocess(settings, [SOURCE])
    assert restored.kept_copied == 0 and restored.changed >= 1
    with repo.sessions() as session:
        page = session.scalars(select(Page).where(Page.url == copied)).one()
        assert (page.outcome, page.reason, page.article_id) == ("article", None, article_id)


def feed_ids(db_url: str, after_id: int = 0) -> tuple[dict[int, tuple[str, str]], int]:
    """What a reader sees after ``after_id``: id -> (url, status), and the next cursor."""
    batch = read_articles(db_url, after_id=after_id)
    return {a.id: (a.url, a.status) for a in batch}, batch.cursor


def test_reprocess_withdraws_and_restores_articles_under_the_same_ids(db_url: str) -> None:
    repo = crawl(db_url)
    seen, cursor = feed_ids(db_url)
    assert len(seen) == len(STORIES) and {s for _, s in seen.values()} == {"active"}
    # a stricter cleaner rejects every stored story: rows are withdrawn, not deleted
    strict = AkhbarSettings(database_url=db_url, cleaner=CleanerSettings(min_text_chars=100_000))
    [summary] = reprocess(strict, [SOURCE])
    assert (summary.status, summary.now_rejected) == ("ok", len(STORIES))
    everything, _ = feed_ids(db_url)
    assert {i: url for i, (url, _) in everything.items()} == {i: u for i, (u, _) in seen.items()}
    with repo.sessions() as session:
        rows = session.scalars(select(Article).order_by(Article.id)).all()
        assert {r.status for r in rows} == {"withdrawn"}
        assert all(r.withdrawn_at is not None for r in rows)
        assert all((r.withdrawn_reason or "").startswith("rejected: too_short") for r in rows)
        pages = {p.url: p for p in session.scalars(select(Page))}
        assert {(p.outcome, p.article_id) for p in pages.values()} == {
            ("rejected", r.id) for r in rows
        }
    assert search_articles(repo.engine, STORIES[0].headline) == []  # no longer a story
    exported = io.BytesIO()  # the export carries the status as the view does
    export_articles(repo.engine, FeedFilter(), ExportFormat.JSONL, exported)
    records = [json.loads(line) for line in exported.getvalue().decode().splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [(i, "withdrawn") for i in sorted(seen)]
    assert all(r["withdrawn_reason"].startswith("rejected: ") for r in records)
    assert all(r["withdrawn_at"] for r in records)
    # back to the normal cleaner: every story returns under its own id, nothing new
    [back] = reprocess(AkhbarSettings(database_url=db_url), [SOURCE])
    assert (back.now_article, back.restored) == (len(STORIES), len(STORIES))
    restored, _ = feed_ids(db_url)
    assert restored == {i: (url, "active") for i, (url, _) in seen.items()}
    with repo.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(STORIES)
        for row in session.scalars(select(Article)):
            assert (row.withdrawn_at, row.withdrawn_reason) == (None, None)
            page = session.scalars(select(Page).where(Page.url == row.url)).one()
            assert (page.outcome, page.article_id, page.reason) == ("article", row.id, None)
    # the reader's cursor saw each id once, for one story, and nothing comes after it
    later, _ = feed_ids(db_url, cursor)
    assert later == {}


def test_a_withdrawn_article_is_not_a_dedup_match(db_url: str) -> None:
    """A new page copying a withdrawn story becomes an article of its own (readers would not
    see the story otherwise); restoring the withdrawn one then finds it a copy of that new
    article and keeps it withdrawn, its page recorded as the copy."""
    repo = crawl(db_url)
    url = f"http://laftah.test/n/{STORIES[0].key}"
    with repo.sessions() as session:
        old_id = session.scalars(select(Article.id).where(Article.url == url)).one()
    set_raw_html(repo, url, STUB)
    [summary] = reprocess(AkhbarSettings(database_url=db_url), [SOURCE])
    assert summary.now_rejected == 1
    [copy_url] = copy_into_mirror(repo, 0, 1)  # the same text, word for word, elsewhere
    with repo.sessions() as session:
        new = session.scalars(select(Article).where(Article.url == copy_url)).one()
        assert new.status == "active" and new.id > old_id
        assert session.scalars(select(Page.outcome).where(Page.url == copy_url)).one() == "article"
    set_raw_html(repo, url, page_html(0))
    [again] = reprocess(AkhbarSettings(database_url=db_url), [SOURCE])
    assert (again.now_duplicate, again.restored) == (1, 0)
    with repo.sessions() as session:
        old = session.get(Article, old_id)
        assert old is not None and old.status == "withdrawn"
        assert old.withdrawn_reason == f"copy of article {new.id}"
        page = session.scalars(select(Page).where(Page.url == url)).one()
        assert (page.outcome, page.article_id) == ("duplicate", new.id)
        dupe = session.scalars(select(Duplicate).where(Duplicate.url == url)).one()
        assert dupe.article_id == new.id


def test_cursor_never_sees_one_id_for_two_stories(db_url: str) -> None:
    """A reader polling with its cursor while reprocesses withdraw and restore articles and
    crawls add new ones: every id it ever sees names the same story (URL) for ever."""
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source(SOURCE.name, "http://laftah.test/", ["ar"])
    identity: dict[int, str] = {}
    cursor = 0

    def poll() -> None:
        nonlocal cursor
        batch = read_articles(db_url, after_id=0)  # everything, as a full re-read would
        for article in batch:
            first = identity.setdefault(article.id, article.url)
            assert first == article.url, f"id {article.id} reused"
        fresh = read_articles(db_url, after_id=cursor)
        ids = [a.id for a in fresh]
        assert all(i > cursor for i in ids) and len(ids) == len(set(ids))
        cursor = fresh.cursor

    half = len(STORIES) // 2
    ingest_stories(repo, range(half))
    poll()
    strict = AkhbarSettings(database_url=db_url, cleaner=CleanerSettings(min_text_chars=100_000))
    reprocess(strict, [SOURCE])  # all withdrawn; before, the newest ids were free again
    poll()
    ingest_stories(repo, range(half, len(STORIES)))  # new stories get new ids
    poll()
    reprocess(AkhbarSettings(database_url=db_url), [SOURCE])
    poll()
    assert len(identity) == len(STORIES)
    assert sorted(identity) == list(range(min(identity), min(identity) + len(STORIES)))
    engine.dispose()


def ingest_stories(repo: Repository, indexes: range) -> None:
    dedup = Deduplicator(AkhbarSettings().dedup)
    dedup.load(repo.iter_signatures())
    writer = repo.writer(10)
    run_id = start_run(repo, SOURCE.name)
    ingestor = Ingestor(
        source=SOURCE, writer=writer, run_id=run_id, dedup=dedup, cleaner=CleanerSettings()
    )
    for i in indexes:
        ingestor.ingest(fetched(i))
    finish_run(repo, run_id, "ok", ingestor.close())
    writer.close()
