"""Schema migrations with Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from akhbar.errors import AkhbarError
from akhbar.storage.database import WRITE_OPTION

# Inside the package, so that an installed wheel can create and migrate its database; the
# repository's alembic.ini points here too, for developers running `alembic` directly.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Tables that live in the database but are owned by something else (APScheduler's job store,
# full-text index tables maintained by triggers): autogenerate, `alembic check` and
# `akhbar db check` skip them.
EXTERNAL_TABLE_PREFIXES = ("apscheduler_", "articles_fts", "article_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` hook: leave the externally owned tables out of comparisons."""
    if type_ == "table" and reflected and compare_to is None and name:
        return not name.startswith(EXTERNAL_TABLE_PREFIXES)
    return True


class MigrationsNotFound(AkhbarError, RuntimeError):
    """The installed package lacks its migrations (a broken or hand-trimmed install)."""


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the migrations shipped in the package (no ini file needed)."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise MigrationsNotFound(
            f"migrations not found at {MIGRATIONS_DIR}; reinstall akhbar (pip install akhbar)"
        )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
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


def schema_drift(engine: Engine) -> list[str]:
    """How the database's schema differs from the models, one readable line per difference
    (empty when they agree): what Alembic's autogenerate would put into a new migration."""
    from akhbar.storage.models import Base

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_object": include_object},
        )
        diffs = compare_metadata(context, Base.metadata)
    lines: list[str] = []
    for diff in diffs:
        for item in diff if isinstance(diff, list) else [diff]:
            lines.append(_describe_diff(item))
    return lines


def _describe_diff(diff: tuple[Any, ...]) -> str:
    """One line for one of ``compare_metadata``'s diff tuples ("models" = this akhbar's code)."""
    kind = diff[0]
    action, _, what = kind.partition("_")
    if kind in ("add_table", "remove_table"):
        where = "in the models, missing from the database"
        if action == "remove":
            where = "in the database, not in the models"
        return f"table {diff[1].name}: {where}"
    if kind in ("add_column", "remove_column"):
        where = "in the models, missing from the database"
        if action == "remove":
            where = "in the database, not in the models"
        return f"column {diff[2]}.{diff[3].name}: {where}"
    if action == "modify":
        _, _, table, column, _, old, new = diff
        return f"column {table}.{column}: {what} is {old!r} in the database, {new!r} in the models"
    if action in ("add", "remove"):
        obj = diff[1]
        table = getattr(getattr(obj, "table", None), "name", None) or getattr(obj, "parent", "")
        name = getattr(obj, "name", None) or "(unnamed)"
        where = "in the models, missing from the database"
        if action == "remove":
            where = "in the database, not in the models"
        return f"{what} {name} on {table}: {where}"
    return " ".join(str(part) for part in diff)
