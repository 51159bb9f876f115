"""Persistence of the discovery URLs' validators (table ``discovery_urls``): loaded when a crawl
starts, saved when a run has read its sources completely."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select

from akhbar.records import DiscoveryCheck
from akhbar.storage.database import make_session_factory
from akhbar.storage.models import DiscoveryUrl

__all__ = ["DiscoveryStore"]


class DiscoveryStore:
    """Loads and saves :class:`DiscoveryCheck` rows of one source; its own short transactions."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)
        # save() reads then writes: on SQLite take the write lock up front (BEGIN IMMEDIATE)
        self.write_sessions = make_session_factory(engine, write=True)

    def load(self, source: str) -> dict[str, DiscoveryCheck]:
        """The last check of each of ``source``'s discovery URLs, by URL."""
        with self.sessions() as session:
            rows = session.scalars(select(DiscoveryUrl).where(DiscoveryUrl.source == source))
            return {
                row.url: DiscoveryCheck(
                    url=row.url,
                    http_status=row.http_status or 0,
                    checked_at=row.checked_at,
                    etag=row.etag,
                    last_modified=row.last_modified,
                    read_at=row.read_at,
                )
                for row in rows
            }

    def save(self, source: str, checks: Iterable[DiscoveryCheck]) -> int:
        """Record ``checks``: a 200 replaces the validators and ``read_at``; a 304 keeps them
        and only moves ``checked_at``. Returns how many rows were written."""
        by_url = {check.url: check for check in checks}
        if not by_url:
            return 0
        with self.write_sessions.begin() as session:
            rows = {
                row.url: row
                for row in session.scalars(
                    select(DiscoveryUrl).where(
                        DiscoveryUrl.source == source, DiscoveryUrl.url.in_(list(by_url))
                    )
                )
            }
            for url, check in by_url.items():
                row = rows.get(url)
                if row is None:
                    row = DiscoveryUrl(source=source, url=url)
                    session.add(row)
                row.checked_at = check.checked_at
                row.http_status = check.http_status
                if check.http_status != 304:
                    row.etag = check.etag
                    row.last_modified = check.last_modified
                    row.read_at = check.read_at
        return len(by_url)
