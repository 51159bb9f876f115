"""Options that several ``akhbar`` commands share, each defined once (a decorator per option,
as sqlite-utils does): the same flag is spelt, parsed, explained and refused the same way on
every command that takes it.

``--json`` is :func:`json_option` (printed with :func:`echo_json`); ``--since`` is
:func:`since_option`, parsed by :data:`MOMENT` (a point in time) or :data:`DAY` (a calendar day,
for commands that work day by day). A bad value is a usage error (exit status 2) with one line
that is the same on every command: ``Invalid value for '--since': not a date: ...``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


# -- --json -----------------------------------------------------------------------------------
def json_option(what: str = "") -> Callable[[F], F]:
    """``--json`` (the ``as_json`` parameter): print ``what`` as JSON instead of a table."""
    help_text = f"Print {what} as JSON." if what else "Print JSON."
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def echo_json(value: Any, *, indent: int | None = None) -> None:
    """Print ``value`` as one JSON document: dataclasses as objects, datetimes and other values
    JSON lacks as their ``str()``, Arabic as it is (not ``\\u`` escapes)."""
    click.echo(json.dumps(value, ensure_ascii=False, default=_jsonable, indent=indent))


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


# -- --since ----------------------------------------------------------------------------------
class MomentType(click.ParamType[datetime | None]):
    """A point in time, as an aware UTC datetime: an ISO 8601 date (its midnight UTC) or date
    and time (UTC when it has no zone; ``Z`` and offsets kept), or an RFC 2822 time as feeds
    write it. A blank value means no bound (``None``)."""

    name = "date"
    formats = "YYYY-MM-DD or ISO 8601, UTC if no zone"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime | None:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if not text:
            return None
        from akhbar.storage.reader_cursor import parse_since

        try:
            return parse_since(text)
        except ValueError:
            pass
        from akhbar.cleaner.metadata import parse_datetime  # RFC 2822 and other feed forms

        parsed = parse_datetime(text)
        if parsed is None:
            self.fail(f"not a date: {text!r} (use {self.formats})", param, ctx)
        return parsed.astimezone(UTC)


class DayType(click.ParamType[date]):
    """A UTC calendar day (``YYYY-MM-DD``, or any ISO 8601 date), for commands that work day
    by day: a time of day would be dropped, so it is refused."""

    name = "date"
    formats = "YYYY-MM-DD, UTC"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"not a day: {text!r} (use {self.formats})", param, ctx)


MOMENT = MomentType()
DAY = DayType()


def since_option(help_text: str, *, day: bool = False) -> Callable[[F], F]:
    """``--since DATE`` (the ``since`` parameter): a :data:`MOMENT` (datetime or None), or a
    :data:`DAY` (date) with ``day=True``; the accepted forms are added to ``help_text``."""
    kind = DAY if day else MOMENT
    return click.option("--since", type=kind, metavar="DATE", help=f"{help_text} ({kind.formats}).")
