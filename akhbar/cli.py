"""The ``akhbar`` command line: a thin layer over the library.

Every command is a few lines calling a documented function; failures print one clear line
(``error: ...``) and exit non-zero, with a traceback only under ``--debug``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from akhbar.errors import AkhbarError
from akhbar.settings import AkhbarSettings

# Off a terminal (make, CI, pipes) rich would squeeze tables into 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
log = logging.getLogger("akhbar")


class CLIError(click.ClickException):
    """A failure with a one-line explanation for the user."""

    def show(self, file: Any = None) -> None:
        err_console.print(f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    raise CLIError(message)


class AkhbarGroup(click.Group):
    """Turns library exceptions into one clear line unless --debug is given."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("akhbar.debug"):
                raise
            raise CLIError(_one_line(exc)) from exc


def _one_line(exc: Exception) -> str:
    """The user-facing line for an exception (details stay for --debug)."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, AkhbarError):
        message = str(exc)
    elif isinstance(exc, OperationalError):
        message = f"database error: {exc.orig}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _settings(ctx: click.Context) -> AkhbarSettings:
    settings = ctx.find_object(AkhbarSettings)
    assert settings is not None
    return settings


@click.group(cls=AkhbarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL", help="Database URL [env AKHBAR_DATABASE_URL].")
@click.option(
    "--seeds",
    "seeds_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Seeds directory [env AKHBAR_SEEDS_DIR].",
)
@click.option("--log-level", metavar="LEVEL", help="DEBUG, INFO, WARNING [env AKHBAR_LOG_LEVEL].")
@click.option("--debug", is_flag=True, help="Verbose logs and full tracebacks.")
@click.version_option(package_name="akhbar")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    seeds_dir: Path | None,
    log_level: str | None,
    debug: bool,
) -> None:
    """akhbar: crawl news sites into a clean, duplicate-free SQL corpus."""
    overrides: dict[str, Any] = {}
    if db_url:
        overrides["database_url"] = db_url
    if seeds_dir:
        overrides["seeds_dir"] = seeds_dir
    if debug:
        overrides["log_level"] = "DEBUG"
    elif log_level:
        overrides["log_level"] = log_level.upper()
    try:
        settings = AkhbarSettings(**overrides)
    except Exception as exc:
        fail(f"invalid settings: {exc}".splitlines()[0])
    ctx.obj = settings
    ctx.meta["akhbar.debug"] = debug
    _configure_logging(settings.log_level)


class _LibraryNoiseFilter(logging.Filter):
    """Below WARNING, only akhbar's own one-line-per-event logs reach the user.

    Scrapy resets its loggers' levels when a crawl starts, so a level alone cannot keep its
    start-up chatter out; a filter on the handler can.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.startswith("akhbar")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    if level.upper() != "DEBUG":
        for handler in logging.getLogger().handlers:
            handler.addFilter(_LibraryNoiseFilter())
        for noisy in ("scrapy", "twisted", "trafilatura", "htmldate", "courlan", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


# -- db ---------------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema: create, migrate, inspect."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database schema to REVISION (default: the latest)."""
    from akhbar.storage import make_engine
    from akhbar.storage.migrate import current_revision, upgrade

    engine = make_engine(_settings(ctx).database_url)
    upgrade(engine, revision)
    console.print(f"database at revision {current_revision(engine)}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision and the latest one."""
    from akhbar.storage import make_engine
    from akhbar.storage.migrate import current_revision, head_revision

    engine = make_engine(_settings(ctx).database_url)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else "needs `akhbar db upgrade`"
    console.print(f"current: {current or '(empty database)'}  head: {head}  ({state})")


# -- seeds ------------------------------------------------------------------------------------
@cli.group()
def seeds() -> None:
    """Seeds files: one TOML file per news source."""


@seeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def seeds_list(ctx: click.Context, as_json: bool) -> None:
    """List the valid sources of the seeds directory."""
    from akhbar.seeds import load_seeds

    loaded = load_seeds(_settings(ctx).seeds_dir)
    for error in loaded.errors:
        err_console.print(f"[yellow]skipped:[/] {error}", highlight=False)
    if as_json:
        click.echo(json.dumps([s.model_dump() for s in loaded.sources], ensure_ascii=False))
        return
    table = Table("source", "language", "schedule", "feeds", "sitemaps", "start", "home")
    for s in loaded.sources:
        table.add_row(
            s.name,
            ",".join(s.languages),
            s.schedule,
            str(len(s.feeds)),
            str(len(s.sitemaps)),
            str(len(s.start_urls)),
            s.home,
        )
    console.print(table)


@seeds.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def seeds_validate(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Validate the seeds directory (or FILES); one line per problem, exit 1 if any."""
    from akhbar.seeds import SeedError, SourceConfig, load_seeds, load_source_file

    errors: list[SeedError] = []
    count = 0
    if files:
        for path in files:
            result = load_source_file(path)
            if isinstance(result, SourceConfig):
                count += 1
            else:
                errors.extend(result)
    else:
        loaded = load_seeds(_settings(ctx).seeds_dir)
        errors, count = loaded.errors, len(loaded.sources)
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{count} valid source(s), {len(errors)} problem(s)")
    if errors:
        ctx.exit(1)


# -- crawl ------------------------------------------------------------------------------------
@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Crawl every valid source.")
@click.option(
    "--kind",
    type=click.Choice(["manual", "scheduled", "backfill"]),
    default="manual",
    show_default=True,
    help="Recorded on the crawl_runs row.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summaries as JSON.")
@click.pass_context
def crawl(
    ctx: click.Context, sources: tuple[str, ...], all_sources: bool, kind: str, as_json: bool
) -> None:
    """Crawl SOURCE... (names from the seeds directory) or --all, once."""
    from akhbar.crawler.process import run_crawl
    from akhbar.seeds import load_seeds

    settings = _settings(ctx)
    if bool(sources) == all_sources:
        fail("name one or more SOURCEs, or use --all")
    loaded = load_seeds(settings.seeds_dir)
    for error in loaded.errors:
        err_console.print(f"[yellow]skipped:[/] {error}", highlight=False)
    if all_sources:
        selected = loaded.sources
    else:
        unknown = [name for name in sources if loaded.get(name) is None]
        if unknown:
            fail(f"unknown or invalid source(s): {', '.join(unknown)} (see `akhbar seeds list`)")
        selected = [s for s in loaded.sources if s.name in sources]
    if not selected:
        fail(f"no valid sources in {settings.seeds_dir}")
    summaries = run_crawl(settings, selected, kind=kind)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in summaries], ensure_ascii=False))
    else:
        table = Table(
            "source", "run", "status", "fetched", "new", "duplicate", "rejected", "failed"
        )
        for s in summaries:
            c = s.counters
            table.add_row(
                s.source,
                str(s.run_id),
                s.status,
                *map(str, (c.fetched, c.new, c.duplicate, c.rejected, c.failed)),
            )
        console.print(table)
    if any(s.status != "ok" for s in summaries) or len(summaries) != len(selected):
        ctx.exit(1)


# -- extract ----------------------------------------------------------------------------------
@cli.command()
@click.argument("path_or_url")
@click.option("--url", "page_url", metavar="URL", help="The page's URL (for a local file).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
@click.option("--language", "languages", multiple=True, help="Accepted language(s).")
@click.pass_context
def extract(
    ctx: click.Context,
    path_or_url: str,
    page_url: str | None,
    as_json: bool,
    languages: tuple[str, ...],
) -> None:
    """Run the cleaner on one page (a file or an http(s) URL) and print the article."""
    from akhbar.cleaner import extract as clean
    from akhbar.records import Rejection

    encoding: str | None = None
    if path_or_url.startswith(("http://", "https://")):
        body, encoding, final_url = _download(path_or_url, _settings(ctx))
        page_url = page_url or final_url
    else:
        path = Path(path_or_url)
        if not path.is_file():
            fail(f"no such file: {path}")
        body = path.read_bytes()
        page_url = page_url or path.resolve().as_uri()
    result = clean(
        body, page_url, encoding=encoding, settings=_settings(ctx).cleaner, languages=languages
    )
    if isinstance(result, Rejection):
        if as_json:
            click.echo(json.dumps({"rejected": result.reason.value, "detail": result.detail}))
        else:
            err_console.print(f"rejected: {result.reason.value}: {result.detail}", highlight=False)
        ctx.exit(2)
    if as_json:
        record = asdict(result)
        record["word_count"] = result.word_count
        click.echo(json.dumps(record, ensure_ascii=False, default=str, indent=2))
    else:
        click.echo(result.title)
        click.echo()
        click.echo(result.text)


def _download(url: str, settings: AkhbarSettings) -> tuple[bytes, str | None, str]:
    request = urllib.request.Request(url, headers={"User-Agent": settings.crawl.user_agent})
    try:
        with urllib.request.urlopen(request, timeout=settings.crawl.download_timeout) as resp:
            body = resp.read(20 * 1024 * 1024)
            return body, resp.headers.get_content_charset(), resp.geturl()
    except OSError as exc:
        fail(f"cannot fetch {url}: {exc}")


# -- stats ------------------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Per source: pages, articles, duplicates, rejected, failed, last run."""
    from akhbar.storage import Repository, make_engine
    from akhbar.storage.migrate import current_revision

    engine = make_engine(_settings(ctx).database_url)
    if current_revision(engine) is None:
        fail("the database has no akhbar schema yet (run `akhbar db upgrade` or a crawl)")
    rows = Repository(engine).stats()
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, default=str))
        return
    print_stats(rows)


def print_stats(rows: list[Any]) -> None:
    """The stats table (shared by ``stats`` and ``demo``)."""
    table = Table(
        "source", "pages", "articles", "duplicates", "rejected", "failed", "last run", "reasons"
    )
    totals = [0, 0, 0, 0, 0]
    for r in rows:
        values = [r.pages, r.articles, r.duplicates, r.rejected, r.failed]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        last = f"{r.last_run_at:%Y-%m-%d %H:%M} {r.last_run_status}" if r.last_run_at else "-"
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(r.reasons.items()))
        table.add_row(r.source, *map(str, values), last, reasons)
    table.add_row("[bold]total[/]", *(f"[bold]{t}[/]" for t in totals), "", "")
    console.print(table)


