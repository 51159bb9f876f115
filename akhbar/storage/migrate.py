"""Schema migrations with Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from akhbar.errors import AkhbarError

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


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to ``revision`` (idempotent)."""
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The database's revision(s), comma-separated when branches are applied; None if empty."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def head_revision() -> str | None:
    """The latest revision(s) of this akhbar's migrations, in the same form."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(sorted(heads)) or None


class SchemaOutdated(AkhbarError, RuntimeError):
    """The database has an older schema than this akhbar: run ``akhbar db upgrade``."""


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to write into an outdated one."""
    from sqlalchemy import inspect

    current = current_revision(engine)
    if current is None:
        if inspect(engine).get_table_names():
            raise SchemaOutdated(
                "database has tables but no Alembic revision; is this an akhbar database?"
            )
        upgrade(engine)
        return
    head = head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current}, this akhbar needs {head}: run `akhbar db upgrade`"
        )
