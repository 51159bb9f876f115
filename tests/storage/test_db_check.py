"""`akhbar db check`: the database's schema against the models, exit 1 on any drift."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from akhbar.cli import cli
from akhbar.storage import make_engine
from akhbar.storage.migrate import downgrade, head_revision, schema_drift, upgrade


def check(db_url: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db_url, "db", "check"], catch_exceptions=False)


def test_a_migrated_database_matches_the_models(db_url: str) -> None:
    upgrade(make_engine(db_url))
    result = check(db_url)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"database at {head_revision()} matches the models"


def test_columns_changed_by_hand_are_reported_one_line_each(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE articles ADD COLUMN mood VARCHAR(20)"))
        conn.execute(text("ALTER TABLE crawl_runs DROP COLUMN heartbeat_at"))
    engine.dispose()
    assert sorted(schema_drift(make_engine(db_url))) == [
        "column articles.mood: in the database, not in the models",
        "column crawl_runs.heartbeat_at: in the models, missing from the database",
    ]
    result = check(db_url)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "drift: column articles.mood: in the database, not in the models" in lines
    assert "drift: column crawl_runs.heartbeat_at: in the models, missing from the database" in (
        lines
    )
    assert lines[-1] == (
        "2 difference(s) between the database and the models "
        "(a migration is missing, or the database was changed by hand)"
    )


def test_an_outdated_revision_says_to_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    downgrade(engine, "-1")
    engine.dispose()
    result = check(db_url)
    assert result.exit_code == 1
    assert f"this akhbar's migrations end at {head_revision()}" in result.output
    assert "(the database is behind: run `akhbar db upgrade`)" in result.output
    CliRunner().invoke(cli, ["--db", db_url, "db", "upgrade"], catch_exceptions=False)
    assert check(db_url).exit_code == 0


def test_an_empty_database_has_nothing_to_check(db_url: str) -> None:
    make_engine(db_url).connect().close()  # the SQLite file exists, without tables
    result = check(db_url)
    assert result.exit_code == 1
    assert "the database has no akhbar schema yet (run `akhbar db upgrade`)" in result.output
