"""What the dashboard fixture hands to the tests (a module of its own: test modules import
it, and several test folders have a ``conftest``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Served:
    url: str  # base URL, no trailing slash
    log: Path  # the server's output
