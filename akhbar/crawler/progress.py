"""What a running crawl has done so far, per source: the numbers its progress display shows.

The crawl samples its runs on its heartbeat timer and hands the snapshots to whoever watches
(the CLI draws them on a terminal, or logs a periodic line); the per-page log lines are for
``--verbose`` only.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from akhbar.crawler.run import SourceRun


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """One source's run at one moment."""

    source: str
    discovered: int  # article URLs to fetch so far (robots.txt-forbidden ones left out)
    fetched: int  # pages through the pipeline (stored as article, duplicate, rejected, failed)
    new: int  # new articles stored
    duplicate: int
    failed: int
    seconds: float  # since the run started (its whole duration once done)
    done: bool

    @property
    def rate(self) -> float:
        """Pages per second over the run so far."""
        return self.fetched / self.seconds if self.seconds > 0 else 0.0


ProgressSink = Callable[[Sequence[SourceProgress]], None]


def snapshot(run: SourceRun, discovered: int, now: float | None = None) -> SourceProgress:
    """The progress of ``run``; ``discovered`` comes from its spider (0 before it opened)."""
    done = run.summary.status != "running"
    counters = run.summary.counters if done else run.ingestor.counters
    seconds = run.summary.wall_seconds if done else (now or time.monotonic()) - run.started
    return SourceProgress(
        source=run.summary.source,
        discovered=max(discovered, counters.fetched),
        fetched=counters.fetched,
        new=counters.new,
        duplicate=counters.duplicate,
        failed=counters.failed,
        seconds=seconds,
        done=done,
    )


def progress_line(rows: Sequence[SourceProgress]) -> str:
    """One line for all sources (the off-terminal progress, one every few seconds)."""
    done = sum(r.done for r in rows)
    fetched = sum(r.fetched for r in rows)
    rate = sum(r.rate for r in rows if not r.done)
    return (
        f"crawl progress: sources {done}/{len(rows)} done, "
        f"fetched {fetched}/{sum(r.discovered for r in rows)} discovered, "
        f"new {sum(r.new for r in rows)}, duplicate {sum(r.duplicate for r in rows)}, "
        f"failed {sum(r.failed for r in rows)}, {rate:.1f} pages/s"
    )


class LogProgress:
    """Off a terminal (logs, CI, cron): one INFO line for all sources every ``every`` seconds."""

    def __init__(self, every: float, logger: logging.Logger | None = None) -> None:
        self.every = every
        self.log = logger or logging.getLogger(__name__)
        self._next = time.monotonic() + every

    def __call__(self, rows: Sequence[SourceProgress]) -> None:
        now = time.monotonic()
        if now < self._next or not rows or all(r.done for r in rows):
            return  # the closing summary table follows the last run
        self._next = now + self.every
        self.log.info("%s", progress_line(rows))


class TerminalProgress:
    """On a terminal: a live line per source (discovered, fetched, stored, rate), drawn by
    rich; log lines printed meanwhile appear above it."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TextColumn("{task.fields[fetched]}/{task.fields[discovered]} fetched", markup=False),
            TextColumn("{task.fields[new]} new, {task.fields[duplicate]} dup", markup=False),
            TextColumn("{task.fields[failed]} failed", markup=False),
            TextColumn("{task.fields[rate]:.1f} pages/s", markup=False),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []

    def __enter__(self) -> TerminalProgress:
        stderr = sys.stderr
        self.progress.start()
        # rich redirects sys.stderr while it draws: log lines go through it, above the display
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is stderr:
                self._streams.append((handler, handler.setStream(sys.stderr)))
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()
        for handler, stream in self._streams:
            handler.setStream(stream)

    def __call__(self, rows: Sequence[SourceProgress]) -> None:
        for row in rows:
            fields: dict[str, Any] = {
                "fetched": row.fetched,
                "discovered": row.discovered,
                "new": row.new,
                "duplicate": row.duplicate,
                "failed": row.failed,
                "rate": row.rate,
            }
            task = self._tasks.get(row.source)
            if task is None:
                task = self.progress.add_task(row.source, total=None, **fields)
                self._tasks[row.source] = task
            self.progress.update(
                task, completed=row.fetched, total=row.discovered or None, **fields
            )
            if row.done:
                self.progress.stop_task(task)
