"""The metrics' run aggregates: read incrementally, they equal a full read; and the health
status the metrics report, on histories built in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from akhbar.metrics import RunFigures, SourceFigures, aggregate_runs, health_status
from akhbar.storage import Repository, make_engine
from akhbar.storage.migrate import ensure_schema
from akhbar.storage.repository import RunCounters


def run(repo: Repository, source: str, status: str, **counters: int) -> int:
    run_id = repo.start_run(source, "scheduled")
    repo.finish_run(run_id, status, RunCounters(**counters))
    return run_id


def comparable(figures: dict[str, SourceFigures]) -> dict[str, tuple[object, ...]]:
    return {
        name: (
            f.runs,
            {k: v for k, v in f.pages.items() if v},
            f.duration_count,
            round(f.duration_sum, 3),
            f.last_ok,
            f.last_new,
            f.newest,
        )
        for name, f in figures.items()
    }


def test_incremental_figures_equal_a_full_read(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    repo = Repository(engine)
    for name in ("alpha", "beta", "gamma"):
        repo.sync_source(name, None, ["ar"])
    run(repo, "alpha", "ok", fetched=8, new=5, duplicate=1, rejected=2)
    run(repo, "alpha", "failed", fetched=1, failed=1)
    held = repo.start_run("beta", "scheduled")  # still running: nothing after it settles
    run(repo, "alpha", "ok", fetched=3, new=0, duplicate=3)

    figures = RunFigures()
    figures.SETTLE_AFTER = 0.0  # every id seen is ripe at once (no insert is in flight here)

    def full() -> dict[str, SourceFigures]:
        with engine.connect() as conn:
            return aggregate_runs(conn, 0)

    first = figures.read(engine)
    assert comparable(first) == comparable(full())
    assert first["alpha"].runs == {"ok": 2, "failed": 1}
    assert first["alpha"].pages == {"article": 5, "duplicate": 4, "rejected": 2, "error": 1}
    assert first["beta"].runs == {"running": 1}
    assert figures._watermark == held - 1  # the running run and what follows stay unsettled

    repo.finish_run(held, "ok", RunCounters(fetched=4, new=4))
    for _ in range(3):
        run(repo, "gamma", "failed", fetched=2, failed=2)
    second = figures.read(engine)
    assert figures._watermark == held + 4  # all settled now
    third = figures.read(engine)  # from the settled sums alone
    assert comparable(second) == comparable(third) == comparable(full())
    assert third["beta"].runs == {"ok": 1} and third["beta"].pages["article"] == 4
    assert [status for _, status, _, _ in third["gamma"].newest] == ["failed"] * 3
    engine.dispose()


def figures_of(*runs: tuple[str, int, int], last_new: datetime | None) -> SourceFigures:
    """Newest run first: (status, fetched, rejected + error pages)."""
    newest = [
        (100 - i, status, fetched, useless) for i, (status, fetched, useless) in enumerate(runs)
    ]
    return SourceFigures(newest=newest, last_new=last_new)


@pytest.mark.parametrize(
    ("runs", "new_ago", "expected"),
    [
        ([], None, "never run"),
        ([("ok", 10, 1), ("ok", 10, 0)], timedelta(hours=1), "ok"),
        ([("failed", 0, 0)] * 3, timedelta(hours=1), "broken"),
        ([("ok", 20, 20), ("ok", 10, 0)], timedelta(hours=1), "broken"),
        ([("failed", 2, 2), ("ok", 10, 0)], timedelta(hours=1), "broken"),
        ([("failed", 0, 0), ("ok", 10, 0)], timedelta(hours=1), "degraded"),
        ([("ok", 10, 7)], timedelta(hours=1), "degraded"),
        ([("ok", 10, 0)], timedelta(days=3), "quiet"),
        ([("ok", 10, 0)], None, "quiet"),
    ],
)
def test_health_status_from_the_newest_runs(
    runs: list[tuple[str, int, int]], new_ago: timedelta | None, expected: str
) -> None:
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    last_new = None if new_ago is None else now - new_ago
    figures = figures_of(*runs, last_new=last_new) if runs else None
    assert health_status(figures, 3600.0, now) == expected
