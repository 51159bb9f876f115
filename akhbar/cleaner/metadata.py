"""Page metadata: title, authors, dates, site, sections, tags, description, image, canonical URL.

Machine-readable sources first (JSON-LD, OpenGraph/article meta, ``<time datetime>``), then
htmldate, then a date written in Arabic in a date-like element or near the top of the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from courlan import normalize_url
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement

from akhbar.cleaner.arabic_dates import parse_arabic_date
from akhbar.text.arabic import fold_arabic

__all__ = ["ARTICLE_TYPES", "LISTING_TYPES", "PageMetadata", "parse_datetime", "read_metadata"]

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNews",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "Review",
    }
)
LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage"})


@dataclass(slots=True)
class PageMetadata:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    sitename: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    image_url: str | None = None
    canonical_url: str = ""
    og_type: str | None = None
    jsonld_types: set[str] = field(default_factory=set)


# -- helpers ----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _uniq(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in (_clean(v) for v in values):
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def _split_list(value: str) -> list[str]:
    return [part for part in re.split(r"\s*[,،;]\s*", value) if part.strip()]


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 / RFC 2822 timestamp as an aware datetime (naive values are UTC)."""
    value = _clean(value)
    if not value:
        return None
    parsed: datetime | None = None
    candidate = value.replace("Z", "+00:00").replace(" ", "T", 1) if value[:4].isdigit() else value
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
            if match:
                try:
                    parsed = datetime(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    parsed = None
    if parsed is None or not 1900 <= parsed.year <= 2100:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# -- JSON-LD ----------------------------------------------------------------------------------


def _jsonld_objects(root: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = (script.text or "").strip().rstrip(";")
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # trailing commas are the commonest breakage
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw))
            except ValueError:
                continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
                main = item.get("mainEntity")
                if isinstance(main, dict | list):
                    stack.append(main)


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for v in value for name in _names(v)]
    return []


_ORGANISATIONS = frozenset({"Organization", "NewsMediaOrganization", "Corporation"})


