"""Pipeline and load benchmark: akhbar end-to-end against bare trafilatura on the same HTML.

Run: ``.venv/bin/python benchmarks/pipeline.py [--pages 20000] [--db sqlite|postgresql|both]
[--bare-sample 400]``. Serves the scaled local news web (``benchmarks/scaledweb.py``, five
sites, pages of 50–150 KiB) from a separate ``akhbar localweb --scale N`` process, so the
server's CPU shows apart from the crawler's, and prints in one run:

* bare single-process ``trafilatura.extract`` pages/s on a sample of the same pages (fetched
  over HTTP from the same server): with the options akhbar passes (``akhbar/cleaner/extract.py``)
  and with ``with_metadata=True``;
* per-stage figures measured alone on that sample: akhbar's cleaner pages/s, dedup docs/s
  (fingerprint + check + add), storage rows/s (article + page row, batched commits);
* for each database (a fresh SQLite file, a fresh PostgreSQL database): a real ``akhbar crawl
  --all`` subprocess (fetch → clean → dedup → store): wall time, article pages/s, ratio to bare
  trafilatura, CPU seconds of the crawl and of the server, peak RSS of the crawl process *and
  all its descendants* (summed, sampled every 0.5 s from /proc), RSS at 25/50/75/100% of the
  pages, the crawl's own ``stage seconds:`` lines when it logs them, and the database checked
  against the web's known truth (articles, duplicates, rejected, failed).

``--real crawl|warc|both`` measures the same on the real pages of ``../shared/real-pages`` and
``../shared/wcxb-articles`` instead (:mod:`realweb`): served on loopback and crawled with
``akhbar crawl --all``, and/or written to a WARC and ingested with ``akhbar backfill --warc``;
bare ``trafilatura.extract(with_metadata=True)`` on the same HTML in one process, ratios, start-up
(command start to the first request and to the first stored page), peak RSS, the per-stage split.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scaledweb import ARTICLE_BASE, SPECS, ScaledSite, ScaledTruth, scaled_truth  # noqa: E402

from akhbar.storage import Repository, make_engine  # noqa: E402
from akhbar.storage.database import scratch_postgres_database  # noqa: E402
from akhbar.storage.models import Page as PageRow  # noqa: E402

PG_SERVER = os.environ.get(
    "AKHBAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY = 0.5


# -- the web in its own process -------------------------------------------------------------
@dataclass
class Served:
    proc: subprocess.Popen[str]
    bases: list[str]
    truth: ScaledTruth
    seeds: Path


@contextmanager
def serve(pages: int, seed: int, seeds: Path) -> Iterator[Served]:
    cmd = [sys.executable, "-m", "akhbar", "localweb", "--scale", str(pages), "--seed", str(seed)]
    proc = subprocess.Popen(
        [*cmd, "--seeds-out", str(seeds)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        bases: list[str] = []
        truth: dict[str, int] = {}
        for line in proc.stdout:
            if line.startswith("truth "):
                truth = json.loads(line[6:])
            elif match := re.search(r"(http://127\.0\.0\.\d+:\d+)", line):
                bases.append(match[1])
            if line.startswith("serving"):
                break
        else:
            raise SystemExit("the scaled web did not start")
        t = scaled_truth(pages, seed)  # the same generator: must agree with the server's line
        if {"pages": t.pages, **t.as_dict()} != truth:
            raise SystemExit(f"server truth {truth} != generator truth {t.as_dict()}")
        yield Served(proc, bases, t, seeds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def expected(served: Served) -> dict[str, int]:
    return served.truth.as_dict()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (from /proc, in seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# -- the sample and the stages alone --------------------------------------------------------
def sample_pages(served: Served, count: int, seed: int) -> list[tuple[str, bytes]]:
    """``count`` article pages spread over the five sites, fetched from the server."""
    per_site = max(1, count // len(served.bases))
    n = served.truth.per_site
    out: list[tuple[str, bytes]] = []
    for number, base in enumerate(served.bases):
        site = ScaledSite(SPECS[number], number, n, seed, base)
        step = max(1, n // per_site)
        for i in range(0, n, step)[:per_site]:
            url = site.url(site.path(ARTICLE_BASE + i))
            with urllib.request.urlopen(url, timeout=30) as response:
                out.append((url, response.read()))
    return out


@dataclass(frozen=True)
class Rate:
    """Items per wall second, and per CPU second of this process (steadier when the machine
    is shared: other work slows the wall clock, not the CPU time)."""

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.1f}/s ({self.cpu:.1f} per CPU-second)"


def per_second(count: int, fn: Callable[[], object]) -> Rate:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return Rate(count / seconds, count / max(cpu_seconds, 1e-9))


def bare_trafilatura(pages: list[tuple[str, bytes]], *, with_metadata: bool) -> Rate:
    import trafilatura

    from akhbar.settings import CleanerSettings

    opts = CleanerSettings()

    def run() -> None:
        for url, html in pages:
            trafilatura.extract(
                html,
                url=url,
                favor_precision=opts.favor_precision,
                include_comments=False,
                include_tables=opts.include_tables,
                with_metadata=with_metadata,
            )

    trafilatura.extract(pages[0][1], url=pages[0][0])  # warm-up: imports, caches
    return per_second(len(pages), run)


@dataclass
class Stages:
    cleaner: Rate | None = None
    dedup: Rate | None = None
    storage: Rate | None = None
    notes: list[str] = field(default_factory=list)


def stages_alone(pages: list[tuple[str, bytes]], tmp: Path) -> Stages:
    from akhbar.cleaner import extract
    from akhbar.dedup import Deduplicator, Duplicate
    from akhbar.records import Article
    from akhbar.settings import DedupSettings

    out = Stages()
    results: list[object] = []
    out.cleaner = per_second(
        len(pages), lambda: results.extend(extract(h, u, languages=["ar"]) for u, h in pages)
    )
    articles = [r for r in results if isinstance(r, Article)]

    def dedup() -> None:
        index = Deduplicator(DedupSettings())
        for i, article in enumerate(articles):
            fp = index.fingerprint(article.text)
            if not isinstance(index.check(fp), Duplicate):
                index.add(i, fp)

    try:
        out.dedup = per_second(len(articles), dedup)
    except Exception as exc:  # another helper's stage may be mid-change: report, go on
        out.notes.append(f"dedup alone not measured: {type(exc).__name__}: {exc}")
    try:
        out.storage = storage_alone(articles, tmp)
    except Exception as exc:
        out.notes.append(f"storage alone not measured: {type(exc).__name__}: {exc}")
    return out


def storage_alone(articles: Sequence[object], tmp: Path) -> Rate:
    """Article + page rows per second into a fresh SQLite file, committed in batches of 50."""
    from akhbar.dedup import Deduplicator
    from akhbar.dedup.minhash import signature_to_bytes
    from akhbar.records import Article, FetchedPage, PageOutcome
    from akhbar.settings import DedupSettings
    from akhbar.storage.migrate import ensure_schema

    engine = make_engine(f"sqlite:///{tmp / 'storage-alone.db'}")
    ensure_schema(engine)
    repo = Repository(engine)
    repo.sync_source("bench", "http://127.0.0.1/", ["ar"])
    index = Deduplicator(DedupSettings())
    rows = []
    for a in articles:
        assert isinstance(a, Article)
        fp = index.fingerprint(a.text)
        sig = getattr(fp, "signature", None)
        minhash = signature_to_bytes(sig) if sig is not None else b""
        rows.append((a, hashlib.sha256(a.text.encode()).hexdigest(), minhash))
    writer = repo.writer(50)
    now = datetime.now(UTC)

    def write() -> None:
        for k, (article, text_hash, minhash) in enumerate(rows):
            page = FetchedPage("bench", article.url, article.url, 200, {}, b"", "utf-8", now)
            article_id = writer.add_article("bench", None, article, text_hash, minhash)
            writer.record_page(page, PageOutcome.ARTICLE, run_id=None, article_id=article_id)
            if k % 50 == 49:
                writer.commit()
        writer.commit()

    try:
        return per_second(len(rows), write)
    finally:
        writer.close()
        engine.dispose()


# -- the crawl ------------------------------------------------------------------------------
def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages (a forked pool's copy-on-write memory) counted once
    across the processes sharing them, so the sum over a tree is its real footprint."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int, cpu: dict[int, float] | None = None) -> tuple[int, int, int]:
    """(summed RSS, summed PSS in KiB, process count) of ``root`` and all its descendants;
    ``cpu`` gets each one's CPU seconds so far (a forkserver's workers are not the command's
    children, so ``RUSAGE_CHILDREN`` misses them)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(stat[1]), []).append(pid)
        rss[pid] = int(statm[1]) * PAGE_SIZE // 1024
        ticks[pid] = int(stat[11]) + int(stat[12])
    total, pss, count, todo = 0, 0, 0, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            total += rss[pid]
            pss += pss_kib(pid)
            count += 1
            if cpu is not None:
                cpu[pid] = max(cpu.get(pid, 0.0), ticks[pid] / CLOCK_TICKS)
        todo.extend(children.get(pid, ()))
    return total, pss, count


