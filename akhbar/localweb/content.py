"""The sites' content, read from ``content/<site>.toml`` into typed records.

Texts live in data files, not in code, so stories can be added or corrected without touching the
renderers. Each site's URL scheme (its ``kind``) is applied here, once, so every later stage
(pages, feeds, sitemaps, truth) agrees on one path per story.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

SITE_NAMES: tuple[str, ...] = ("wahanews", "najmagency", "sahilgate")

Kind = Literal["portal", "agency", "modern"]
BlockKind = Literal["p", "h2", "h3"]


@dataclass(frozen=True)
class Block:
    """One paragraph or sub-heading of a story body."""

    kind: BlockKind
    text: str


@dataclass(frozen=True)
class Story:
    """One article as published on one site."""

    key: str
    path: str
    print_path: str
    section: str
    headline: str
    summary: str
    dateline: str
    published: datetime
    modified: datetime
    author: str
    snippet: str
    blocks: tuple[Block, ...]
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    standfirst: str = ""
    image_caption: str = ""
    tag_country: str = ""
    tag_date: str = ""
    tag_person: str = ""
    sources: tuple[str, ...] = ()
    wire: str = ""  # same value on two sites = one syndicated story
    seed: str = ""  # "000" / "003": the story comes from that seed page

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "p"]

    @property
    def text(self) -> str:
        """Every text the body shows (blocks and sources), for content checks."""
        return "\n".join([*(b.text for b in self.blocks), self.standfirst, *self.sources])


@dataclass(frozen=True)
class Section:
    slug: str
    title: str


@dataclass(frozen=True)
class Missing:
    """A story listed in a feed or sitemap whose page is gone (the server answers 404)."""

    path: str
    headline: str
    published: datetime


@dataclass(frozen=True)
class SiteContent:
    """Everything one fictional site publishes, newest story first."""

    name: str
    title: str
    kind: Kind
    domain: str
    tagline: str
    about: str
    copyright: str
    sections: tuple[Section, ...]
    stories: tuple[Story, ...]
    missing: tuple[Missing, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def section(self, slug: str) -> Section:
        return next(s for s in self.sections if s.slug == slug)

    def text(self, key: str) -> str:
        return str(self.extra[key])

    def records(self, key: str) -> list[dict[str, str]]:
        return [{str(k): str(v) for k, v in item.items()} for item in self.extra.get(key, [])]

    def others(self, story: Story) -> list[Story]:
        return [s for s in self.stories if s.key != story.key]


_SITE_KEYS = {"name", "title", "kind", "domain", "tagline", "about", "copyright", "sections"}


def parse_body(body: str) -> tuple[Block, ...]:
    """Blank-line separated blocks; ``## `` / ``### `` mark sub-headings."""
    blocks: list[Block] = []
    for chunk in body.strip().split("\n\n"):
        text = " ".join(chunk.split())
        if text.startswith("### "):
            blocks.append(Block("h3", text[4:]))
        elif text.startswith("## "):
            blocks.append(Block("h2", text[3:]))
        elif text:
            blocks.append(Block("p", text))
    return tuple(blocks)


def _paths(kind: Kind, raw: dict[str, Any], published: datetime) -> tuple[str, str, str]:
    """(key, path, print path) of a story under the site's URL scheme."""
    if kind == "portal":
        key = str(raw["id"])
        return key, f"/news/{raw['section']}/{key}", f"/print/news/{raw['section']}/{key}"
    if kind == "agency":
        key = str(raw["id"])
        path = f"/ar/{raw['section']}/{raw['slug']}/{key}"
        return key, path, f"/ar/print/{raw['slug']}/{key}"
    key = str(raw["date_slug"])
    path = f"/{published:%Y/%m/%d}/{key}/"
    return key, path, path + "print/"


def _story(kind: Kind, raw: dict[str, Any]) -> Story:
    published = datetime.fromisoformat(raw["published"])
    key, path, print_path = _paths(kind, raw, published)
    return Story(
        key=key,
        path=path,
        print_path=print_path,
        section=raw["section"],
        headline=raw["headline"],
        summary=raw["summary"],
        dateline=raw.get("dateline", ""),
        published=published,
        modified=datetime.fromisoformat(raw["modified"]),
        author=raw["author"],
        snippet=raw["snippet"],
        blocks=parse_body(raw["body"]),
        keywords=tuple(raw.get("keywords", ())),
        tags=tuple(raw.get("tags", ())),
        standfirst=raw.get("standfirst", ""),
        image_caption=raw.get("image_caption", ""),
        tag_country=raw.get("tag_country", ""),
        tag_date=raw.get("tag_date", ""),
        tag_person=raw.get("tag_person", ""),
        sources=tuple(raw.get("sources", ())),
        wire=raw.get("wire", ""),
        seed=raw.get("seed", ""),
    )


def _missing(kind: Kind, raw: dict[str, Any]) -> Missing:
    published = datetime.fromisoformat(raw["published"])
    _, path, _ = _paths(kind, raw, published)
    return Missing(path=path, headline=raw["headline"], published=published)


def parse_site(data: dict[str, Any]) -> SiteContent:
    site = data["site"]
    kind: Kind = site["kind"]
    stories = sorted(
        (_story(kind, raw) for raw in data["articles"]), key=lambda s: s.published, reverse=True
    )
    return SiteContent(
        name=site["name"],
        title=site["title"],
        kind=kind,
        domain=site["domain"],
        tagline=site["tagline"],
        about=site["about"],
        copyright=site["copyright"],
        sections=tuple(Section(s["slug"], s["title"]) for s in site["sections"]),
        stories=tuple(stories),
        missing=tuple(_missing(kind, raw) for raw in data.get("missing", [])),
        extra={k: v for k, v in site.items() if k not in _SITE_KEYS},
    )


@cache
def load_site(name: str) -> SiteContent:
    """One site's content from the package data."""
    source = resources.files("akhbar.localweb") / "content" / f"{name}.toml"
    return parse_site(tomllib.loads(source.read_text(encoding="utf-8")))


def load_sites() -> list[SiteContent]:
    """All sites, in serving order (site i is served on 127.0.0.(first_host + i))."""
    return [load_site(name) for name in SITE_NAMES]