def _person_names(value: Any, ids: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """JSON-LD author names as (people, organisations): a publisher named as the author is
    only taken when no person is found anywhere on the page. ``{"@id": ...}`` references
    are resolved through the page's ``@graph``; numeric profile ids are not names."""
    people: list[str] = []
    organisations: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = ids.get(item["@id"], item)
        names = [n for n in _names(item) if not _clean(n).isdigit()]
        if isinstance(item, dict) and _types(item) & _ORGANISATIONS:
            organisations.extend(names)
        else:
            people.extend(names)
    return people, organisations


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return _split_list(value)
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _image(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _image(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return _image(value[0])
    return None


# -- meta -------------------------------------------------------------------------------------


def _meta(root: HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content and content.strip():
            found.setdefault(key, []).append(content.strip())
    return found


_AUTHOR_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "citation_author",
)


def _author_meta(meta: dict[str, list[str]]) -> list[str]:
    """Author names from ``<meta>``: the usual names, then a "Written by" label pair (the
    ``twitter:label1`` / ``twitter:data1`` byline SEO plugins write)."""
    for key in _AUTHOR_KEYS:
        if meta.get(key):
            return meta[key]
    for i in ("1", "2"):
        label = _first(meta, f"twitter:label{i}") or ""
        if label.casefold() in ("written by", "author", "by"):
            return meta.get(f"twitter:data{i}", [])
    return []


def _first(meta: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if meta.get(key):
            return meta[key][0]
    return None


_TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:•·»«]|::)\s+")


def _strip_site_suffix(title: str, sitename: str | None, hostname: str) -> str:
    """Remove a " - Site" / " | Site" suffix (or "Site | " prefix) from a page title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_keys = {fold_arabic(s).casefold() for s in (sitename, hostname) if s}
    host_core = hostname.removeprefix("www.").split(".")[0].casefold()

    def is_site(part: str) -> bool:
        key = fold_arabic(part).casefold().strip()
        return key in site_keys or (len(host_core) > 3 and key.replace(" ", "") == host_core)

    seps = _TITLE_SEPARATORS.findall(title)
    if is_site(parts[-1]):
        return "".join(p + s for p, s in zip(parts[:-2], seps[:-1], strict=False)) + parts[-2]
    if is_site(parts[0]):
        return title[len(parts[0]) + len(seps[0]) :]
    return title


def _title(root: HtmlElement, meta: dict[str, list[str]], headline: str | None) -> str:
    """The page's one ``<h1>`` when it has exactly one (what the reader sees; a share title
    is often a marketing variant of it), else the share title, the JSON-LD headline, the
    first ``<h1>``, ``<title>``."""
    h1s = [t for t in (_clean(h.text_content()) for h in root.iter("h1")) if t]
    single = h1s[0] if len(h1s) == 1 and len(h1s[0]) >= 10 else None
    doc_title = _clean(root.findtext(".//title"))
    first_h1 = h1s[0] if h1s else ""
    for candidate in (
        single,
        _first(meta, "og:title", "twitter:title"),
        headline,
        first_h1,
        doc_title,
    ):
        if _clean(candidate):
            return _clean(candidate)
    return ""


# -- dates ------------------------------------------------------------------------------------

_DATE_HINT = re.compile(r"date|time|publish|posted|created|meta|info|byline|tarikh", re.I)


def _time_elements(root: HtmlElement) -> datetime | None:
    best: datetime | None = None
    for el in root.iter("time"):
        value = parse_datetime(el.get("datetime"))
        if value is None:
            continue
        if (el.get("itemprop") or "").lower() == "datepublished" or "publish" in (
            el.get("class") or ""
        ):
            return value
        best = best or value
    return best


def _text_date(root: HtmlElement) -> datetime | None:
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"))))
        if attrs and _DATE_HINT.search(attrs):
            text = _clean(el.text_content())
            if len(text) < 120:
                found = parse_arabic_date(text)
                if found is not None:
                    return found
    # the dateline / tag lines under the headline (not a "today is ..." bar above it)
    body = root.find("body")
    text = _clean((body if body is not None else root).text_content())
    h1 = next((_clean(h.text_content()) for h in root.iter("h1") if _clean(h.text_content())), "")
    start = text.find(h1) if h1 else -1
    dateline = text[max(start, 0) : max(start, 0) + 1500]
    return parse_arabic_date(dateline) or _english_date(dateline)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_EN_DATE = re.compile(
    r"(?:(?P<m1>[A-Z][a-z]{2,8})\.? (?P<d1>\d{1,2})(?:st|nd|rd|th)?,? (?P<y1>(?:19|20)\d\d)"
    r"|(?P<d2>\d{1,2}) (?P<m2>[A-Z][a-z]{2,8}),? (?P<y2>(?:19|20)\d\d))(?!\d)"
)


def _english_date(text: str) -> datetime | None:
    """The first "March 5, 2024" / "5 March 2024" date in a dateline."""
    for match in _EN_DATE.finditer(text):
        month = _MONTHS.get((match["m1"] or match["m2"])[:3].casefold())
        if month is None:
            continue
        try:
            return datetime(
                int(match["y1"] or match["y2"]), month, int(match["d1"] or match["d2"]), tzinfo=UTC
            )
        except ValueError:
            continue
    return None


def _htmldate(root: HtmlElement, url: str) -> datetime | None:
    try:
        found = find_date(root, extensive_search=False, original_date=True, url=url)
    except Exception:  # htmldate is best effort
        return None
    return parse_datetime(found)


# -- visible byline and breadcrumb (fallbacks when the page has no machine-readable ones) -----

_BYLINE_HINT = re.compile(
    r"(?:^|[-_\s])(?:authors?|author-?name|writer|byline|by-line|kateb)(?:$|[-_\s])", re.I
)
_BYLINE_SKIP = re.compile(r"box|bio|info|(?<!v)card|contact|avatar|photo|image|img|title", re.I)
_BYLINE_PREFIX = re.compile(
    r"^(?:كتبت?|بقلم|بواسطة|تحرير|إعداد|اعداد|by|written by|posted by)\s*[:：\-–]?\s*", re.I
)
_HOME = frozenset({"الرئيسية", "الصفحة الرئيسية", "home", "homepage", "accueil"})


def _visible_authors(root: HtmlElement) -> list[str]:
    """The name in a short byline element (``<span class="writer">كتب: فلان</span>``)."""
    for el in root.iter("span", "div", "p", "a", "address"):
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"))))
        if not attrs or not _BYLINE_HINT.search(attrs) or _BYLINE_SKIP.search(attrs):
            continue
        name = _BYLINE_PREFIX.sub("", _clean(el.text_content()))
        if 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name):
            return [name]
    return _by_line(root)


_BY_NAME = re.compile(r"^(?:by|written by)\s+(\w[\w.'’-]*(?:\s+\w[\w.'’-]*){1,3})\s*(?:$|[-|•⋅·,])")


def _by_line(root: HtmlElement) -> list[str]:
    """A "By First Last" line without byline classes (``<strong>By <a>Name</a></strong>``)."""
    for el in root.iter("p", "div", "span", "strong", "b", "address"):
        lead = (el.text or "").lstrip()
        if lead[:3].casefold() != "by " and lead[:11].casefold() != "written by ":
            continue
        text = _clean(el.text_content())
        match = _BY_NAME.match(text) if len(text) < 120 else None
        if match and not any(ch.isdigit() for ch in match[1]):
            return [match[1]]
    return []


def _breadcrumb_sections(root: HtmlElement, title: str, objects: list[dict[str, Any]]) -> list[str]:
    """The section names of a breadcrumb trail, without its home link and the page itself."""
    for obj in objects:
        if "BreadcrumbList" in _types(obj):
            items = obj.get("itemListElement")
            names = [n for item in items for n in _names(item)] if isinstance(items, list) else []
            if names:
                return _trail(names, title)
    for el in root.iter(etree.Element):
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("aria-label"))))
        if attrs and ("breadcrumb" in attrs.lower() or "مسار التنقل" in attrs):
            return _trail([_clean(a.text_content()) for a in el.iter("a")], title)
    return []


def _trail(names: list[str], title: str) -> list[str]:
    names = [n for n in names if n]
    if names and fold_arabic(names[0]).casefold() in {fold_arabic(h) for h in _HOME}:
        names = names[1:]
    if names and title and _clean(names[-1]) == _clean(title):
        names = names[:-1]
    return _uniq([n for n in names if len(n) < 60])


# -- canonical URL ----------------------------------------------------------------------------


def _normalize(url: str) -> str:
    try:
        return str(normalize_url(url, strict=True))
    except (ValueError, AttributeError, TypeError):
        return url


def _canonical(root: HtmlElement, meta: dict[str, list[str]], url: str) -> str:
    candidates: list[str] = []
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            candidates.append(link.get("href", ""))
    og_url = _first(meta, "og:url")
    if og_url:
        candidates.append(og_url)
    page_path = urlsplit(url).path.strip("/")
    for candidate in candidates:
        absolute = urljoin(url, candidate.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        if page_path and not parts.path.strip("/") and not parts.query:
            continue  # a canonical pointing at the home page is a template bug
        return _normalize(absolute)
    return _normalize(url)


# -- entry point ------------------------------------------------------------------------------


def read_metadata(root: HtmlElement, url: str) -> PageMetadata:
    """All metadata of the page ``root`` (the tree is not modified)."""
    meta = _meta(root)
    md = PageMetadata()
    article: dict[str, Any] = {}
    publisher: list[str] = []
    ids: dict[str, dict[str, Any]] = {}
    objects = list(_jsonld_objects(root))  # parsed once, read twice
    for obj in objects:
        if isinstance(obj.get("@id"), str) and "name" in obj:
            ids.setdefault(obj["@id"], obj)
        types = _types(obj)
        md.jsonld_types |= types
        if types & ARTICLE_TYPES and not article:
            article = obj
        if "Organization" in types or "NewsMediaOrganization" in types:
            publisher.extend(_names(obj.get("name")))
    if article:
        publisher = _names(article.get("publisher")) + publisher
    hostname = urlsplit(url).hostname or ""

    md.og_type = (_first(meta, "og:type") or "").lower() or None
    md.sitename = (
        _clean(
            _first(meta, "og:site_name", "application-name")
            or (publisher[0] if publisher else None)
            or hostname.removeprefix("www.")
        )
        or None
    )
    headline = article.get("headline") if isinstance(article.get("headline"), str) else None
    md.title = _strip_site_suffix(_title(root, meta, headline), md.sitename, hostname)

    authors, organisations = _person_names(article.get("author"), ids)
    if not authors:
        for value in _author_meta(meta):
            if not value.startswith(("http://", "https://", "@")):
                authors.extend(re.split(r"\s*[,;]\s*|\s+and\s+", value))
    if not authors:
        authors = [_clean(a.text_content()) for a in root.iterfind(".//a[@rel='author']")]
    if not authors:
        authors = _visible_authors(root)
    if not authors:
        authors = organisations
    md.authors = [a for a in _uniq(authors) if len(a) < 100]

    md.published_at = (
        parse_datetime(article.get("datePublished") if article else None)
        or parse_datetime(
            _first(
                meta,
                "article:published_time",
                "datepublished",
                "og:published_time",
                "publishdate",
                "pubdate",
                "publish-date",
                "parsely-pub-date",
                "sailthru.date",
                "dc.date.issued",
                "dcterms.created",
                "date",
            )
        )
        or _time_elements(root)
        or _htmldate(root, url)
        or _text_date(root)
    )
    md.modified_at = parse_datetime(
        article.get("dateModified") if article else None
    ) or parse_datetime(_first(meta, "article:modified_time", "og:updated_time", "datemodified"))

    md.categories = _uniq(_strings(article.get("articleSection")) + meta.get("article:section", []))
    if not md.categories:
        md.categories = _breadcrumb_sections(root, md.title, objects)
    tags = _strings(article.get("keywords")) + meta.get("article:tag", [])
    for key in ("news_keywords", "keywords"):
        for value in meta.get(key, []):
            tags.extend(_split_list(value))
    md.tags = _uniq(tags)

    description = _first(meta, "og:description", "description", "twitter:description")
    if not description and isinstance(article.get("description"), str):
        description = article["description"]
    md.description = _clean(description) or None
    image = _first(meta, "og:image", "og:image:url", "twitter:image") or _image(
        article.get("image")
    )
    md.image_url = urljoin(url, image.strip()) if image else None
    md.canonical_url = _canonical(root, meta, url)
    return md
