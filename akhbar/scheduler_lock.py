"""Which ``akhbar schedule`` is the active one: a PostgreSQL session advisory lock.

Several schedulers may run on one PostgreSQL database (on different hosts); the one holding the
lock runs the jobs, the others wait as standbys and take the lock when it is released.

Why an advisory lock rather than a lease row with heartbeats: the lock belongs to the holder's
database session, so PostgreSQL itself releases it the moment that session ends. A killed
scheduler (kill -9, a crash, OOM) closes its socket and its backend exits at once: a standby
takes over at its next try, without waiting out a lease, and there is no row to clean up and no
clock of ours to trust. What a lease would add is protection against a holder that is alive but
unreachable; the lock connection gets that from both ends:

- PostgreSQL's side, set for this session only: ``tcp_keepalives_*`` and ``tcp_user_timeout``
  drop the backend of a host that vanished (power loss, network partition), and
  ``idle_session_timeout`` (PostgreSQL 14+) that of a process that hangs or is stopped while
  its kernel still answers for the socket; either way the lock is released within
  ``failover_after`` seconds.
- The holder's side: a heartbeat query on the lock connection every ``failover_after / 15`` s
  (at least 1 s) checks that the lock is still held. A failed query or a lock no longer held
  (the session was cut: server restart, ``pg_terminate_backend``) makes the scheduler step
  down at once (it starts nothing more) and become a standby; a query left without an answer
  (a partition) makes it step down after ``failover_after / 2`` s, well before the server
  drops the session and lets a standby in.

Which scheduler *schedules* is the lock's business; which process *crawls* a source is the run
lease's (``crawl_runs``): in the second or so between a session cut on the server's side and
its holder noticing, two schedulers may both fire a job, and the lease still lets only one run
of a source start.

Advisory locks are scoped to one database, so deployments on separate databases of a server do
not see each other. SQLite has no such lock: one scheduler per SQLite database.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.pool import NullPool

from akhbar.settings import AkhbarSettings
from akhbar.storage import make_engine
from akhbar.storage.runs import HOSTNAME

log = logging.getLogger(__name__)

# the two int4 keys of pg_try_advisory_lock(key1, key2): "akhb" and the scheduler's number
LOCK_KEYS = (0x616B6862, 1)
# the same lock as pg_locks shows it (classid, objid; objsubid 2 marks a two-key lock)
_LOCK_IDS = {"c": LOCK_KEYS[0], "o": LOCK_KEYS[1]}
_LOCK_SQL = text("SELECT pg_try_advisory_lock(:k1, :k2)")
_HELD_SQL = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
    "AND classid = :c AND objid = :o AND objsubid = 2 AND granted"
)
_HOLDER_SQL = text(
    "SELECT a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.classid = :c AND l.objid = :o AND l.objsubid = 2 "
    "AND l.granted AND l.database = (SELECT oid FROM pg_database "
    "WHERE datname = current_database())"
)


def holder_name() -> str:
    """How this process names itself in ``pg_stat_activity`` (what a standby logs)."""
    return f"akhbar schedule {HOSTNAME} pid {os.getpid()}"[:63]


@dataclass(frozen=True, slots=True)
class Holder:
    """The active scheduler as PostgreSQL sees it."""

    name: str
    address: str | None
    since: datetime | None

    def __str__(self) -> str:
        where = f" from {self.address}" if self.address else ""
        when = f", connected since {self.since:%Y-%m-%d %H:%M:%S %Z}" if self.since else ""
        return f"{self.name!r}{where}{when}"


class SchedulerLock:
    """The scheduler lock on a dedicated PostgreSQL connection."""

    def __init__(self, database_url: str, *, failover_after: float, connect_timeout: int) -> None:
        self.failover_after = failover_after
        self.heartbeat_every = max(1.0, failover_after / 15)
        self.step_down_after = failover_after / 2
        idle = max(1, int(failover_after / 3))
        interval = max(1, int(failover_after / 6))
        count = 4
        server = (
            f"-c tcp_keepalives_idle={idle} -c tcp_keepalives_interval={interval} "
            f"-c tcp_keepalives_count={count} -c tcp_user_timeout={int(failover_after * 1000)} "
            f"-c statement_timeout={int(self.heartbeat_every * 1000)}"
        )
        self.engine: Engine = make_engine(
            database_url,
            connect_timeout=min(connect_timeout, max(2, int(self.heartbeat_every))),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=False,
            connect_args={
                "application_name": holder_name(),
                "options": server,
                # this side: a silent server is noticed by the kernel too, not only by the
                # heartbeat's watchdog
                "keepalives": 1,
                "keepalives_idle": idle,
                "keepalives_interval": interval,
                "keepalives_count": count,
                "tcp_user_timeout": int(self.step_down_after * 1000),
            },
        )
        self._conn: Connection | None = None
        self._io = threading.Lock()
        self.last_ok: float = 0.0  # monotonic time of the last confirmed hold
        self.why_lost = ""

    # -- standby ------------------------------------------------------------------------------
    def try_acquire(self) -> bool:
        """One attempt; True when this process now holds the lock."""
        with self._io:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                got = bool(
                    self._conn.execute(
                        _LOCK_SQL, {"k1": LOCK_KEYS[0], "k2": LOCK_KEYS[1]}
                    ).scalar_one()
                )
            except Exception as exc:
                self._drop()
                raise LockConnectionError(str(exc).splitlines()[0]) from exc
            if got:
                self.last_ok = time.monotonic()
                self.why_lost = ""
            return got

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
        if version >= 140000:  # the heartbeat keeps a live holder's session busy
            timeout = int(self.failover_after * 1000)
            conn.execute(text(f"SET idle_session_timeout = {timeout}"))
        return conn

    def holder(self) -> Holder | None:
        """Who holds the lock now (None: nobody, or not visible to our role)."""
        with self._io:
            if self._conn is None:
                return None
            try:
                row = self._conn.execute(_HOLDER_SQL, _LOCK_IDS).first()
            except Exception:
                self._drop()
                return None
        if row is None:
            return None
        return Holder(str(row[0] or "?"), row[1], row[2])

    def wait_for_lock(
        self,
        stopping: threading.Event,
        on_standby: StandbyReporter,
        on_poll: Callable[[], None] = lambda: None,
    ) -> bool:
        """Block until the lock is ours (True) or ``stopping`` is set (False)."""
        poll = self.heartbeat_every
        while not stopping.is_set():
            on_poll()
            try:
                if self.try_acquire():
                    return True
                on_standby.standby(self.holder())
            except LockConnectionError as exc:
                on_standby.unreachable(str(exc))
            stopping.wait(poll)
        return False

    # -- active -------------------------------------------------------------------------------
    def heartbeat(self) -> bool:
        """Check on the lock connection that the lock is still ours; False (and :meth:`lost`
        from now on) when it is not or the connection failed."""
        with self._io:
            if self._conn is None:
                return False
            try:
                held = self._conn.execute(_HELD_SQL, _LOCK_IDS).scalar_one()
            except Exception as exc:
                self.why_lost = f"scheduler lock heartbeat failed: {str(exc).splitlines()[0]}"
                self._drop()  # the session, and with it the lock, is gone or going
                self.last_ok = float("-inf")
                return False
        if held:
            self.last_ok = time.monotonic()
            return True
        self.why_lost = "the scheduler lock is no longer held by this session"
        self.last_ok = float("-inf")
        return False

    def lost(self) -> bool:
        """True when the hold is known lost, or not confirmed for ``step_down_after`` s."""
        if time.monotonic() - self.last_ok <= self.step_down_after:
            return False
        if not self.why_lost:
            self.why_lost = (
                f"the scheduler lock was not confirmed for {self.step_down_after:g} s "
                "(no answer from PostgreSQL)"
            )
        return True

    def release(self) -> None:
        """Give the lock up (closing the session releases it, whatever state it is in)."""
        with self._io:
            self._drop()

    def close(self) -> None:
        self.release()
        self.engine.dispose()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never back to a pool: the session, and its lock, end here
                conn.close()
            except Exception:
                log.debug("closing the lock connection failed", exc_info=True)


def active_scheduler(settings: AkhbarSettings) -> str | None:
    """Who the active scheduler is, in words (None on SQLite, which has no election)."""
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    try:
        if engine.dialect.name != "postgresql":
            return None
        with engine.connect() as conn:
            row = conn.execute(_HOLDER_SQL, _LOCK_IDS).first()
    finally:
        engine.dispose()
    if row is None:
        return "none (no `akhbar schedule` holds the scheduler lock)"
    return str(Holder(str(row[0] or "?"), row[1], row[2]))


class LockConnectionError(Exception):
    """The lock connection failed (server unreachable, restarted, timed out)."""


class StandbyReporter:
    """Logs the standby state once per change, not at every poll."""

    def __init__(self) -> None:
        self._said: str | None = None

    def standby(self, holder: Holder | None) -> None:
        who = str(holder) if holder else "another scheduler (not visible to this role)"
        if who != self._said:
            log.info("standby: the active scheduler is %s; taking over when it stops", who)
            self._said = who

    def unreachable(self, error: str) -> None:
        said = f"unreachable: {error}"
        if said != self._said:
            log.warning("standby: cannot reach PostgreSQL for the scheduler lock: %s", error)
            self._said = said

    def reset(self) -> None:
        self._said = None
