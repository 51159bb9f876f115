"""Shared rendering helpers: templates, the ``<head>``, Arabic dates, teasers, responses.

Everything a site shows goes through :func:`esc` or :func:`attr` (``html.escape``), and pages are
filled from ``string.Template`` files in ``templates/``: no template engine, no new dependency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import quote

HTML = "text/html; charset=utf-8"

WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
LEVANT_MONTHS = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
_EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@dataclass(frozen=True)
class Page:
    """One prepared HTTP response."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    last_modified: datetime | None = None


def esc(text: str) -> str:
    return escape(text, quote=False)


def attr(text: str) -> str:
    return escape(text, quote=True)


def slug_path(text: str) -> str:
    """An Arabic tag or name as a percent-encoded path segment."""
    return quote(text.replace(" ", "-"), safe="")


@cache
def template(name: str) -> Template:
    source = resources.files("akhbar.localweb") / "templates" / name
    return Template(source.read_text(encoding="utf-8"))


def fill(name: str, **values: str) -> str:
    return template(name).substitute(values)


def html_page(text: str, status: int = 200, modified: datetime | None = None) -> Page:
    return Page(text.encode("utf-8"), HTML, status, modified)


def teaser(headline: str, words: int) -> str:
    """A headline cut to ``words`` words with an ellipsis, as portal teaser lists show it."""
    parts = headline.split()
    return headline if len(parts) <= words else " ".join(parts[:words]) + "…"


def arabic_date(when: datetime, *, weekday: bool = True, levant: bool = False) -> str:
    """``الخميس 13 أكتوبر 2022`` (or Levantine month names with Eastern Arabic digits)."""
    month = (LEVANT_MONTHS if levant else MONTHS)[when.month - 1]
    text = f"{when.day} {month} {when.year}"
    if levant:
        text = text.translate(_EASTERN_DIGITS)
    return f"{WEEKDAYS[when.weekday()]} {text}" if weekday else text


def utc_z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_ld(data: dict[str, Any]) -> str:
    """JSON-LD for a ``<script>`` element (``</`` cannot close the element early)."""
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def news_article_ld(
    *,
    url: str,
    headline: str,
    description: str,
    image: str,
    published: str,
    modified: str,
    author: dict[str, str],
    section: str,
    keywords: list[str],
    publisher: str,
) -> str:
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": headline,
            "description": description,
            "image": [image],
            "datePublished": published,
            "dateModified": modified,
            "author": [author],
            "publisher": {"@type": "Organization", "name": publisher},
            "articleSection": section,
            "keywords": ", ".join(keywords),
            "inLanguage": "ar",
        }
    )


def collection_ld(url: str, name: str, items: list[str]) -> str:
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "@id": url,
            "name": name,
            "mainEntity": {
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": i, "url": u}
                    for i, u in enumerate(items, start=1)
                ],
            },
        }
    )


def head(
    *,
    title: str,
    description: str,
    canonical: str,
    site_title: str,
    og_type: str,
    og_title: str,
    image: str,
    ld: str,
    extra: str = "",
) -> str:
    """The ``<head>`` element shared by the three sites (their chrome differs, not this)."""
    return fill(
        "head.html",
        title=esc(title),
        description=attr(description),
        canonical=attr(canonical),
        site_title=attr(site_title),
        og_type=og_type,
        og_title=attr(og_title),
        image=attr(image),
        extra=extra,
        ld=ld,
    )


def link_list(items: list[tuple[str, str]], css: str = "") -> str:
    """``<ul>`` of ``(href, text)`` links."""
    cls = f' class="{css}"' if css else ""
    lis = "".join(f'<li><a href="{attr(href)}">{esc(text)}</a></li>' for href, text in items)
    return f"<ul{cls}>{lis}</ul>"
