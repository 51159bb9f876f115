"""Seeds files for the local sites, in the public seeds format (``docs/seeds.md``).

Written by hand rather than with a TOML library (none is a dependency): URLs go into basic
strings, regexes into literal strings so their backslashes stay as written.
"""

from __future__ import annotations

import json
from pathlib import Path

from akhbar.localweb.site import BuiltSite


def _basic(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _literal(value: str) -> str:
    if "'" in value or "\n" in value:
        raise ValueError(f"cannot write {value!r} as a TOML literal string")
    return f"'{value}'"


def _array(values: list[str], quote: bool = True) -> str:
    return "[" + ", ".join(_basic(v) if quote else _literal(v) for v in values) + "]"


def loopback_politeness(concurrency: int) -> list[str]:
    """The ``[politeness]`` table of a site on loopback (no delay; robots.txt still obeyed),
    as the closing lines of a seeds file; benchmarks end theirs with it too."""
    return [
        "",
        "[politeness]",
        "download_delay = 0.0",
        f"concurrency = {concurrency}",
        "obey_robots = true",
        "",
    ]


def seeds_toml(built: BuiltSite, *, schedule: str = "every 30m") -> str:
    site, rules = built.content, built.rules
    lines = [
        f"# {site.title}: a site of the local news web (akhbar.localweb), on {built.base}",
        f"name = {_basic(site.name)}",
        'language = "ar"',
        f"home_url = {_basic(built.url('/'))}",
        f"feeds = {_array([built.url(p) for p in rules.feeds])}",
        f"sitemaps = {_array([built.url(p) for p in rules.sitemaps])}",
        f"start_urls = {_array([built.url(p) for p in rules.start_urls])}",
        *(
            [f"archive_urls = {_array([built.url(p) for p in rules.archive_urls])}"]
            if rules.archive_urls
            else []
        ),
        f"allow = {_array(list(rules.allow), quote=False)}",
        f"deny = {_array(list(rules.deny), quote=False)}",
        f"schedule = {_basic(schedule)}",
        "max_pages_per_run = 500",
        *loopback_politeness(4),
    ]
    return "\n".join(lines)


def write_seeds(sites: list[BuiltSite], directory: Path, *, schedule: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for built in sites:
        path = directory / f"{built.content.name}.toml"
        path.write_text(seeds_toml(built, schedule=schedule), encoding="utf-8")
        paths.append(path)
    return paths
