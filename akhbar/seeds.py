"""Seeds files: one TOML file per news source, validated into :class:`SourceConfig`.

The keys are a public contract documented in ``docs/seeds.md``. Every problem is reported as
``file:key: reason`` and one bad file never stops the other sources from loading.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from akhbar.errors import AkhbarError

_EVERY_RE = re.compile(r"^every\s+(\d+)\s*([smhd])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regex {value!r}: {exc}") from exc
    return value


HttpUrl = Annotated[str, AfterValidator(_check_url)]


def _check_archive_url(value: str) -> str:
    """An http(s) URL template with a ``{date:...}`` field, e.g. ``.../{date:%Y/%m/%d}``."""
    from datetime import date

    if "{date" not in value:
        raise ValueError(f"archive URL needs a {{date:FORMAT}} field: {value!r}")
    try:
        example = value.format(date=date(2024, 1, 31))
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"bad archive URL template {value!r}: {exc}") from exc
    _check_url(example)
    return value


ArchiveUrl = Annotated[str, AfterValidator(_check_archive_url)]
Regex = Annotated[str, AfterValidator(_check_regex)]


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed ``schedule`` value: either a fixed interval or a crontab expression."""

    expression: str
    interval: timedelta | None = None
    cron: str | None = None


def parse_schedule(value: str) -> Schedule:
    """Parse ``every 30m`` / ``every 6h`` or a five-field cron expression."""
    text = value.strip()
    match = _EVERY_RE.match(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise ValueError("interval must be positive")
        seconds = amount * _UNIT_SECONDS[match.group(2).lower()]
        return Schedule(expression=text, interval=timedelta(seconds=seconds))
    if len(text.split()) != 5:
        raise ValueError(f"{value!r} is neither 'every N m|h' nor a 5-field cron expression")
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {value!r}: {exc}") from exc
    return Schedule(expression=text, cron=text)


class Politeness(BaseModel):
    """How hard akhbar may hit one source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    download_delay: float = Field(default=1.0, ge=0.0, le=3600.0)
    concurrency: int = Field(default=2, ge=1, le=64)
    obey_robots: bool = True


class SourceConfig(BaseModel):
    """One news source as declared in its seeds file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    language: str | list[str] = "ar"
    home_url: HttpUrl | None = None
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    start_urls: list[HttpUrl] = Field(default_factory=list)
    archive_urls: list[ArchiveUrl] = Field(default_factory=list)
    allow: list[Regex] = Field(default_factory=list)
    deny: list[Regex] = Field(default_factory=list)
    schedule: str = "every 1h"
    max_pages_per_run: int = Field(default=1000, ge=1)
    politeness: Politeness = Field(default_factory=Politeness)

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError("must be a lowercase slug: a-z, 0-9, '_', '.', '-' (max 64)")
        return value

    @field_validator("language")
    @classmethod
    def _languages_not_empty(cls, value: str | list[str]) -> str | list[str]:
        codes = [value] if isinstance(value, str) else value
        if not codes or any(not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", c) for c in codes):
            raise ValueError("ISO 639-1 language code(s) expected, e.g. 'ar' or ['ar', 'en']")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @model_validator(mode="after")
    def _has_entry_points(self) -> SourceConfig:
        if not (self.feeds or self.sitemaps or self.start_urls):
            raise ValueError("at least one of feeds, sitemaps, start_urls is required")
        return self

    @property
    def languages(self) -> list[str]:
        return [self.language] if isinstance(self.language, str) else list(self.language)

    @property
    def parsed_schedule(self) -> Schedule:
        return parse_schedule(self.schedule)

    @property
    def home(self) -> str:
        """The source's home page: ``home_url`` or the root of its first entry point."""
        if self.home_url:
            return self.home_url
        first = (self.start_urls or self.feeds or self.sitemaps)[0]
        parts = urlsplit(first)
        return f"{parts.scheme}://{parts.netloc}/"

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` matches an allow rule (or there are none) and no deny rule."""
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)


@dataclass(frozen=True, slots=True)
class SeedError:
    """One problem in one seeds file, printed as ``file:key: reason``."""

    file: Path
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.key}: {self.reason}"


@dataclass(slots=True)
class SeedsLoad:
    """Result of reading a seeds directory: the valid sources and every problem found."""

    sources: list[SourceConfig] = field(default_factory=list)
    errors: list[SeedError] = field(default_factory=list)

    def get(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)

    def select(self, names: Sequence[str]) -> list[SourceConfig]:
        """The valid sources named, in seeds order (every one when ``names`` is empty); a name
        that is not a valid source raises :class:`UnknownSource`."""
        check_known(names, {s.name for s in self.sources})
        return [s for s in self.sources if not names or s.name in names]


class UnknownSource(AkhbarError, ValueError):
    """Source names asked for that are not known (see :func:`check_known`)."""


SHOWN_SOURCES = 20  # known names an UnknownSource lists at most; `akhbar seeds list` has all


def check_known(names: Sequence[str], known: Collection[str], where: str = "in the seeds") -> None:
    """Raise :class:`UnknownSource` naming every one of ``names`` not in ``known``, and the known
    ones (so that a typo shows at a glance); ``where`` says where they were looked for."""
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    if not unknown:
        return
    listed = sorted(known)
    shown = ", ".join(listed[:SHOWN_SOURCES]) or "none"
    if len(listed) > SHOWN_SOURCES:
        shown += f" and {len(listed) - SHOWN_SOURCES} more (see `akhbar seeds list`)"
    raise UnknownSource(
        f"unknown or invalid source(s): {', '.join(unknown)} (known {where}: {shown})"
    )


def _loc_to_key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key or "<file>"


def _reason(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def load_source_file(path: Path) -> SourceConfig | list[SeedError]:
    """Read and validate one seeds file: the config, or every problem in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [SeedError(path, "<file>", f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return [SeedError(path, "<file>", f"not UTF-8: {exc.reason}")]
    except tomllib.TOMLDecodeError as exc:
        return [SeedError(path, "<toml>", f"invalid TOML: {exc}")]
    try:
        return SourceConfig.model_validate(data)
    except ValidationError as exc:
        return [
            SeedError(path, _loc_to_key(tuple(err["loc"])), _reason(err)) for err in exc.errors()
        ]


def load_seeds(directory: Path) -> SeedsLoad:
    """Load every ``*.toml`` in ``directory``; bad files are reported, never fatal."""
    result = SeedsLoad()
    if not directory.is_dir():
        result.errors.append(SeedError(directory, "<dir>", "seeds directory not found"))
        return result
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        loaded = load_source_file(path)
        if isinstance(loaded, list):
            result.errors.extend(loaded)
            continue
        if loaded.name in seen:
            result.errors.append(
                SeedError(
                    path, "name", f"duplicate source name, already used by {seen[loaded.name]}"
                )
            )
            continue
        seen[loaded.name] = path
        result.sources.append(loaded)
    return result
