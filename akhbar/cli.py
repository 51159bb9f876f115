"""The ``akhbar`` command line: a thin layer over the library.

Every command is a few lines calling a documented function; failures print one clear line
(``error: ...``) and exit non-zero, with a traceback only under ``--debug``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from akhbar.cli_options import DAY, echo_json, json_option, since_option
from akhbar.errors import AkhbarError
from akhbar.settings import AkhbarSettings, load_settings

# Off a terminal (make, CI, pipes) rich would squeeze tables into 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
log = logging.getLogger("akhbar")

# Article ids and cursors are 64-bit signed integers on both databases: a larger number is a
# usage error, not an OverflowError from the driver.
MAX_ID = 2**63 - 1


class Table(RichTable):
    """A rich table whose plain-string cells print as they are: rich would read user and library
    text as markup (``akhbar[parquet]`` and a regex's ``[a-z]`` would vanish). Styled cells are
    passed as :class:`rich.text.Text`."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        cells = [Text(c) if isinstance(c, str) else c for c in renderables]
        super().add_row(*cells, **kwargs)


class CLIError(click.ClickException):
    """A failure with a one-line explanation for the user."""

    def show(self, file: Any = None) -> None:
        err_console.print(
            f"[bold red]error:[/] {escape(self.message)}", highlight=False, soft_wrap=True
        )


def fail(message: str) -> NoReturn:
    raise CLIError(message)


class AkhbarGroup(click.Group):
    """Turns library exceptions into one clear line unless --debug is given."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # the reader of our stdout went away (`akhbar export --out - | head`): not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            if ctx.meta.get("akhbar.debug"):
                raise
            raise CLIError(_one_line(exc, ctx.find_object(AkhbarSettings))) from exc


def _one_line(exc: Exception, settings: AkhbarSettings | None = None) -> str:
    """The user-facing line for an exception (details stay for --debug)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, AkhbarError):
        message = str(exc)
    elif isinstance(exc, DBAPIError):
        reason = next((x for x in str(exc.orig).splitlines() if x.strip()), type(exc).__name__)
        message = f"database error: {reason}"
        if settings is not None:  # which database, without its password
            from sqlalchemy.engine import make_url

            with contextlib.suppress(Exception):
                url = make_url(settings.database_url).render_as_string(hide_password=True)
                message += f" ({url})"
    else:
        message = f"{type(exc).__name__}: {exc}"
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _settings(ctx: click.Context) -> AkhbarSettings:
    settings = ctx.find_object(AkhbarSettings)
    assert settings is not None
    return settings


def _require_database(settings: AkhbarSettings) -> None:
    """Commands that only read refuse a SQLite file that does not exist (connecting would
    create an empty one)."""
    from akhbar.storage.database import missing_sqlite_file

    missing = missing_sqlite_file(settings.database_url)
    if missing is not None:
        fail(f"no database at {missing} (check --db / AKHBAR_DATABASE_URL, or crawl first)")


def _read_engine(ctx: click.Context) -> Any:
    """The engine of a command that only reads: the database must exist and have the schema."""
    from akhbar.storage.migrate import current_revision

    settings = _settings(ctx)
    _require_database(settings)
    engine = _engine(ctx)
    if current_revision(engine) is None:
        fail("the database has no akhbar schema yet (run `akhbar db upgrade` or a crawl)")
    return engine


def _engine(ctx: click.Context) -> Any:
    """An engine on the configured database (with its connect timeout)."""
    from akhbar.storage import make_engine

    settings = _settings(ctx)
    return make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)


def _load_seeds(settings: AkhbarSettings) -> Any:
    """The seeds directory's sources (a SeedsLoad); a missing directory is a one-line error."""
    from akhbar.seeds import load_seeds

    if not settings.seeds_dir.is_dir():
        fail(f"seeds directory not found: {settings.seeds_dir} (--seeds DIR or AKHBAR_SEEDS_DIR)")
    return load_seeds(settings.seeds_dir)


