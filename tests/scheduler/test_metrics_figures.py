"""The metrics' run aggregates: read incrementally, they equal a full read (SQLite and
PostgreSQL)."""

from __future__ import annotations

from akhbar.metrics import RunFigures, SourceFigures, aggregate_runs
from akhbar.storage import Repository, make_engine
from akhbar.storage.repository import RunCounters
from akhbar.storage.runs import finish_run, start_run


def run(repo: Repository, source: str, status: str, **counters: int) -> int:
    run_id = start_run(repo, source, "scheduled")
    finish_run(repo, run_id, status, RunCounters(**counters))
    return run_id


def comparable(figures: dict[str, SourceFigures]) -> dict[str, tuple[object, ...]]:
    return {
        name: (
            f.runs,
            {k: v for k, v in f.pages.items() if v},
            f.duration_count,
            round(f.duration_sum, 3),
            f.last_ok,
        )
        for name, f in figures.items()
    }


def test_incremental_figures_equal_a_full_read(migrated_db_url: str) -> None:
    engine = make_engine(migrated_db_url)
    repo = Repository(engine)
    for name in ("alpha", "beta", "gamma"):
        repo.sync_source(name, None, ["ar"])
    run(repo, "alpha", "ok", fetched=8, new=5, duplicate=1, rejected=2)
    run(repo, "alpha", "failed", fetched=1, failed=1)
    held = start_run(repo, "beta", "scheduled")  # still running: nothing after it settles
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

    finish_run(repo, held, "ok", RunCounters(fetched=4, new=4))
    for _ in range(3):
        run(repo, "gamma", "failed", fetched=2, failed=2)
    second = figures.read(engine)
    assert figures._watermark == held + 4  # all settled now
    third = figures.read(engine)  # from the settled sums alone
    assert comparable(second) == comparable(third) == comparable(full())
    assert third["beta"].runs == {"ok": 1} and third["beta"].pages["article"] == 4
    assert third["gamma"].runs == {"failed": 3} and third["gamma"].last_ok is None
    engine.dispose()
