"""The one typed settings object.

Configuration flows one way: environment (``AKHBAR_*``) and CLI options build an
:class:`AkhbarSettings`; the stages receive the part they need as arguments. Nothing deeper in
the code reads the environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from akhbar.errors import AkhbarError


class CleanerSettings(BaseModel):
    """Options of the extraction stage."""

    min_text_chars: int = Field(default=250, ge=0, description="shorter texts are rejected")
    favor_precision: bool = True
    include_tables: bool = True


class DedupSettings(BaseModel):
    """Parameters of near-duplicate detection (defaults measured, see docs/dedup.md)."""

    shingle_size: int = Field(default=3, ge=1, le=10, description="words per shingle")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations")
    threshold: float = Field(
        default=0.3,
        gt=0.0,
        lt=1.0,
        description="LSH Jaccard threshold: pairs below it are never near copies (candidate "
        "filter, kept well below verify_jaccard so edited and truncated copies are found)",
    )
    verify_jaccard: float = Field(
        default=0.6, gt=0.0, le=1.0, description="estimated Jaccard needed for a near verdict"
    )
    containment_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="estimated share of the shorter text found in the longer one that makes a "
        "candidate a near copy (truncated republication)",
    )
    min_words_for_near: int = Field(
        default=40, ge=1, description="texts with fewer normalised words are only exact copies"
    )
    seed: int = Field(
        default=1, ge=0, lt=2**32, description="MinHash permutation seed (stored signatures)"
    )
    index: Literal["memory", "redis"] = Field(
        default="memory",
        description="where the near-duplicate index lives: this process's memory (rebuilt "
        "from the database at start-up) or Redis (AKHBAR_REDIS_URL), shared by every worker "
        "of the database and kept across restarts (docs/dedup.md)",
    )


class CrawlSettings(BaseModel):
    """Crawler-wide options (per-source politeness lives in the seeds files)."""

    user_agent: str = "akhbar/0.1 (+https://github.com/akhbar-news/akhbar)"
    download_timeout: float = Field(default=30.0, gt=0)
    retry_times: int = Field(default=2, ge=0)
    batch_size: int = Field(default=50, ge=1, description="pages written per transaction")
    max_response_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="larger responses (or decompressed bodies) fail with reason too_large",
    )
    warn_response_bytes: int = Field(default=5 * 1024 * 1024, ge=0)
    retry_backoff_base: float = Field(
        default=0.5, ge=0, description="seconds before the first retry, doubled per retry"
    )
    retry_backoff_max: float = Field(
        default=30.0, ge=0, description="longest wait between retries; a longer Retry-After fails"
    )
    max_redirects: int = Field(default=5, ge=0, description="redirect hops followed per request")
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="non-public networks (CIDR) the crawler may connect to besides the hosts "
        "in the seeds files, e.g. 127.0.0.0/8 in tests; private targets are refused otherwise",
    )
    allow_offsite_redirects: bool = Field(
        default=False, description="follow redirects to hosts outside the source's site"
    )
    distributed: bool = Field(
        default=False,
        description="share the request queue and seen-URL filter with other crawl processes "
        "on Redis (AKHBAR_REDIS_URL), so several workers crawl one source together "
        "(docs/scaling.md)",
    )
    extract_workers: int | None = Field(
        default=None,
        ge=0,
        description="processes cleaning fetched pages while the crawler goes on downloading "
        "(None: one per CPU core; 0: clean in the crawl process itself)",
    )
    commit_interval: float = Field(
        default=1.0,
        gt=0,
        description="seconds a batch may stay uncommitted (it holds the dedup decision lock, "
        "which other crawl processes wait for, and on SQLite the write lock)",
    )
    progress_every: float = Field(
        default=15.0,
        gt=0,
        description="seconds between the one-line progress reports of `akhbar crawl` when "
        "its output is not a terminal (a terminal gets a live display instead)",
    )
    max_failed_commits: int = Field(
        default=3,
        ge=1,
        description="batches in a row that cannot be stored, even after their replay, before "
        "the crawl stops fetching and closes its runs as failed (a persistent write error: "
        "disk full, read-only database)",
    )


class SchedulerSettings(BaseModel):
    """``akhbar schedule``: how many crawls at once, how long each may take, how to stop."""

    max_concurrent_runs: int = Field(
        default=2, ge=1, le=64, description="crawl processes running at once, all sources"
    )
    run_time_limit: float = Field(
        default=3600.0, gt=0, description="seconds a run may take before it is stopped"
    )
    shutdown_grace: float = Field(
        default=60.0, ge=0, description="on SIGTERM/SIGINT, seconds running crawls may finish"
    )
    kill_after: float = Field(
        default=15.0, gt=0, description="seconds between asking a crawl to stop and killing it"
    )
    stale_after: float = Field(
        default=120.0,
        gt=0,
        description="a running run whose heartbeat is older is taken for dead (heartbeats "
        "come every 15 s); on the same host a vanished process is detected at once",
    )
    misfire_grace_time: float | None = Field(
        default=None,
        ge=1,
        description="seconds a missed run may be late and still run (None: always run once; "
        "missed runs are coalesced into one)",
    )
    failover_after: float = Field(
        default=30.0,
        ge=6,
        le=600,
        description="PostgreSQL: seconds after which a standby scheduler takes over from an "
        "active one that PostgreSQL cannot reach (a dead host, a partition); the active steps "
        "down after half of it without an answer to its heartbeat. A killed active is replaced "
        "within failover_after / 15 s (at least 1 s)",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="serve Prometheus metrics on this port (0: any free port, logged); "
        "None: no metrics endpoint (the --metrics-port option)",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="address the metrics endpoint binds to; 0.0.0.0 or a host address only "
        "when the network in between is trusted (the metrics name sources, not secrets)",
    )


class HealthSettings(BaseModel):
    """Thresholds of ``akhbar health`` (docs/deploy.md, "Health"): when a source counts as
    quiet, degraded or broken against its own history."""

    recent_days: int = Field(
        default=7, ge=1, le=60, description="the recent window judged (the last 24 h too)"
    )
    baseline_days: int = Field(
        default=28,
        ge=1,
        le=365,
        description="days before the recent window that make a source's baseline",
    )
    min_pages: int = Field(
        default=10,
        ge=1,
        description="fewer fetched pages in a window are too few to judge its rates",
    )
    broken_rate: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="share of pages rejected (or failed) that makes a source broken",
    )
    degraded_rate: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of pages rejected (or failed) that makes a source degraded",
    )
    min_increase: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="a rate must also exceed the baseline's by this much (a source whose "
        "feed always lists many section pages is not degraded by them)",
    )
    reason_increase: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="growth in the share of one rejection reason that is extraction drift",
    )
    failed_runs: int = Field(
        default=3, ge=1, description="failed runs in a row that make a source broken"
    )
    text_change: float = Field(
        default=2.0,
        gt=1,
        description="factor by which the median article length may move before it is drift",
    )
    min_articles: int = Field(
        default=5, ge=1, description="articles needed in each window to compare text lengths"
    )
    quiet_ratio: float = Field(
        default=0.25,
        ge=0,
        lt=1,
        description="recent articles below this share of the expected count make a source quiet",
    )
    quiet_min_expected: float = Field(
        default=7.0,
        ge=0,
        description="the recent-window rule needs at least this many expected articles",
    )
    quiet_day_median: float = Field(
        default=5.0,
        ge=0,
        description="no article in 24 h is quiet when the baseline's median day has this many",
    )
    max_run_age_hours: float = Field(
        default=48.0,
        ge=0,
        description="hours without a successful run that make a source quiet (0: never)",
    )


class AkhbarSettings(BaseSettings):
    """Everything akhbar can be told, from the environment or the CLI."""

    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite:///akhbar.db"
    database_connect_timeout: int = Field(
        default=10,
        ge=2,
        le=3600,
        description="seconds to wait for a PostgreSQL server to accept and answer a new "
        "connection before giving up with an error",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis of distributed crawls (`akhbar crawl --distributed`) and of the "
        "shared dedup index (AKHBAR_DEDUP__INDEX=redis)",
    )
    redis_key_prefix: str = Field(
        default="akhbar",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="first part of every Redis key akhbar writes",
    )
    seeds_dir: Path = Path("seeds")
    log_level: str = "INFO"
    cleaner: CleanerSettings = Field(default_factory=CleanerSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"unknown log level (one of {', '.join(_LOG_LEVELS)})")
        return level


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# settings the CLI can also set with an option: name those in messages, not the variable
_CLI_OPTIONS = {"database_url": "--db", "seeds_dir": "--seeds", "log_level": "--log-level"}


class InvalidSettings(AkhbarError, ValueError):
    """A setting from the environment or the command line has a value akhbar cannot use."""


def load_settings(**overrides: Any) -> AkhbarSettings:
    """Build the settings; a bad value is an :class:`InvalidSettings` naming the variable.

    One line for the user, e.g. ``invalid setting AKHBAR_DEDUP__NUM_PERM='abc': Input should
    be a valid integer...``, instead of pydantic's multi-line report.
    """
    try:
        return AkhbarSettings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            name = (
                _CLI_OPTIONS[loc[0]]
                if loc and loc[0] in overrides and loc[0] in _CLI_OPTIONS
                else "AKHBAR_" + "__".join(loc).upper()
            )
            reason = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}={repr(err['input'])[:80]}: {reason}")
        raise InvalidSettings("invalid setting " + "; ".join(problems)) from exc
    except SettingsError as exc:  # a nested setting given as JSON that does not parse
        field = re.search(r'field "([^"]+)"', str(exc))
        prefix = "AKHBAR_" + field.group(1).upper() if field else "AKHBAR_"
        given = sorted(k for k in os.environ if k.upper().startswith(prefix))  # the culprits
        name = ", ".join(given) or prefix
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise InvalidSettings(
            f"invalid setting {name}: not valid JSON (lists and objects are JSON){cause}"
        ) from exc
