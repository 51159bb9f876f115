"""Schema migrations with Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from akhbar.errors import AkhbarError
from akhbar.storage.database import WRITE_OPTION

_REPO_ROOT = Path(__file__).resolve().parents[2]


class MigrationsNotFound(AkhbarError, RuntimeError):
    """akhbar runs from an install that does not carry the ``alembic/`` directory."""


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at the repository's migrations."""
    ini = _REPO_ROOT / "alembic.ini"
    if not (_REPO_ROOT / "alembic" / "env.py").is_file():
        raise MigrationsNotFound(
            f"migrations not found under {_REPO_ROOT}; install akhbar from a source checkout"
        )
    cfg = Config(str(ini))
    cfg.set_main_option("script_location", str(_REPO_ROOT / "alembic"))
    cfg.attributes["configure_logging"] = False
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


# pg_advisory_xact_lock(namespace "akhm", key 1): one schema change at a time. Two processes
# creating the schema of an empty PostgreSQL database at once would otherwise both run
# CREATE TABLE, and one fail on the catalogue's unique index (pg_type_typname_nsp_index).
MIGRATION_LOCK = {"ns": 0x616B686D, "key": 1}


@contextmanager
def schema_change(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for changing the schema, holding the schema lock.

    PostgreSQL: the advisory ``MIGRATION_LOCK`` until the commit. SQLite: the write lock from
    the start (``BEGIN IMMEDIATE``), and foreign keys off for the transaction: rebuilding a
    table other tables point at (Alembic batch mode, e.g. migration 0008) drops the old table
    while rows still refer to its ids. They are checked before the commit instead
    (``PRAGMA foreign_key_check``), as SQLite's own table-rebuild procedure does.
    """
    with engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # a no-op inside a transaction: set before BEGIN, on the driver connection
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                if sqlite:
                    yield conn
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise SchemaOutdated(f"schema change broke foreign keys: {broken[:5]}")
                else:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), MIGRATION_LOCK)
                    yield conn
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _upgrade_on(conn: Connection, engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to ``revision`` (idempotent; concurrent calls wait for
    each other and the later ones find nothing to do)."""
    with schema_change(engine) as conn:
        _upgrade_on(conn, engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with schema_change(engine) as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _heads(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def current_revision(engine: Engine) -> str | None:
    """The database's revision(s), comma-separated when branches are applied; None if empty."""
    with engine.connect() as conn:
        return _heads(conn)


def head_revision() -> str | None:
    """The latest revision(s) of this akhbar's migrations, in the same form."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(sorted(heads)) or None


class SchemaOutdated(AkhbarError, RuntimeError):
    """The database has an older schema than this akhbar: run ``akhbar db upgrade``."""


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to write into an outdated one.

    Processes starting at once on an empty database (several ``akhbar crawl``, the scheduler
    and its first children) create the schema once: the check and the creation run under the
    schema lock, so the later ones wait and then find it created.
    """
    current = current_revision(engine)
    if current is None:
        with schema_change(engine) as conn:
            current = _heads(conn)  # another process may have created it while we waited
            if current is None:
                if inspect(conn).get_table_names():
                    raise SchemaOutdated(
                        "database has tables but no Alembic revision; is this an akhbar database?"
                    )
                _upgrade_on(conn, engine, "heads")
                return
    head = head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current}, this akhbar needs {head}: run `akhbar db upgrade`"
        )
