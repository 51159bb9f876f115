"""A source's ``schedule`` as an APScheduler trigger: what the scheduler runs on and what the
metrics read a source's interval from (a module of its own, so neither imports the other)."""

from __future__ import annotations

from datetime import UTC

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from akhbar.seeds import SourceConfig


def trigger_for(source: SourceConfig) -> IntervalTrigger | CronTrigger:
    """The APScheduler trigger of a source's ``schedule`` (cron expressions are in UTC)."""
    parsed = source.parsed_schedule
    if parsed.interval is not None:
        return IntervalTrigger(seconds=int(parsed.interval.total_seconds()), timezone=UTC)
    assert parsed.cron is not None
    return CronTrigger.from_crontab(parsed.cron, timezone="UTC")
