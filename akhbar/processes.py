"""Whether a process of this host is alive: the run-lease reaper asks it of a run's process, the
extraction workers of the crawl process they serve."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this host; a zombie (exited or killed, not
    yet reaped by its parent) counts as gone: it holds nothing and reads nothing any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