@dataclass
class Sample:
    at: float
    rss_kib: int
    pss_kib: int
    processes: int
    pages: int


@dataclass
class CrawlResult:
    db: str
    seconds: float
    returncode: int
    samples: list[Sample]
    crawl_cpu: float
    server_cpu: float
    stage_lines: list[str]
    summaries: list[dict[str, object]]
    stored: dict[str, int]
    page_rows: int
    stderr_tail: str
    started: float = 0.0  # time.time() when the command was started
    first_row: float | None = None  # seconds from the command's start to its first page row


def count_pages(engine_url: str) -> Callable[[], int]:
    engine = create_engine(engine_url)

    def count() -> int:
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(PageRow)).scalar() or 0)
        except Exception:  # schema not created yet, or a busy SQLite file
            return -1

    return count


def crawl(
    db: str,
    db_url: str,
    served: Served | RealServed,
    tmp: Path,
    args: Sequence[str] = ("crawl", "--all", "--json"),
) -> CrawlResult:
    """Run ``akhbar ARGS`` (a crawl, or a backfill) as a user would, sampling its memory and the
    database's page rows as it goes."""
    env = {**os.environ, "AKHBAR_LOG_LEVEL": "INFO"}
    cmd = [sys.executable, "-m", "akhbar", "--db", db_url, "--seeds", str(served.seeds)]
    out_path, err_path = tmp / f"{db}.out", tmp / f"{db}.err"
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(served.proc.pid) if served.proc else 0.0
    counter = count_pages(db_url)
    samples: list[Sample] = []
    with out_path.open("w") as out, err_path.open("w") as err:
        start = time.monotonic()
        proc = subprocess.Popen([*cmd, *args], stdout=out, stderr=err, env=env)
        done = threading.Event()
        first_row: list[float] = []
        tree_cpu: dict[int, float] = {}

        def sampler() -> None:
            tick = 0
            pages = 0
            while not done.is_set():
                rss, pss, count = tree_rss_kib(proc.pid, tree_cpu)
                if tick % 2 == 0 or not first_row:
                    pages = max(pages, counter())
                    if pages > 0 and not first_row:
                        first_row.append(time.monotonic() - start)
                if rss:
                    samples.append(Sample(time.monotonic() - start, rss, pss, count, pages))
                tick += 1
                # fine-grained until the first stored page (start-up), then every SAMPLE_EVERY
                done.wait(SAMPLE_EVERY if first_row else 0.05)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        returncode = proc.wait()
        seconds = time.monotonic() - start
        done.set()
        thread.join()
    server_cpu = cpu_seconds(served.proc.pid) - server_before if served.proc else 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = usage.ru_utime - usage_before.ru_utime + usage.ru_stime - usage_before.ru_stime
    # reaped descendants are in the rusage; a forkserver's workers only in the samples
    crawl_cpu = max(children_cpu, sum(tree_cpu.values()))
    stderr = err_path.read_text(errors="replace")
    stage_lines = [line for line in stderr.splitlines() if "stage seconds:" in line]
    try:
        summaries = json.loads(out_path.read_text() or "[]")
    except json.JSONDecodeError:
        summaries = []
    stored: dict[str, int] = {}
    page_rows = 0
    if returncode == 0:
        engine = make_engine(db_url)
        rows = Repository(engine).stats()
        stored = {
            "articles": sum(r.articles for r in rows),
            "duplicates": sum(r.duplicates for r in rows),
            "rejected": sum(r.rejected for r in rows),
            "failed": sum(r.failed for r in rows),
        }
        page_rows = sum(r.pages for r in rows)
        engine.dispose()
    return CrawlResult(
        db,
        seconds,
        returncode,
        samples,
        crawl_cpu,
        server_cpu,
        stage_lines,
        summaries,
        stored,
        page_rows,
        stderr[-3000:],
        started=time.time() - seconds,
        first_row=first_row[0] if first_row else None,
    )


