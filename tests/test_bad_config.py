"""Bad configuration ends every command with one clear line and a non-zero exit.

The real CLI runs in a subprocess (``python -m akhbar``) so exit codes and stderr are what a
user sees. All cases are started at once (a thread pool) because each start costs seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every case is a `python -m akhbar` process

GOOD = 'name = "s"\nstart_urls = ["http://127.0.0.1:9/"]\n'
BAD_SEEDS = {
    # case: (file text, expected "file:key: reason" fragment after the file name)
    "bad_toml": ('name = "s\nstart_urls = [\n', ":<toml>: invalid TOML"),
    "unknown_key": (GOOD + "colour = 1\n", ":colour: unknown key"),
    "bad_regex": (GOOD + 'allow = ["(abc"]\n', ":allow[0]: bad regex"),
    "bad_cron": (GOOD + 'schedule = "61 * * * *"\n', ":schedule: bad cron expression"),
    "bad_url": ('name = "s"\nstart_urls = ["ftp://x/"]\n', ":start_urls[0]: not an http(s) URL"),
}
PG_REFUSED = "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1
UNWRITABLE = "sqlite:////proc/akhbar-test.db"  # /proc refuses new files even to root


@dataclass(frozen=True)
class Case:
    """One command run: arguments, environment additions, and what stderr must contain."""

    args: tuple[str, ...]
    expect: str
    env: dict[str, str] = field(default_factory=dict, hash=False)
    seed_lines: int = 0  # for invalid seeds: the `file:key: reason` lines before the error


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str


TMP = "{tmp}"  # replaced by the module's temporary directory when a case runs


def _write_seeds(tmp: Path) -> None:
    """One directory per bad seeds file, one with all of them, one good."""
    for name, (text, _) in BAD_SEEDS.items():
        (tmp / name).mkdir()
        (tmp / name / "s.toml").write_text(text, encoding="utf-8")
    (tmp / "all_bad").mkdir()
    for name, (text, _) in BAD_SEEDS.items():
        (tmp / "all_bad" / f"{name}.toml").write_text(text, encoding="utf-8")
    (tmp / "good").mkdir()
    (tmp / "good" / "s.toml").write_text(GOOD, encoding="utf-8")


def _cases() -> dict[str, Case]:
    """Every case by name; paths hold the {tmp} placeholder."""
    tmp = Path(TMP)
    ok_db = f"sqlite:///{tmp / 'ok.db'}"
    good = tmp / "good"
    cases: dict[str, Case] = {}
    for name, (_, expect) in BAD_SEEDS.items():
        base = ("--db", ok_db, "--seeds", str(tmp / name))
        cases[f"seeds-{name}-validate"] = Case((*base, "seeds", "validate"), expect, seed_lines=1)
    mixed = tmp / "all_bad"  # every bad file at once
    base = ("--db", ok_db, "--seeds", str(mixed))
    n = len(BAD_SEEDS)
    cases["seeds-all-crawl"] = Case(
        (*base, "crawl", "--all"), "error: no valid sources", seed_lines=n
    )
    cases["seeds-all-schedule"] = Case((*base, "schedule", "--list"), "skipped:", seed_lines=n)
    cases["seeds-all-backfill"] = Case(
        (*base, "backfill", "s", "--since", "2024-01-01"),
        "error: unknown or invalid source(s): s (known in the seeds: none)",
        seed_lines=n,
    )

    commands = {
        "crawl": ("crawl", "--all"),
        "schedule": ("schedule", "--list"),
        "backfill": ("backfill", "s", "--since", "2024-01-01"),
        "stats": ("stats",),
        "upgrade": ("db", "upgrade"),
        "export": ("export",),
        "search": ("search", "x"),
    }
    # every command meets a bad database; not every kind each (a start costs seconds)
    for cmd in ("stats", "backfill", "upgrade"):
        cases[f"url-garbage-{cmd}"] = Case(
            ("--db", "not a url", "--seeds", str(good), *commands[cmd]),
            "error: invalid database URL",
        )
    for cmd in ("crawl", "upgrade"):
        cases[f"sqlite-unwritable-{cmd}"] = Case(
            ("--db", UNWRITABLE, "--seeds", str(good), *commands[cmd]),
            "error: database error: unable to open database file (sqlite:////proc/",
        )
    # a command that only reads does not try to create the missing file
    cases["sqlite-missing-export"] = Case(
        ("--db", UNWRITABLE, "--seeds", str(good), *commands["export"]),
        "error: no database at /proc/",
    )
    for cmd in ("schedule", "backfill", "search"):
        cases[f"pg-refused-{cmd}"] = Case(
            ("--db", PG_REFUSED, "--seeds", str(good), *commands[cmd]),
            "error: database error: connection failed",
        )
    cases["url-mysql-search"] = Case(
        ("--db", "mysql://u@h/d", "search", "x"), "error: unsupported database backend 'mysql'"
    )
    missing = str(tmp / "no-such-dir")
    for cmd in ("crawl", "schedule", "backfill"):
        cases[f"seeds-dir-missing-{cmd}"] = Case(
            ("--db", ok_db, "--seeds", missing, *commands[cmd]),
            "error: seeds directory not found:",
        )
    cases["seeds-dir-missing-validate"] = Case(
        ("--db", ok_db, "--seeds", missing, "seeds", "validate"),
        ":<dir>: seeds directory not found",
        seed_lines=1,
    )
    env_cases = {
        "num-perm-abc": ({"AKHBAR_DEDUP__NUM_PERM": "abc"}, "AKHBAR_DEDUP__NUM_PERM='abc'"),
        "timeout-negative": (
            {"AKHBAR_CRAWL__DOWNLOAD_TIMEOUT": "-1"},
            "AKHBAR_CRAWL__DOWNLOAD_TIMEOUT='-1': Input should be greater than 0",
        ),
        "dedup-json": ({"AKHBAR_DEDUP": "{bad"}, "AKHBAR_DEDUP: not valid JSON"),
        "log-level": ({"AKHBAR_LOG_LEVEL": "loud"}, "AKHBAR_LOG_LEVEL='loud': unknown log level"),
    }
    for (name, (env, expect)), cmd in zip(
        env_cases.items(), ("stats", "crawl", "export", "schedule"), strict=True
    ):
        cases[f"env-{name}-{cmd}"] = Case(
            ("--db", ok_db, "--seeds", str(good), *commands[cmd]),
            f"error: invalid setting {expect}",
            env=env,
        )
    return cases


CASES = _cases()


def _run(case: Case, tmp: Path | None = None) -> Outcome:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKHBAR_")}
    env.update(case.env, COLUMNS="200")
    proc = subprocess.run(
        [sys.executable, "-m", "akhbar", *(a.replace(TMP, str(tmp)) for a in case.args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(proc.returncode, proc.stderr)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    tmp = tmp_path_factory.mktemp("badconfig")
    _write_seeds(tmp)
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = pool.map(lambda case: _run(case, tmp), CASES.values())
        yield dict(zip(CASES, runs, strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_one_clear_line(name: str, outcomes: dict[str, Outcome]) -> None:
    case = CASES[name]
    result = outcomes[name]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.code != 0, result.stderr
    assert "Traceback" not in result.stderr
    assert any(case.expect in line for line in lines), result.stderr
    if case.seed_lines:
        seed_lines = [line for line in lines if ".toml:" in line or ":<dir>:" in line]
        assert len(seed_lines) == case.seed_lines, result.stderr
        assert len(lines) <= case.seed_lines + 1, result.stderr
    else:
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), result.stderr


@pytest.mark.parametrize(
    "args, env",
    [
        (("--db", UNWRITABLE, "db", "upgrade"), {}),
        (("--db", "not a url", "stats"), {}),
        (("stats",), {"AKHBAR_DEDUP__NUM_PERM": "abc"}),
    ],
)
def test_debug_shows_the_traceback(args: tuple[str, ...], env: dict[str, str]) -> None:
    result = _run(Case(("--debug", *args), "", env=env))
    assert result.code != 0
    assert "Traceback (most recent call last)" in result.stderr