def _warn_skipped(errors: Sequence[Any]) -> None:
    """One ``skipped:`` line per seeds problem (its source is left out, the others go on)."""
    for error in errors:
        err_console.print(
            f"[yellow]skipped:[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )


def _select_sources(settings: AkhbarSettings, names: Sequence[str]) -> list[Any]:
    """The valid sources of the seeds directory named by SOURCE arguments or ``--source``
    (every one when ``names`` is empty), after the seeds problems. A name that is not a valid
    source is one line listing the known names (seeds.UnknownSource); none at all, another."""
    loaded = _load_seeds(settings)
    _warn_skipped(loaded.errors)
    selected: list[Any] = loaded.select(names)
    if not selected:
        fail(f"no valid sources in {settings.seeds_dir}")
    return selected


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
@click.option("--verbose", "-v", is_flag=True, help="Log one line per crawled page too.")
@click.option("--debug", is_flag=True, help="Everything --verbose shows, library logs, tracebacks.")
@click.version_option(package_name="akhbar")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    seeds_dir: Path | None,
    log_level: str | None,
    verbose: bool,
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
    ctx.meta["akhbar.debug"] = debug
    settings = load_settings(**overrides)  # InvalidSettings: one line naming the variable
    ctx.obj = settings
    _configure_logging(settings.log_level)
    # --verbose: the line per page, without the libraries' logs and tracebacks (--debug)
    logging.getLogger("akhbar.pages").setLevel(logging.DEBUG if verbose else logging.NOTSET)


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
@click.argument("revision", default="heads")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database schema to REVISION (default: the latest)."""
    from akhbar.storage.migrate import current_revision, upgrade

    engine = _engine(ctx)
    upgrade(engine, revision)
    console.print(f"database at revision {current_revision(engine)}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision and the latest one."""
    from akhbar.storage.migrate import current_revision, head_revision

    engine = _engine(ctx)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else "needs `akhbar db upgrade`"
    console.print(f"current: {current or '(empty database)'}  head: {head}  ({state})")


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Compare the database's schema with this akhbar's models; exit 1 on any difference."""
    from akhbar.storage import make_engine
    from akhbar.storage.migrate import current_revision, head_revision, schema_drift

    settings = _settings(ctx)
    _require_database(settings)
    engine = make_engine(settings.database_url)
    current, head = current_revision(engine), head_revision()
    if current is None:
        fail("the database has no akhbar schema yet (run `akhbar db upgrade`)")
    drift = schema_drift(engine)
    for line in drift:
        click.echo(f"drift: {line}")
    problems = len(drift)
    if current != head:
        click.echo(f"revision: database at {current}, this akhbar's migrations end at {head}")
        problems += 1
    if problems:
        why = (
            "the database is behind: run `akhbar db upgrade`"
            if current != head
            else "a migration is missing, or the database was changed by hand"
        )
        click.echo(f"{problems} difference(s) between the database and the models ({why})")
        ctx.exit(1)
    click.echo(f"database at {current} matches the models")


# -- seeds ------------------------------------------------------------------------------------
@cli.group()
def seeds() -> None:
    """Seeds files: one TOML file per news source."""


@seeds.command("list")
@json_option("the sources")
@click.pass_context
def seeds_list(ctx: click.Context, as_json: bool) -> None:
    """List the valid sources of the seeds directory."""
    from akhbar.seeds import load_seeds

    loaded = load_seeds(_settings(ctx).seeds_dir)
    _warn_skipped(loaded.errors)
    if as_json:
        echo_json([s.model_dump() for s in loaded.sources])
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
    if not files and not errors and not count:  # nothing to crawl is not "all valid"
        where = _settings(ctx).seeds_dir
        err_console.print(
            f"[yellow]warning:[/] no seeds files (*.toml) in {escape(str(where))}",
            highlight=False,
            soft_wrap=True,
        )
    click.echo(f"{count} valid source(s), {len(errors)} problem(s)")
    if errors or not count:
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
@json_option("the run summaries")
@click.option(
    "--distributed",
    is_flag=True,
    help="Be one of several workers sharing the crawl's queue on Redis (AKHBAR_REDIS_URL; "
    "also AKHBAR_CRAWL__DISTRIBUTED=true), see docs/scaling.md.",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    sources: tuple[str, ...],
    all_sources: bool,
    kind: str,
    as_json: bool,
    distributed: bool,
) -> None:
    """Crawl SOURCE... (names from the seeds directory) or --all, once."""
    settings = _settings(ctx)
    if distributed:
        settings = settings.model_copy(
            update={"crawl": settings.crawl.model_copy(update={"distributed": True})}
        )
    if bool(sources) == all_sources:
        fail("name one or more SOURCEs, or use --all")
    selected = _select_sources(settings, sources)
    summaries = _crawl_showing_progress(settings, selected, kind)
    if as_json:
        echo_json(summaries)
    else:
        table = Table(
            "source",
            "run",
            "status",
            "fetched",
            "new",
            "duplicate",
            "rejected",
            "failed",
            "not fetched",
        )
        for s in summaries:
            c = s.counters
            skipped = [
                f"{n} {why}"
                for n, why in (
                    (s.skipped_known, "stored before"),
                    (s.skipped_robots, "robots.txt"),
                    (s.skipped_budget, "over budget"),
                )
                if n
            ]
            table.add_row(
                s.source,
                str(s.run_id),
                s.status,
                *map(str, (c.fetched, c.new, c.duplicate, c.rejected, c.failed)),
                ", ".join(skipped) or "-",
            )
        console.print(table)
    if any(s.status != "ok" for s in summaries) or len(summaries) != len(selected):
        ctx.exit(1)


def _warm_up_workers(settings: AkhbarSettings) -> None:
    """Start the extraction workers' forkserver before this command's own heavy imports, so
    that both import side by side (akhbar.forkserver)."""
    if settings.crawl.extract_workers != 0:
        from akhbar.forkserver import warm_up

        warm_up()


def _crawl_showing_progress(settings: AkhbarSettings, sources: Any, kind: str) -> list[Any]:
    """Run the crawl with its progress: a live display on a terminal, else a periodic line."""
    _warm_up_workers(settings)
    from akhbar.crawler.process import run_crawl
    from akhbar.crawler.progress import LogProgress, TerminalProgress

    if err_console.is_terminal:
        with TerminalProgress(err_console) as display:
            return run_crawl(settings, sources, kind=kind, progress=display)
    progress = LogProgress(settings.crawl.progress_every)
    return run_crawl(settings, sources, kind=kind, progress=progress)


# -- extract ----------------------------------------------------------------------------------
@cli.command()
@click.argument("path_or_url")
@click.option("--url", "page_url", metavar="URL", help="The page's URL (for a local file).")
@json_option("the whole record")
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
    limit = _settings(ctx).crawl.max_response_bytes  # the crawler refuses larger pages too
    if path_or_url.startswith(("http://", "https://")):
        body, encoding, final_url = _download(path_or_url, _settings(ctx))
        page_url = page_url or final_url
    else:
        path = Path(path_or_url)
        if not path.is_file():
            fail(f"no such file: {path}")
        if path.stat().st_size > limit:
            fail(_too_large(str(path), limit, path.stat().st_size))
        body = path.read_bytes()
        page_url = page_url or path.resolve().as_uri()
    result = clean(
        body, page_url, encoding=encoding, settings=_settings(ctx).cleaner, languages=languages
    )
    if isinstance(result, Rejection):
        if as_json:
            echo_json({"rejected": result.reason.value, "detail": result.detail})
        else:
            err_console.print(
                f"rejected: {result.reason.value}: {escape(result.detail)}", highlight=False
            )
        ctx.exit(2)
    if as_json:
        record = asdict(result)
        record["word_count"] = result.word_count
        echo_json(record, indent=2)
    else:
        click.echo(result.title)
        click.echo()
        click.echo(result.text)


def _too_large(what: str, limit: int, size: int | None = None) -> str:
    """The refusal of a page over the crawler's size limit (its failure kind: too_large)."""
    how_big = "over" if size is None else f"{size:,} bytes, over"
    return (
        f"too_large: {what} is {how_big} the crawler's limit of {limit:,} bytes "
        "(AKHBAR_CRAWL__MAX_RESPONSE_BYTES)"
    )


def _download(url: str, settings: AkhbarSettings) -> tuple[bytes, str | None, str]:
    """The page at ``url``, refused (like the crawler does) when over its size limit."""
    limit = settings.crawl.max_response_bytes
    request = urllib.request.Request(url, headers={"User-Agent": settings.crawl.user_agent})
    try:
        with urllib.request.urlopen(request, timeout=settings.crawl.download_timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                fail(_too_large(url, limit, int(declared)))
            body = resp.read(limit + 1)
            if len(body) > limit:
                fail(_too_large(url, limit))
            return body, resp.headers.get_content_charset(), resp.geturl()
    except OSError as exc:
        fail(f"cannot fetch {url}: {exc}")


# -- stats ------------------------------------------------------------------------------------
@cli.command()
@json_option("the statistics")
@click.option(
    "--top", default=10, show_default=True, metavar="N", help="Top syndicated stories to show."
)
@click.option(
    "--syndicated", is_flag=True, help="Print only the top syndicated stories (with --json: JSON)."
)
@click.pass_context
def stats(ctx: click.Context, as_json: bool, top: int, syndicated: bool) -> None:
    """Per source: pages, articles, duplicates and duplicate rate, rejected, failed, last run;
    then the most syndicated stories."""
    from akhbar.storage import Repository
    from akhbar.storage.provenance import duplicate_rates, top_syndicated
    from akhbar.storage.runs import reap_on_read

    engine = _read_engine(ctx)
    # dead runs shown as such
    reap_on_read(Repository(engine), _settings(ctx).scheduler.stale_after)
    stories = top_syndicated(engine, top)
    if syndicated:
        if as_json:
            echo_json(stories)
        else:
            print_syndicated(stories)
        return
    rows = Repository(engine).stats()
    rates = duplicate_rates(engine)
    if as_json:  # one object per source, as before, with the duplicate rate added
        out = []
        for r in rows:
            rate = rates.get(r.source)
            extra: dict[str, Any] = {
                "duplicate_rate": rate.rate if rate else 0.0,
                "duplicates_by_kind": rate.by_kind if rate else {},
            }
            out.append(asdict(r) | extra)
        echo_json(out)
        return
    print_stats(rows)
    print_duplicate_rates(list(rates.values()))
    if top > 0:
        print_syndicated(stories)


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
    table.add_row(
        Text("total", style="bold"), *(Text(str(t), style="bold") for t in totals), "", ""
    )
    console.print(table)


# -- health -----------------------------------------------------------------------------------
_STATUS_STYLE = {
    "ok": "green",
    "never run": "yellow",
    "quiet": "yellow",
    "degraded": "red",
    "broken": "bold red",
}


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@json_option("the report")
@click.pass_context
def health(ctx: click.Context, sources: tuple[str, ...], as_json: bool) -> None:
    """Per source: ok, quiet, degraded, broken or never run, and why, from the database and
    the seeds. Exit status 0 when every source is ok, 1 otherwise (for cron and monitoring).
    Thresholds: AKHBAR_HEALTH__* (see docs/deploy.md)."""
    from akhbar.health import all_ok, source_health
    from akhbar.storage import Repository
    from akhbar.storage.runs import reap_on_read

    settings = _settings(ctx)
    engine = _read_engine(ctx)
    reap_on_read(Repository(engine), settings.scheduler.stale_after)  # dead runs as failed
    seeds: list[str] | None = None
    seed_errors: list[Any] = []
    if settings.seeds_dir.is_dir():  # the seeds name the sources that should be running
        loaded = _load_seeds(settings)
        seeds, seed_errors = [s.name for s in loaded.sources], loaded.errors
    _warn_skipped(seed_errors)
    # an unknown SOURCE: seeds.UnknownSource, listing the sources of the seeds and database
    report = source_health(engine, settings.health, sources=sources, seeds=seeds)
    if as_json:
        echo_json(report)
    else:
        print_health(report)
    if not all_ok(report) or seed_errors:
        ctx.exit(1)


def print_health(report: list[Any]) -> None:
    """The `health` table: one line per source, then its other findings and notes."""
    days = f"{report[0].recent_days} d" if report else "recent"
    table = Table("source", "status", "24 h", days, "usual day", "last new article", "why")
    for h in report:
        usual = f"{h.baseline_median_day:g}" if h.baseline_median_day is not None else "-"
        last = f"{h.last_article_at:%Y-%m-%d %H:%M}" if h.last_article_at else "-"
        why = "\n".join([h.reason, *(f.reason for f in h.findings[1:]), *h.notes])
        table.add_row(
            h.source,
            Text(str(h.status), style=_STATUS_STYLE.get(str(h.status), "")),
            str(h.articles_24h),
            str(h.articles_recent),
            usual,
            last,
            why,
        )
    console.print(table)


# -- cleaner: reprocess ----------------------------------------------------------------------
@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@since_option("Only pages fetched at or after DATE")
@json_option("the summaries")
@click.pass_context
def reprocess(
    ctx: click.Context, sources: tuple[str, ...], since: datetime | None, as_json: bool
) -> None:
    """Re-extract stored pages of SOURCE... (default: every source) with the current cleaner.

    Nothing is fetched: records and dedup verdicts are updated from pages.raw_html. Run it
    again to resume an interrupted reprocess. An article the cleaner now rejects but other
    pages copy is kept with its copies and flagged (pages.reason "kept: ...", "kept, copied").
    """
    from akhbar.reprocess import reprocess as run_reprocess

    settings = _settings(ctx)
    selected = _select_sources(settings, sources)
    if sys.stderr.isatty() and not as_json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
        ) as bar:
            tasks: dict[str, Any] = {}

            def show(source: str, done: int, total: int) -> None:
                if source not in tasks:
                    tasks[source] = bar.add_task(source, total=total)
                bar.update(tasks[source], completed=done)

            summaries = run_reprocess(settings, selected, since=since, progress=show)
    else:

        def log_progress(source: str, done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                logging.getLogger("akhbar.reprocess").info(
                    "%s reprocess progress %d/%d pages", source, done, total
                )

        summaries = run_reprocess(settings, selected, since=since, progress=log_progress)
    if as_json:
        echo_json(summaries)
        return
    table = Table(
        "source",
        "run",
        "status",
        "pages",
        "changed",
        "unchanged",
        "now rejected",
        "now article",
        "now duplicate",
        "kept, copied",
        "seconds",
    )
    for r in summaries:
        table.add_row(
            r.source,
            str(r.run_id),
            r.status,
            *map(
                str,
                (
                    r.pages,
                    r.changed,
                    r.unchanged,
                    r.now_rejected,
                    r.now_article,
                    r.now_duplicate,
                    r.kept_copied,
                ),
            ),
            f"{r.seconds:.1f}",
        )
    console.print(table)


# -- dedup: dupes ----------------------------------------------------------------------------
def print_duplicate_rates(rates: list[Any]) -> None:
    """Per source: articles, copies by kind, and the share of copies."""
    table = Table("source", "articles", "duplicates", "exact", "near", "url", "duplicate rate")
    for r in rates:
        kinds = [str(r.by_kind.get(k, 0)) for k in ("exact", "near", "url")]
        table.add_row(r.source, str(r.articles), str(r.duplicates), *kinds, f"{r.rate:.1%}")
    console.print(table)


def print_syndicated(stories: list[Any]) -> None:
    """The stories republished most often."""
    table = Table(
        "article", "copies", "sources", "first stored by", "title", title="top syndicated"
    )
    for s in stories:
        table.add_row(str(s.article_id), str(s.copies), str(s.sources), s.source, s.title)
    console.print(table)


@cli.command()
@click.argument("article_id", type=click.IntRange(min=0, max=MAX_ID))
@json_option("the story and its copies")
@click.pass_context
def dupes(ctx: click.Context, article_id: int, as_json: bool) -> None:
    """The copies of one story: source, URL, kind, similarity, containment, when found."""
    from akhbar.storage.provenance import copies_of

    engine = _read_engine(ctx)
    story = copies_of(engine, article_id)
    if story is None:
        fail(f"no article {article_id}")
    if as_json:
        echo_json(story)
        return
    console.print(
        f"article {story.article_id} ({story.source}, stored {story.stored_at:%Y-%m-%d %H:%M}): "
        f"{escape(story.title)}\n{escape(story.url)}",
        highlight=False,
    )
    table = Table("source", "url", "kind", "similarity", "containment", "found")
    for c in story.copies:
        containment = "-" if c.containment is None else f"{c.containment:.2f}"
        found = f"{c.detected_at:%Y-%m-%d %H:%M}"
        table.add_row(c.source, c.url, c.kind, f"{c.similarity:.2f}", containment, found)
    console.print(table)
    console.print(f"{len(story.copies)} copies")


# -- scheduling, runs and backfill -----------------------------------------------------------
@cli.command()
@click.option("--list", "list_only", is_flag=True, help="Show each source's next run and exit.")
@json_option("the --list listing")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on this port (0: any free port; bound to "
    "AKHBAR_SCHEDULER__METRICS_HOST, 127.0.0.1 by default).",
)
@click.pass_context
def schedule(ctx: click.Context, list_only: bool, as_json: bool, metrics_port: int | None) -> None:
    """Crawl every source on its seeds schedule, in the foreground, until SIGTERM or Ctrl-C.

    Jobs are kept in the database; SIGHUP reloads the seeds directory. On PostgreSQL more
    schedulers (other hosts) wait as standbys and take over when the active one dies. Limits,
    grace periods, failover and metrics: AKHBAR_SCHEDULER__* (see docs/deploy.md).
    """
    from akhbar.scheduler import run_scheduler, schedule_listing

    settings = _settings(ctx)
    if metrics_port is not None:
        scheduler = settings.scheduler.model_copy(update={"metrics_port": metrics_port})
        settings = settings.model_copy(update={"scheduler": scheduler})
    seed_errors = _load_seeds(settings).errors  # no seeds directory: an error, not no jobs
    if not list_only:
        run_scheduler(settings)  # logs the seeds problems itself (and again on SIGHUP)
        return
    _warn_skipped(seed_errors)
    entries = schedule_listing(settings)
    if as_json:
        echo_json(entries)
    else:
        _print_schedule(entries)
        from akhbar.scheduler_lock import active_scheduler

        active = active_scheduler(settings)
        if active is not None:
            console.print(f"active scheduler: {escape(active)}", highlight=False)
    if seed_errors:  # the listing is still shown; the exit status says the seeds need fixing
        ctx.exit(1)


def _print_schedule(entries: list[Any]) -> None:
    """The `schedule --list` table."""
    table = Table("source", "schedule", "next run (UTC)", "state", "last run")
    for e in entries:
        last = f"{e.last_run_at:%Y-%m-%d %H:%M:%S} {e.last_run_status}" if e.last_run_at else "-"
        table.add_row(
            e.source,
            e.schedule or "-",
            f"{e.next_run_at:%Y-%m-%d %H:%M:%S}" if e.next_run_at else "-",
            e.state,
            last,
        )
    console.print(table)


@cli.command()
@click.argument("source", required=False)
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@json_option("the runs")
@click.pass_context
def runs(ctx: click.Context, source: str | None, limit: int, as_json: bool) -> None:
    """Recent crawl runs (of SOURCE, or of all) with their counters and status."""
    from akhbar.storage.repository import Repository
    from akhbar.storage.runs import reap_on_read, recent_runs

    engine = _read_engine(ctx)
    # dead runs shown as such
    reap_on_read(Repository(engine), _settings(ctx).scheduler.stale_after)
    rows = recent_runs(Repository(engine), source, limit)
    if as_json:
        echo_json(rows)
        return
    table = Table(
        "run",
        "source",
        "kind",
        "status",
        "started (UTC)",
        "secs",
        "fetched",
        "new",
        "dup",
        "rejected",
        "failed",
        "error",
    )
    for r in rows:
        secs = f"{r.seconds:.0f}" if r.seconds is not None else "-"
        table.add_row(
            str(r.id),
            r.source,
            r.kind,
            r.status,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            secs,
            *map(str, (r.fetched, r.new, r.duplicate, r.rejected, r.failed)),
            (r.error or "")[:80],
        )
    console.print(table)


@cli.command()
@click.argument("source", required=False)
@since_option("First day of the window", day=True)
@click.option("--until", type=DAY, metavar="DATE", help="Last day of the window [default: today].")
@click.option(
    "--urls",
    "urls_file",
    type=click.File("r", encoding="utf-8"),
    help="Fetch these URLs instead (one per line; - for stdin); needs --source.",
)
@click.option(
    "--warc",
    "warc_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ingest the responses of a WARC file (no network); needs --source.",
)
@click.option("--source", "source_opt", metavar="NAME", help="Source of --urls / --warc.")
@click.option(
    "--resume/--refetch",
    default=True,
    show_default=True,
    help="Skip URLs already stored (default), or fetch them again.",
)
@json_option("the summary")
@click.pass_context
def backfill(
    ctx: click.Context,
    source: str | None,
    since: date | None,
    until: date | None,
    urls_file: Any,
    warc_path: Path | None,
    source_opt: str | None,
    resume: bool,
    as_json: bool,
) -> None:
    """Fill the database with a source's past: SOURCE --since DATE [--until DATE], or
    --urls FILE|- --source NAME, or --warc FILE.warc.gz --source NAME.

    Re-running an interrupted backfill fetches only what is missing.
    """
    settings = _settings(ctx)
    modes = sum(x is not None for x in (since, urls_file, warc_path))
    if modes != 1:
        fail("give exactly one of --since DATE, --urls FILE, --warc FILE")
    name = source if since else (source_opt or source)
    if not name:
        fail("name the SOURCE (or --source NAME with --urls / --warc)")
    (config,) = _select_sources(settings, [name])
    _warm_up_workers(settings)
    from akhbar.backfill import Window, backfill_crawl, backfill_warc, read_url_list

    if warc_path is not None:
        summary = backfill_warc(settings, config, warc_path, refetch=not resume)
    elif urls_file is not None:
        listed = read_url_list(urls_file)
        summary = backfill_crawl(
            settings,
            config,
            urls=listed.urls,
            refetch=not resume,
            progress=not as_json,
            notes=listed.notes(),
        )
    else:
        assert since is not None  # the mode above
        try:
            window = Window(since, until or datetime.now(UTC).date())
        except ValueError as exc:  # --until before --since
            fail(f"bad date: {exc}")
        summary = backfill_crawl(
            settings, config, window=window, refetch=not resume, progress=not as_json
        )
    if as_json:
        record = asdict(summary)
        record["reasons"] = dict(summary.reasons)
        echo_json(record)
    else:
        c = summary.counters
        table = Table(
            "source",
            "run",
            "status",
            "discovered",
            "fetched",
            "new",
            "duplicate",
            "rejected",
            "failed",
            "skipped",
            "top reasons",
        )
        skipped = [f"{summary.skipped_known} stored"]
        if summary.out_of_window:
            skipped.append(f"{summary.out_of_window} outside window")
        if summary.undated:
            skipped.append(f"{summary.undated} undated")
        table.add_row(
            summary.source,
            str(summary.run_id),
            summary.status,
            str(summary.discovered),
            *map(str, (c.fetched, c.new, c.duplicate, c.rejected, c.failed)),
            ", ".join(skipped),
            ", ".join(f"{k}={v}" for k, v in summary.top_reasons()) or "-",
        )
        console.print(table)
        for note in summary.notes:
            console.print(f"note: {note}", markup=False, highlight=False)
    if summary.status != "ok":
        ctx.exit(1)


# -- readers: export and search --------------------------------------------------------------
@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@since_option("Only articles published at or after DATE")
@click.option(
    "--after-id",
    type=click.IntRange(min=0, max=MAX_ID),
    default=None,
    metavar="N",
    help="Only articles stored after the cursor N (the cursor a previous export printed).",
)
@click.option(
    "--cursor-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Read the cursor from FILE (if no --after-id) and store the new one there afterwards.",
)
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source.")
@click.option("--language", "languages", multiple=True, metavar="LANG", help="Only this language.")
@click.option(
    "--include-duplicates", is_flag=True, help="Add each article's copies (url, source, kind…)."
)
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte-order mark (Excel).")
@click.option("--out", "out_path", default="-", metavar="PATH|-", help="Output file or - (stdout).")
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    since: datetime | None,
    after_id: int | None,
    cursor_file: Path | None,
    sources: tuple[str, ...],
    languages: tuple[str, ...],
    include_duplicates: bool,
    bom: bool,
    out_path: str,
) -> None:
    """Export articles (the article_feed view) as JSON Lines, CSV or Parquet, streaming."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from akhbar.storage.export import ExportFormat, export_articles
    from akhbar.storage.reader_cursor import FeedFilter

    if bom and fmt != "csv":
        fail("--bom applies to --format csv only")
    if after_id is None and cursor_file is not None and cursor_file.is_file():
        try:
            after_id = int(cursor_file.read_text(encoding="utf-8").strip() or 0)
        except ValueError:
            fail(f"{cursor_file} does not hold a cursor (an integer)")
        if not 0 <= after_id <= MAX_ID:
            fail(f"{cursor_file} holds {after_id}, not a cursor (0 to {MAX_ID})")
    filters = FeedFilter(
        after_id=after_id or 0,
        since=since,
        sources=sources,
        languages=languages,
        include_duplicates=include_duplicates,
    )
    engine = _read_engine(ctx)
    to_stdout = out_path == "-"
    if to_stdout and fmt == "parquet" and sys.stdout.isatty():
        fail("parquet is binary: use --out PATH or redirect stdout")
    show_progress = err_console.is_terminal
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not show_progress,
    )
    task = progress.add_task("exporting", total=None)
    target = Path(out_path)
    partial = target.with_name(target.name + ".part")  # renamed once complete
    try:
        with progress, contextlib.ExitStack() as stack:
            stream = sys.stdout.buffer if to_stdout else stack.enter_context(partial.open("wb"))
            summary = export_articles(
                engine,
                filters,
                ExportFormat(fmt),
                stream,
                bom=bom,
                on_total=(lambda n: progress.update(task, total=n)) if show_progress else None,
                on_row=(lambda: progress.advance(task)) if show_progress else None,
            )
    except BaseException:
        if not to_stdout:
            partial.unlink(missing_ok=True)
        raise
    if not to_stdout:
        partial.replace(target)
    if cursor_file is not None:
        cursor_file.write_text(f"{summary.cursor}\n", encoding="utf-8")
    where = "stdout" if to_stdout else str(target)
    err_console.print(
        f"exported {summary.count} article(s) as {summary.format} to {escape(where)}; "
        f"cursor {summary.cursor} (next: --after-id {summary.cursor})",
        highlight=False,
    )


@cli.command("search")
@click.argument("query")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source.")
@since_option("Only articles published at or after DATE")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@json_option("the hits")
@click.pass_context
def search_command(
    ctx: click.Context,
    query: str,
    sources: tuple[str, ...],
    since: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search of titles and texts (Arabic spelling variants match)."""
    from akhbar.storage.search import search

    hits = search(_read_engine(ctx), query, sources=sources, since=since, limit=limit)
    if as_json:
        records = [
            {**asdict(h), "published_at": h.published_at and h.published_at.isoformat()}
            for h in hits
        ]
        echo_json(records)
        return
    if not hits:
        err_console.print("no matching article")
        return
    table = Table("id", "source", "published", "title", "snippet")
    for hit in hits:
        published = f"{hit.published_at:%Y-%m-%d}" if hit.published_at else "-"
        table.add_row(str(hit.article_id), hit.source, published, hit.title, hit.snippet)
    console.print(table)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 opens the dashboard to the network (no login).",
)
@click.pass_context
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Open a read-only web dashboard (datasette) on the SQLite database until Ctrl-C."""
    from sqlalchemy.engine import make_url

    from akhbar.storage.database import normalise_database_url

    settings = _settings(ctx)
    url = make_url(normalise_database_url(settings.database_url))
    if url.get_backend_name() != "sqlite":
        fail(
            "akhbar serve reads SQLite databases only (datasette is SQLite-only); on PostgreSQL "
            "use a SQL or BI tool on the article_feed view, see docs/deploy.md"
        )
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        fail("akhbar serve needs a SQLite file path (sqlite:///path/to/akhbar.db)")
    _require_database(settings)
    from akhbar.dashboard.serve import check_database
    from akhbar.dashboard.serve import serve as serve_dashboard

    path = Path(url.database)
    check_database(path)
    console.print(f"dashboard (read-only): http://{host}:{port}/  (Ctrl-C to stop)")
    serve_dashboard(path, host, port)


# -- local news web and demo -----------------------------------------------------------------
@cli.command()
@click.option(
    "--seeds-out",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a seeds file per local site into DIR.",
)
@click.option(
    "--scale",
    type=click.IntRange(min=5),
    metavar="N",
    help="Serve the scaled web instead: N generated article pages on five sites "
    "(127.0.0.21-25), for load tests and benchmarks (from a checkout's benchmarks/).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Generator seed (--scale).")
def localweb(seeds_out: Path | None, scale: int | None, seed: int) -> None:
    """Serve the bundled local Arabic news web on loopback until Ctrl-C."""
    import signal
    import threading

    from akhbar.localweb import LocalNewsWeb

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if scale is not None:
        from akhbar.localweb.checkout import load_scaled_web

        with load_scaled_web().ScaledNewsWeb(scale, seed=seed) as scaled:
            if seeds_out:
                scaled.write_seeds(seeds_out)
                click.echo(f"seeds written to {seeds_out}")
            for scaled_site in scaled.sites:  # plain lines: benchmarks read them
                spec = scaled_site.spec
                click.echo(f"{spec.name:<16} {scaled_site.base}  {spec.title}")
            truth = {"pages": scaled.truth.pages, **scaled.truth.as_dict()}
            click.echo(f"truth {json.dumps(truth)}")
            click.echo("serving; Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        return
    with LocalNewsWeb() as web:
        if seeds_out:
            seeds_out.mkdir(parents=True, exist_ok=True)
            web.write_seeds(seeds_out)
            console.print(f"seeds written to {escape(str(seeds_out))}")
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
        console.print(f"[bold]crawling into[/] {escape(url.render_as_string(hide_password=True))}")
        demo_settings = settings.model_copy(update={"seeds_dir": Path(tmp)})
        _crawl_showing_progress(demo_settings, loaded.sources, "manual")
        truth = web.truth
    rows = Repository(
        make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    ).stats()
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
        mark = Text("✓", style="green") if ok else Text("✗", style="red")
        table.add_row(key, str(want), str(got[key]), mark)
    console.print(table)
    if got != expected:
        fail("the demo database does not match the local web's known truth")
    shown = escape(url.render_as_string(hide_password=True))
    console.print(f"[green]demo database:[/] {shown}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="akhbar")
