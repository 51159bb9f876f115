"""``akhbar backfill`` on the local news web: date windows, resume, URL lists and WARC files.

Real processes over real HTTP; assertions read the ``pages``/``articles``/``crawl_runs`` rows.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from akhbar.localweb.content import load_site
from akhbar.storage import Repository, make_engine
from akhbar.storage.models import Article, CrawlRun, Page

pytestmark = pytest.mark.e2e


def base_of(local_web: Any, name: str) -> str:
    return next(s.base_url for s in local_web.sites if s.name == name)


def dated_urls(local_web: Any, name: str, since: date, until: date) -> set[str]:
    """URLs of the site's stories (and withdrawn stories) published inside the window (UTC)."""
    site, base = load_site(name), base_of(local_web, name)
    items = [(s.path, s.published) for s in site.stories]
    items += [(m.path, m.published) for m in site.missing]
    return {base + path for path, when in items if since <= when.astimezone(UTC).date() <= until}


def seeds_with_delay(local_web: Any, directory: Path, delay: float) -> Path:
    local_web.write_seeds(directory)
    for path in directory.glob("*.toml"):
        body = path.read_text(encoding="utf-8")
        path.write_text(body.replace("download_delay = 0.0", f"download_delay = {delay}"))
    return directory


def akhbar(
    db_url: str, seeds: Path, *args: str, stdin: str | None = None, ok: bool = True
) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds), *args, "--json"]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout.strip()
    result: Any = json.loads(out) if out else {}
    return result[0] if isinstance(result, list) else result


def page_urls(db_url: str, source: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        rows = session.execute(select(Page.url, Page.fetch_count).where(Page.source == source))
        result = {url: count for url, count in rows}
    engine.dispose()
    return result


def test_window_fetches_exactly_the_articles_dated_in_it(
    db_url: str, local_web: Any, local_seeds: Path
) -> None:
    # najmagency: a sitemap index with a news sitemap (publication dates) and a urlset (lastmod)
    since, until = date(2024, 3, 2), date(2024, 3, 8)
    summary = akhbar(
        db_url, local_seeds, "backfill", "najmagency", "--since", str(since), "--until", str(until)
    )
    expected = dated_urls(local_web, "najmagency", since, until)
    assert len(expected) == 3
    assert set(page_urls(db_url, "najmagency")) == expected
    assert summary["status"] == "ok" and summary["counters"]["new"] == 3
    assert summary["out_of_window"] > 0

    # sahilgate: no sitemap in its seeds (robots.txt declares one) and day archive pages
    since, until = date(2024, 2, 18), date(2024, 3, 4)
    akhbar(
        db_url, local_seeds, "backfill", "sahilgate", "--since", str(since), "--until", str(until)
    )
    expected = dated_urls(local_web, "sahilgate", since, until)
    assert len(expected) == 3
    assert set(page_urls(db_url, "sahilgate")) == expected
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun)))
    assert [(r.kind, r.status) for r in runs] == [("backfill", "ok")] * 2
    engine.dispose()


def test_interrupted_backfill_resumed_stores_every_article_once(
    db_url: str, local_web: Any, tmp_path: Path
) -> None:
    seeds = seeds_with_delay(local_web, tmp_path / "seeds", 0.25)
    args = ["backfill", "najmagency", "--since", "2000-01-01", "--until", "2024-12-31"]
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(seeds), *args]
    env = {**os.environ, "AKHBAR_CRAWL__BATCH_SIZE": "1"}
    victim = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and len(_safe_pages(db_url)) < 2:
            time.sleep(0.1)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    first = _safe_pages(db_url)
    truth = local_web.truth
    wanted = {a.url for a in truth.articles if a.source == "najmagency"}
    wanted |= {
        u for u in truth.failed + truth.rejected if u.startswith(base_of(local_web, "najmagency"))
    }
    assert 2 <= len(first) < len(wanted)

    summary = akhbar(db_url, seeds, *args)
    pages = page_urls(db_url, "najmagency")
    assert set(pages) == wanted
    assert set(pages.values()) == {1}, "a page was fetched twice"
    assert summary["counters"]["fetched"] == len(wanted) - len(first)
    assert summary["skipped_known"] >= len(first)
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
        stored = list(session.scalars(select(Article.url).where(Article.source == "najmagency")))
    assert [r.status for r in runs] == ["interrupted", "ok"]
    assert len(stored) == len(set(stored))

    # a URL list: stored URLs are skipped unless --refetch
    listed = "\n".join(sorted(wanted)[:2]) + "\n# a comment\n"
    again = akhbar(db_url, seeds, "backfill", "--urls", "-", "--source", "najmagency", stdin=listed)
    assert again["counters"]["fetched"] == 0 and again["skipped_known"] == 2
    forced = akhbar(
        db_url,
        seeds,
        "backfill",
        "--urls",
        "-",
        "--source",
        "najmagency",
        "--refetch",
        stdin=listed,
    )
    assert forced["counters"]["fetched"] == 2
    assert (
        sorted(u for u, n in page_urls(db_url, "najmagency").items() if n == 2)
        == sorted(wanted)[:2]
    )
    engine.dispose()


def _safe_pages(db_url: str) -> dict[str, int]:
    try:
        return page_urls(db_url, "najmagency")
    except Exception:  # schema not there yet
        return {}


