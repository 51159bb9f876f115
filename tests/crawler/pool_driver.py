"""Drives an ExtractionPool under a real Twisted reactor, for tests/crawler/test_pool.py.

Run as a script (the reactor runs once per process): ``pool_driver.py MODE PAGE...``

- ``crash``: clean the pages, SIGKILL one worker while they are in flight, print a JSON line
  with each page's result (title or rejection) and the pool's crash count;
- ``orphan``: start the workers, print their PIDs as JSON, then wait to be killed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from twisted.internet import defer, reactor

from akhbar.crawler.pool import Cleaned, ExtractionPool
from akhbar.records import Article, FetchedPage
from akhbar.settings import CleanerSettings, DedupSettings


def page(path: Path, n: int) -> FetchedPage:
    return FetchedPage(
        source="test",
        url=f"http://127.0.0.1/{n}/{path.name}",
        final_url=f"http://127.0.0.1/{n}/{path.name}",
        status=200,
        headers={},
        body=path.read_bytes(),
        encoding=None,
        fetched_at=datetime.now(UTC),
    )


def describe(cleaned: Cleaned) -> str:
    result = cleaned.result
    return result.title if isinstance(result, Article) else f"rejected: {result.reason.value}"


@defer.inlineCallbacks
def crash(paths: list[Path]):  # type: ignore[no-untyped-def]
    pool = ExtractionPool(2)
    settings = CleanerSettings()
    pages = [page(p, n) for n in range(4) for p in paths]
    pending = [pool.clean(p, settings, ["ar"], DedupSettings()) for p in pages]
    # wait until a worker runs, then kill it with pages in flight
    while not pool.worker_pids():
        yield deferLater(0.05)
    victim = pool.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    results = yield defer.gatherResults(pending)
    print(json.dumps({"results": [describe(r) for r in results], "crashes": pool.crashes}))
    pool.close()


@defer.inlineCallbacks
def orphan(paths: list[Path]):  # type: ignore[no-untyped-def]
    pool = ExtractionPool(2)
    yield defer.gatherResults(
        [pool.clean(page(p, 0), CleanerSettings(), ["ar"], DedupSettings()) for p in paths]
    )
    print(json.dumps({"workers": pool.worker_pids()}), flush=True)
    while True:
        yield deferLater(1.0)


def deferLater(seconds: float) -> defer.Deferred[None]:
    from twisted.internet import task

    return task.deferLater(reactor, seconds, lambda: None)  # type: ignore[arg-type]


def main() -> None:
    mode, paths = sys.argv[1], [Path(p) for p in sys.argv[2:]]
    run = {"crash": crash, "orphan": orphan}[mode]
    started = time.monotonic()

    def go() -> None:
        d = run(paths)
        d.addErrback(lambda f: (print(f.getTraceback(), file=sys.stderr), None))
        d.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]

    reactor.callWhenRunning(go)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    print(f"seconds {time.monotonic() - started:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
