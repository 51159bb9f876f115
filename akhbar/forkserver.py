"""Where the extraction workers come from: a forkserver that imported the cleaner once.

Workers are forked from it, never from a crawl process (that one has threads: Twisted's pool,
database drivers), and not spawned either, which made every worker, and every replacement,
import the cleaner, trafilatura and numpy again before its first page. This module stays light
(no akhbar import) so that a command can start the forkserver before its own heavy imports:
both then import side by side.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

# the module the forkserver imports before forking workers (the workers' code)
WORKER_MODULE = "akhbar.pool"


def worker_context() -> BaseContext:
    """The multiprocessing context of the extraction workers."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # not on Linux
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_MODULE])
    return context


def warm_up() -> None:
    """Start the forkserver now, in the background: it imports the workers' code while the
    caller goes on with its own start-up (imports, migrations, the dedup index, robots.txt and
    feeds), so the first page finds workers ready. Idempotent."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        worker_context()
        forkserver.ensure_running()