# -- cleaner: reprocess (issue 4) ------------------------------------------------------------


# -- dedup: dupes (issue 5) -------------------------------------------------------------------


# -- scheduling, runs and backfill (issue 6) --------------------------------------------------


# -- readers: export and search (issue 7) -----------------------------------------------------


# -- local news web and demo -----------------------------------------------------------------
@cli.command()
@click.option(
    "--seeds-out",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a seeds file per local site into DIR.",
)
def localweb(seeds_out: Path | None) -> None:
    """Serve the bundled local Arabic news web on loopback until Ctrl-C."""
    import signal
    import threading

    from akhbar.localweb import LocalNewsWeb

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalNewsWeb() as web:
        if seeds_out:
            seeds_out.mkdir(parents=True, exist_ok=True)
            web.write_seeds(seeds_out)
            console.print(f"seeds written to {seeds_out}")
        for site in web.sites:
            console.print(f"{site.name:<16} {site.base_url}  {site.title}")
        console.print("serving; Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


@cli.command()
@click.option("--fresh", is_flag=True, help="Delete the (SQLite) demo database first.")
@click.pass_context
def demo(ctx: click.Context, fresh: bool) -> None:
    """Serve the local news web, crawl it into the database, print a summary."""
    import tempfile

    from sqlalchemy.engine import make_url

    from akhbar.crawler.process import run_crawl
    from akhbar.localweb import LocalNewsWeb
    from akhbar.seeds import load_seeds
    from akhbar.storage import Repository, make_engine

    settings = _settings(ctx)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        db_path = Path(url.database)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    elif fresh:
        fail("--fresh only deletes SQLite databases; use an empty PostgreSQL database instead")
    with LocalNewsWeb() as web, tempfile.TemporaryDirectory(prefix="akhbar-demo-") as tmp:
        web.write_seeds(Path(tmp))
        console.print("[bold]local news web[/]")
        for site in web.sites:
            console.print(f"  {site.name:<14} {site.base_url}  {site.title}")
        loaded = load_seeds(Path(tmp))
        if loaded.errors:
            fail(f"demo seeds invalid: {loaded.errors[0]}")
        console.print(f"[bold]crawling into[/] {url.render_as_string(hide_password=True)}")
        run_crawl(settings.model_copy(update={"seeds_dir": Path(tmp)}), loaded.sources)
        truth = web.truth
    rows = Repository(make_engine(settings.database_url)).stats()
    print_stats(rows)
    got = {
        "articles": sum(r.articles for r in rows),
        "duplicates": sum(r.duplicates for r in rows),
        "rejected": sum(r.rejected for r in rows),
        "failed": sum(r.failed for r in rows),
    }
    expected = {
        "articles": truth.expected_article_count,
        "duplicates": truth.expected_duplicate_count,
        "rejected": len(truth.rejected),
        "failed": len(truth.failed),
    }
    table = Table("known truth of the local web", "expected", "stored", "")
    for key, want in expected.items():
        ok = got[key] == want
        table.add_row(key, str(want), str(got[key]), "[green]✓[/]" if ok else "[red]✗[/]")
    console.print(table)
    if got != expected:
        fail("the demo database does not match the local web's known truth")
    console.print(f"[green]demo database:[/] {url.render_as_string(hide_password=True)}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="akhbar")