def write_warc(path: Path, urls: list[str]) -> None:
    """Fetch ``urls`` and archive the responses, as a web archive would."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url in urls:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = resp.read()
                headers = StatusAndHeaders(
                    f"{resp.status} OK", list(resp.headers.items()), protocol="HTTP/1.0"
                )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)


ARTICLE_FIELDS = (
    "url",
    "canonical_url",
    "title",
    "text",
    "authors",
    "published_at",
    "modified_at",
    "language",
    "sitename",
    "categories",
    "tags",
    "description",
    "image_url",
    "word_count",
    "text_hash",
)


def articles_of(db_url: str, source: str) -> dict[str, tuple[Any, ...]]:
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        rows = session.scalars(select(Article).where(Article.source == source))
        result = {a.url: tuple(getattr(a, f) for f in ARTICLE_FIELDS) for a in rows}
    engine.dispose()
    return result


def test_warc_ingest_matches_a_live_crawl(
    db_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    live_db = f"sqlite:///{tmp_path / 'live.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "akhbar",
            "--db",
            live_db,
            "--seeds",
            str(local_seeds),
            "crawl",
            "sahilgate",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    live = articles_of(live_db, "sahilgate")
    assert len(live) == 6
    warc = tmp_path / "sahilgate.warc.gz"
    write_warc(warc, sorted(live))
    summary = akhbar(db_url, local_seeds, "backfill", "--warc", str(warc), "--source", "sahilgate")
    assert summary["counters"]["new"] == 6 and summary["discovered"] == 6
    assert articles_of(db_url, "sahilgate") == live
    # resumable too: a second pass stores nothing
    again = akhbar(db_url, local_seeds, "backfill", "--warc", str(warc), "--source", "sahilgate")
    assert again["counters"]["fetched"] == 0 and again["skipped_known"] == 6


def test_url_list_with_bad_lines_skips_them_and_fetches_the_rest(
    db_url: str, local_web: Any, local_seeds: Path
) -> None:
    since, until = date(2024, 3, 2), date(2024, 3, 8)
    good = sorted(dated_urls(local_web, "najmagency", since, until))
    assert len(good) == 3
    listed = "\n".join(
        ["# picked by hand", good[0], "not-a-url", good[1], "ftp://example.org/x", "", good[2]]
    )
    command = ["backfill", "--urls", "-", "--source", "najmagency"]
    proc = subprocess.run(
        [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(local_seeds), *command],
        input=listed,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # each bad line is logged with its number, and every good URL after it was fetched
    assert "line 3 skipped: 'not-a-url'" in proc.stderr
    assert "line 5 skipped: 'ftp://example.org/x' is not an http(s) URL" in proc.stderr
    assert set(page_urls(db_url, "najmagency")) == set(good)
    assert "note: 2 lines of the URL list skipped" in proc.stdout
    engine = make_engine(db_url)
    with Repository(engine).sessions() as session:
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert (run.kind, run.status, run.fetched, run.new) == ("backfill", "ok", 3, 3)
    assert run.error is not None
    assert "2 lines of the URL list skipped" in run.error
    assert "line 3: 'not-a-url'" in run.error and "line 5: 'ftp://example.org/x'" in run.error


def copy_boilerplate(source: str, from_db: str, to_db: str, home: str) -> int:
    """Give ``to_db`` the boilerplate model ``from_db`` learned for ``source``; its line count."""
    from akhbar.storage.boilerplate import BoilerplateStore
    from akhbar.storage.migrate import ensure_schema

    engine_from, engine_to = make_engine(from_db), make_engine(to_db)
    model = BoilerplateStore(engine_from).load(source)
    ensure_schema(engine_to)
    Repository(engine_to).sync_source(source, home, ["ar"])
    for stat in model.lines.values():
        stat.dirty = True
    BoilerplateStore(engine_to).save(model)
    engine_from.dispose()
    engine_to.dispose()
    return len(model.lines)


def test_crawl_and_warc_backfill_store_the_same_text_once_boilerplate_is_learned(
    db_url: str, local_web: Any, local_seeds: Path, tmp_path: Path
) -> None:
    """Crawl and ``backfill --warc`` open their runs the same way: with the source's learned
    boilerplate model, the same pages get the same stored record (wahanews: the portal whose
    in-article teasers the model learns)."""
    source, home = "wahanews", base_of(local_web, "wahanews")
    learn_db = f"sqlite:///{tmp_path / 'learn.db'}"
    crawl_db = f"sqlite:///{tmp_path / 'crawl.db'}"
    akhbar(learn_db, local_seeds, "crawl", source)
    assert copy_boilerplate(source, learn_db, crawl_db, home) > 0
    assert copy_boilerplate(source, learn_db, db_url, home) > 0
    akhbar(crawl_db, local_seeds, "crawl", source)
    crawled = articles_of(crawl_db, source)
    assert len(crawled) >= 5
    warc = tmp_path / "wahanews.warc.gz"
    write_warc(warc, sorted(crawled))
    summary = akhbar(db_url, local_seeds, "backfill", "--warc", str(warc), "--source", source)
    assert summary["counters"]["new"] == len(crawled)
    archived = articles_of(db_url, source)
    texts = {url: row[ARTICLE_FIELDS.index("text")] for url, row in archived.items()}
    assert texts == {url: row[ARTICLE_FIELDS.index("text")] for url, row in crawled.items()}
    assert archived == crawled
    # and no chrome line is left in either
    chrome = [c for c in local_web.truth.chrome_strings if len(c) > 6]
    assert not [c for t in texts.values() for c in chrome if c in t.splitlines()]