@contextmanager
def database(kind: str, tmp: Path, name: str = "pipeline") -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{name}.db'}"
        return
    with scratch_postgres_database(PG_SERVER, "akhbar_bench") as url:
        yield url


# -- report ---------------------------------------------------------------------------------
_STAGE = re.compile(r"([a-z_]+)=([0-9.]+)")


def stage_totals(lines: list[str]) -> dict[str, float]:
    """The crawl's per-source ``stage seconds:`` lines: stage seconds and ``pages`` summed,
    ``wall`` as the longest source run (the sources crawl side by side)."""
    totals: dict[str, float] = {}
    for line in lines:
        for key, value in _STAGE.findall(line.split("stage seconds:", 1)[1]):
            if key == "wall":
                totals[key] = max(totals.get(key, 0.0), float(value))
            else:
                totals[key] = totals.get(key, 0.0) + float(value)
    return totals


def rss_at_quarters(result: CrawlResult, total_rows: int) -> list[tuple[str, int | None]]:
    """RSS when 25/50/75% of the page rows were stored, and the largest in the last 10%."""
    out: list[tuple[str, int | None]] = []
    for q in (0.25, 0.5, 0.75):
        hit = next((s for s in result.samples if s.pages >= q * total_rows), None)
        out.append((f"{q:.0%}", hit.rss_kib if hit else None))
    tail = [s.rss_kib for s in result.samples if s.pages >= 0.9 * total_rows]
    out.append(("90–100% (max)", max(tail) if tail else None))
    return out


def mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def report(
    result: CrawlResult, served: Served, bare: Rate, bare_meta: Rate, truth: dict[str, int]
) -> bool:
    pages = served.truth.pages
    rate = pages / result.seconds
    total_rows = truth["articles"] + truth["duplicates"] + truth["rejected"] + truth["failed"]
    peak = max(result.samples, key=lambda s: s.rss_kib) if result.samples else None
    print(f"\n### akhbar crawl on {result.db}")
    if result.returncode:
        print(f"crawl FAILED (exit {result.returncode}):\n{result.stderr_tail}")
        return False
    print(f"- wall {result.seconds:.1f} s for {pages} article pages ({result.page_rows} page rows)")
    print(
        f"- end-to-end: {rate:.1f} article pages/s = {rate / bare.wall:.2f}× bare trafilatura "
        f"({rate / bare_meta.wall:.2f}× with metadata); {pages / result.crawl_cpu:.1f} pages "
        f"per CPU-second of the crawl tree = {pages / result.crawl_cpu / bare.cpu:.2f}× bare's"
    )
    print(
        f"- CPU: crawl tree {result.crawl_cpu:.0f} s ({result.crawl_cpu / result.seconds:.2f} "
        f"cores), web server {result.server_cpu:.0f} s ({result.server_cpu / result.seconds:.2f}"
        " cores)"
    )
    if peak:
        print(
            f"- peak RSS (crawl process + descendants, summed): {mib(peak.rss_kib)} at "
            f"{peak.at:.0f} s with {peak.processes} process(es); peak PSS (shared pages "
            f"counted once) {mib(max(s.pss_kib for s in result.samples))}"
        )
    quarters = ", ".join(f"{q}: {mib(v)}" for q, v in rss_at_quarters(result, total_rows))
    print(f"- RSS at share of pages stored: {quarters}")
    totals = stage_totals(result.stage_lines)
    if totals:
        split = ", ".join(f"{k}={v:.1f}" for k, v in totals.items() if k not in ("pages", "wall"))
        print(
            f"- crawl's own stage seconds (summed over the {len(result.stage_lines)} source "
            f"runs): {split}; longest source run {totals.get('wall', 0):.1f} s"
        )
    else:
        print("- the crawl logged no `stage seconds:` lines (see the stages measured alone)")
    ok = result.stored == truth
    mark = "matches" if ok else "DOES NOT match"
    print(f"- database {mark} the known truth: stored {result.stored}, expected {truth}")
    return ok


