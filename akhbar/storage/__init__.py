"""Storage: SQLAlchemy models, engines, migrations and the repository (the only SQL code)."""

from akhbar.storage.database import DatabaseURLError, make_engine
from akhbar.storage.repository import Repository, RunCounters, SourceStats
from akhbar.storage.writer import IngestWriter

__all__ = [
    "DatabaseURLError",
    "IngestWriter",
    "Repository",
    "RunCounters",
    "SourceStats",
    "make_engine",
]