# -- real pages -----------------------------------------------------------------------------
@dataclass
class RealServed:
    """The real pages on loopback (``benchmarks/realweb.py serve``, own process), or none for
    a WARC backfill; ``seeds`` holds the sources either way."""

    proc: subprocess.Popen[str] | None
    seeds: Path
    pages: int
    first_request: list[float] = field(default_factory=list)  # time.time() of each site's first


@contextmanager
def serve_real(seeds: Path, hosts: int, limit: int | None) -> Iterator[RealServed]:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "realweb.py"), "serve"]
    if limit:
        cmd += ["--limit", str(limit)]
    proc = subprocess.Popen(
        [*cmd, "--seeds-out", str(seeds), "--hosts", str(hosts)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        count = 0
        for line in proc.stdout:
            if line.startswith("ready "):
                count = int(line.split()[1])
                break
        else:
            raise SystemExit("the real-page web did not start")
        served = RealServed(proc, seeds, count)
        stdout = proc.stdout

        def read_first_requests() -> None:
            for line in stdout:
                if line.startswith("first-request "):
                    served.first_request.append(float(line.split()[1]))

        threading.Thread(target=read_first_requests, daemon=True).start()
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bare_real(pages: list[tuple[str, bytes]]) -> Rate:
    """Bare single-process ``trafilatura.extract(with_metadata=True)``, default options: what a
    user of trafilatura alone would run on the same HTML."""
    import trafilatura

    def run() -> None:
        for url, html in pages:
            trafilatura.extract(html, url=url, with_metadata=True)

    trafilatura.extract(pages[0][1], url=pages[0][0])  # warm-up: imports, caches
    return per_second(len(pages), run)


def real_report(
    label: str, result: CrawlResult, pages: int, bare: Rate, first_request: float | None
) -> bool:
    print(f"\n### {label} on {result.db}")
    if result.returncode:
        print(f"FAILED (exit {result.returncode}):\n{result.stderr_tail}")
        return False
    rate = pages / result.seconds
    peak = max(result.samples, key=lambda s: s.rss_kib) if result.samples else None
    print(f"- wall {result.seconds:.1f} s for {pages} pages ({result.page_rows} page rows)")
    print(
        f"- **{rate:.1f} pages/s = {rate / bare.wall:.2f}× bare trafilatura** (with metadata, one "
        f"process); {pages / result.crawl_cpu:.1f} pages per CPU-second of the command's tree "
        f"= {pages / result.crawl_cpu / bare.cpu:.2f}× bare's"
    )
    print(
        f"- CPU: command tree {result.crawl_cpu:.0f} s ({result.crawl_cpu / result.seconds:.2f}"
        f" cores), web server {result.server_cpu:.0f} s"
    )
    startup = []
    if first_request is not None:
        startup.append(f"first request after {first_request - result.started:.2f} s")
    if result.first_row is not None:
        startup.append(f"first page row after {result.first_row:.2f} s")
    print(f"- start-up: {', '.join(startup) or 'not seen'}")
    if peak:
        print(
            f"- peak RSS (command + descendants, summed): {mib(peak.rss_kib)} with "
            f"{peak.processes} process(es); peak PSS {mib(max(s.pss_kib for s in result.samples))}"
        )
    totals = stage_totals(result.stage_lines)
    if totals:
        split = ", ".join(
            f"{k}={v:.1f} ({v / pages * 1000:.1f} ms/page)"
            for k, v in totals.items()
            if k not in ("pages", "wall")
        )
        print(f"- stage seconds (summed over {len(result.stage_lines)} run(s)): {split}")
    ok = result.page_rows == pages and result.stored.get("failed", 1) == 0
    print(f"- database: {result.stored} — {'every page stored once' if ok else 'PAGES MISSING'}")
    return ok


def real_main(args: argparse.Namespace, kinds: list[str]) -> bool:
    import realweb

    ok = True
    pages = realweb.load_pages(args.shared)[: args.limit]
    sizes = [len(p.html) / 1024 for p in pages]
    print(
        f"## pipeline benchmark on real pages: {len(pages)} pages of {', '.join(realweb.SETS)}"
        f" ({statistics.mean(sizes):.0f} KiB mean), {os.cpu_count()} CPUs, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    with tempfile.TemporaryDirectory(prefix="akhbar-realpipeline-") as name:
        tmp = Path(name)
        base = f"http://127.0.0.{realweb.FIRST_HOST}:8"
        bare = bare_real([(f"{base}{p.path}", p.html) for p in pages])
        print(f"- bare trafilatura.extract(with_metadata=True), one process: {bare} pages")
        if args.real in ("crawl", "both"):
            with serve_real(tmp / "seeds", args.hosts, args.limit) as served:
                for kind in kinds:
                    with database(kind, tmp, "real-crawl") as url:
                        served.first_request.clear()
                        result = crawl(kind, url, served, tmp)
                    seen = [t for t in served.first_request if t >= result.started]
                    first = min(seen) if seen else None
                    ok &= real_report("akhbar crawl --all", result, len(pages), bare, first)
        if args.real in ("warc", "both"):
            warc = tmp / "real.warc.gz"
            realweb.write_warc(warc, base, pages)
            seeds = tmp / "warc-seeds"
            seeds.mkdir()
            (seeds / "realwarc.toml").write_text(realweb.seeds_toml("realwarc", base, len(pages)))
            offline = RealServed(None, seeds, len(pages))
            for kind in kinds:
                with database(kind, tmp, "real-warc") as url:
                    cmd = ("backfill", "--warc", str(warc), "--source", "realwarc", "--json")
                    result = crawl(kind, url, offline, tmp, cmd)
                ok &= real_report("akhbar backfill --warc", result, len(pages), bare, None)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000, help="article pages (default 20000)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--bare-sample", type=int, default=400, help="pages for the single-process runs"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--real",
        choices=["crawl", "warc", "both"],
        help="real pages of ../shared instead of the scaled web: crawl them on loopback, "
        "backfill them from a WARC, or both",
    )
    parser.add_argument("--hosts", type=int, default=4, help="--real crawl: loopback sites")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, help="--real: the first N pages only (a smoke run)")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.real:
        raise SystemExit(0 if real_main(args, kinds) else 1)
    ok = True
    with tempfile.TemporaryDirectory(prefix="akhbar-pipeline-") as name:
        tmp = Path(name)
        with serve(args.pages, args.seed, tmp / "seeds") as served:
            truth = expected(served)
            print(
                f"## pipeline benchmark: {served.truth.pages} article pages on 5 sites, "
                f"{os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            )
            print(f"known truth: {truth}")
            sample = sample_pages(served, args.bare_sample, args.seed)
            sizes = [len(h) / 1024 for _, h in sample]
            print(
                f"sample: {len(sample)} pages, {statistics.mean(sizes):.0f} KiB mean "
                f"({min(sizes):.0f}–{max(sizes):.0f} KiB)"
            )
            bare = bare_trafilatura(sample, with_metadata=False)
            bare_meta = bare_trafilatura(sample, with_metadata=True)
            print("\n### one process, one core, the same HTML")
            print(f"- bare trafilatura.extract (akhbar's options): {bare} pages")
            print(f"- bare trafilatura.extract with_metadata=True: {bare_meta} pages")
            stages = stages_alone(sample, tmp)
            print(f"- akhbar cleaner alone (extract → Article/Rejection): {stages.cleaner} pages")
            print(f"- dedup alone (fingerprint + check + add): {stages.dedup} docs")
            print(f"- storage alone (article + page row, SQLite, batch 50): {stages.storage} rows")
            for note in stages.notes:
                print(f"- {note}")
            del sample, stages
            gc.collect()
            for kind in kinds:
                with database(kind, tmp) as url:
                    result = crawl(kind, url, served, tmp)
                ok &= report(result, served, bare, bare_meta, truth)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
