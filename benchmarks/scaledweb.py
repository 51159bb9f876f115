"""The scaled local news web: five generated Arabic news sites with thousands of articles each.

The bundled local web (:class:`~akhbar.localweb.LocalNewsWeb`) is three hand-written sites with a
handful of stories: right for checking *what* a crawl stores, useless for measuring *how fast*
and *how much memory*. This web serves ``pages`` article pages on five loopback sites
(``127.0.0.21``–``25`` by default, ports from the OS), each page rendered on request from
``(site, index, seed)``, so nothing large is held in memory or written to disk.

Pages are built to weigh what real Arabic news pages weigh (50–150 KiB): most of it is chrome —
a mega-menu, inline scripts (ad slots, analytics, an app-state JSON blob), JSON-LD, related /
most-read / latest lists, share widgets, cookie banner, newsletter and footer — around an
article body of 250–900 words composed by :mod:`akhbar.localweb.synthtext`. The five sites use
five URL schemes and five markup styles.

Known truth (:class:`ScaledTruth`), computed from the same generator:

* one index in seven is a *wire slot*: the wire story of that slot is republished on 2–4 of the
  five sites (same body, each site its own dateline), so dedup keeps one article per wire story
  and records the other copies as duplicates;
* per site, one listing page per 100 articles under a URL matching the article pattern (the
  cleaner must reject it) and one withdrawn story per 200 articles (listed, answered with 404).

Discovery: a sitemap index per site with child sitemaps of at most 1,000 URLs, a feed (RSS or
Atom) of the 50 newest stories, and robots.txt.

Benchmark code, not installed with akhbar: the benchmarks import it as ``scaledweb``, and
``akhbar localweb --scale N`` serves it from a checkout (:mod:`akhbar.localweb.checkout`).
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from akhbar.localweb import feeds
from akhbar.localweb.feeds import Entry
from akhbar.localweb.markup import HTML, Page, arabic_date, attr, esc
from akhbar.localweb.seedfiles import loopback_politeness
from akhbar.localweb.server import QuietHTTPServer, send_page, serve_in_background, shut_down
from akhbar.localweb.synthtext import CITIES, Composer, Material, package_material

log = logging.getLogger(__name__)

SITE_COUNT = 5
WIRE_EVERY = 7  # index i with i % WIRE_EVERY == WIRE_OFFSET is a wire slot
WIRE_OFFSET = 3
LISTING_EVERY = 100  # one listing page (a reject) per this many articles of a site
MISSING_EVERY = 200  # one withdrawn story (404) per this many articles of a site
SITEMAP_CHUNK = 1000
FEED_ITEMS = 50
ARTICLE_BASE = 100_000  # article n = ARTICLE_BASE + index
MISSING_BASE = 800_000
LISTING_BASE = 900_000
NEWEST = datetime(2026, 11, 20, 12, 0, tzinfo=timezone(timedelta(hours=3)))

PageKind = Literal["article", "listing", "missing"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("politics", "سياسة"),
    ("economy", "اقتصاد"),
    ("sport", "رياضة"),
    ("culture", "ثقافة"),
    ("health", "صحة"),
    ("world", "دولي"),
    ("local", "محليات"),
    ("tech", "تكنولوجيا"),
)


@dataclass(frozen=True)
class SiteSpec:
    """Identity and URL scheme of one scaled site (``style`` picks scheme and markup)."""

    name: str
    title: str
    domain: str
    style: int
    allow: str
    deny: tuple[str, ...]
    feed: str
    feed_kind: Literal["rss", "atom"]


SPECS: tuple[SiteSpec, ...] = (
    SiteSpec(
        "wadinews",
        "أخبار الوادي",
        "wadinews.example",
        0,
        r"/news/[a-z]+/\d+$",
        (r"/(section|tag|author|search)/",),
        "/rss.xml",
        "rss",
    ),
    SiteSpec(
        "shuruqagency",
        "وكالة الشروق للأنباء",
        "shuruq.example",
        1,
        r"/ar/[a-z-]+/[^/]+/\d+$",
        (r"/ar/(tag|search)/",),
        "/ar/rss.xml",
        "rss",
    ),
    SiteSpec(
        "madinagate",
        "بوابة المدينة",
        "madinagate.example",
        2,
        r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
        (r"/(tag|author|category|feed)/",),
        "/feed/atom/",
        "atom",
    ),
    SiteSpec(
        "ufuqdaily",
        "صحيفة الأفق",
        "ufuqdaily.example",
        3,
        r"/article/\d+/[a-z0-9-]+$",
        (r"/(tags|writers)/",),
        "/feeds/latest.atom",
        "atom",
    ),
    SiteSpec(
        "naharjadid",
        "النهار الجديد",
        "naharjadid.example",
        4,
        r"/story/[a-z]+/\d{8}/\d+\.html$",
        (r"/(topic|search)/",),
        "/rss/all.xml",
        "rss",
    ),
)


@dataclass(frozen=True)
class ScaledTruth:
    """What a correct crawl of the whole scaled web stores (counts over all five sites)."""

    pages: int  # article pages served (wire copies included)
    per_site: int
    wire_stories: int
    wire_pages: int
    rejected: int  # listing pages under article-like URLs
    failed: int  # withdrawn stories listed in the sitemaps (404)

    @property
    def expected_article_count(self) -> int:
        """Unique stories: every own story plus one article per wire story."""
        return self.pages - self.wire_pages + self.wire_stories

    @property
    def expected_duplicate_count(self) -> int:
        return self.wire_pages - self.wire_stories

    def as_dict(self) -> dict[str, int]:
        return {
            "articles": self.expected_article_count,
            "duplicates": self.expected_duplicate_count,
            "rejected": self.rejected,
            "failed": self.failed,
        }


def per_site_count(pages: int) -> int:
    if pages < SITE_COUNT:
        raise ValueError(f"the scaled web needs at least {SITE_COUNT} pages")
    return math.ceil(pages / SITE_COUNT)


def wire_carriers(seed: int, slot: int) -> tuple[int, ...]:
    """The sites (2–4 of 5) that republish the wire story of ``slot``."""
    rng = random.Random(f"{seed}:carriers:{slot}")
    return tuple(sorted(rng.sample(range(SITE_COUNT), 2 + slot % 3)))


def wire_slot(seed: int, site: int, index: int) -> int | None:
    """The wire story page ``index`` of ``site`` carries, or None for the site's own story."""
    if index % WIRE_EVERY != WIRE_OFFSET:
        return None
    slot = index // WIRE_EVERY
    return slot if site in wire_carriers(seed, slot) else None


def scaled_truth(pages: int, seed: int = 7) -> ScaledTruth:
    """The known truth of a web of ``pages`` article pages, without serving it."""
    n = per_site_count(pages)
    stories = wire_pages = 0
    for slot in range(n // WIRE_EVERY + 1):
        if slot * WIRE_EVERY + WIRE_OFFSET >= n:
            break
        stories += 1
        wire_pages += len(wire_carriers(seed, slot))
    listing, missing = _extra_counts(n)
    return ScaledTruth(
        pages=n * SITE_COUNT,
        per_site=n,
        wire_stories=stories,
        wire_pages=wire_pages,
        rejected=listing * SITE_COUNT,
        failed=missing * SITE_COUNT,
    )


def _extra_counts(n: int) -> tuple[int, int]:
    return max(1, n // LISTING_EVERY), max(1, n // MISSING_EVERY)


@dataclass(frozen=True)
class Story:
    """One article as one site publishes it."""

    key: str
    headline: str
    summary: str
    author: str
    paragraphs: list[str]


def _words(rng: random.Random, material: Material, low: int, high: int) -> str:
    return " ".join(rng.sample(material.content_words, rng.randint(low, high)))


@lru_cache(maxsize=32_768)
def _teaser_text(seed: int, what: str, key: str, low: int, high: int) -> str:
    """A headline or summary; cached (bounded) because every page shows dozens of them."""
    return _words(random.Random(f"{seed}:{what}:{key}"), package_material(), low, high)


class ScaledSite:
    """One generated site: its URLs, and every response rendered on request."""

    def __init__(self, spec: SiteSpec, number: int, per_site: int, seed: int, base: str) -> None:
        self.spec = spec
        self.number = number
        self.n = per_site
        self.seed = seed
        self.base = base
        self.m = package_material()
        self.listings, self.missing = _extra_counts(per_site)

    # -- URLs ---------------------------------------------------------------------------------
    def section(self, n: int) -> tuple[str, str]:
        return SECTIONS[(n * 7 + self.number) % len(SECTIONS)]

    def published(self, n: int) -> datetime:
        return NEWEST - timedelta(minutes=(n % 100_000) * 17 + self.number * 3)

    def path(self, n: int) -> str:
        """The path of article, withdrawn story or listing number ``n``."""
        listing = n >= LISTING_BASE
        sec = "latest" if listing else self.section(n)[0]
        day = self.published(n)
        style = self.spec.style
        if style == 0:
            return f"/news/{sec}/{n}"
        if style == 1:
            return f"/ar/news/page/{n}" if listing else f"/ar/{sec}/{sec}-report/{n}"
        if style == 2:
            return f"/{day:%Y/%m/%d}/{sec}-{n}/"
        if style == 3:
            return f"/article/{n}/most-read" if listing else f"/article/{n}/{sec}-news"
        folder = "archive" if listing else sec
        return f"/story/{folder}/{day:%Y%m%d}/{n}.html"

    def url(self, path: str) -> str:
        return self.base + path

    @cached_property
    def routes(self) -> dict[str, tuple[PageKind, int]]:
        """Every listed path → (kind, number), in sitemap order (small: a few strings a page)."""
        out: dict[str, tuple[PageKind, int]] = {}
        listing = missing = 0
        for i in range(self.n):
            out[self.path(ARTICLE_BASE + i)] = ("article", ARTICLE_BASE + i)
            if i % LISTING_EVERY == LISTING_EVERY - 1 and listing < self.listings:
                out[self.path(LISTING_BASE + listing)] = ("listing", LISTING_BASE + listing)
                listing += 1
            if i % MISSING_EVERY == MISSING_EVERY // 2 and missing < self.missing:
                out[self.path(MISSING_BASE + missing)] = ("missing", MISSING_BASE + missing)
                missing += 1
        while listing < self.listings:  # tiny webs: fewer articles than LISTING_EVERY
            out[self.path(LISTING_BASE + listing)] = ("listing", LISTING_BASE + listing)
            listing += 1
        while missing < self.missing:
            out[self.path(MISSING_BASE + missing)] = ("missing", MISSING_BASE + missing)
            missing += 1
        return out

    # -- text -----------------------------------------------------------------------------
    def _key(self, n: int) -> str:
        if n >= MISSING_BASE:
            return f"{self.number}:x{n}"
        slot = wire_slot(self.seed, self.number, n - ARTICLE_BASE)
        return f"w{slot}" if slot is not None else f"{self.number}:{n}"

    def headline(self, n: int) -> str:
        return _teaser_text(self.seed, "h", self._key(n), 6, 11)

    def summary(self, n: int) -> str:
        return _teaser_text(self.seed, "s", self._key(n), 12, 18)

    def story(self, n: int) -> Story:
        """The article number ``n``: a wire story keeps its body on every site that carries it;
        only the dateline (the first paragraph) is the site's own."""
        key = self._key(n)
        rng = random.Random(f"{self.seed}:story:{key}")
        actors = [" ".join(rng.sample(self.m.content_words, rng.choice((2, 3)))) for _ in range(3)]
        composer = Composer(self.m, rng, actors)
        body = composer.body(rng.randint(240, 820))  # + the last paragraph: ~250-900 words
        local = random.Random(f"{self.seed}:dateline:{self.number}:{n}")
        source = "مراسلنا" if not key.startswith("w") else self.spec.title
        dateline = f"{local.choice(CITIES)} - {source}"
        author = _words(local, self.m, 2, 2)
        return Story(key, self.headline(n), self.summary(n), author, [dateline, *body])

    def neighbours(self, n: int, count: int, offset: int) -> list[int]:
        """``count`` other article numbers near ``n`` (teaser lists), deterministic."""
        out = []
        for k in range(count):
            m = ARTICLE_BASE + ((n - ARTICLE_BASE) * 3 + offset + k * 13 + 1) % self.n
            if m != n:
                out.append(m)
        return out

    # -- chrome (built once per site) ---------------------------------------------------------
    @cached_property
    def mega_menu(self) -> str:
        rng = random.Random(f"{self.seed}:menu:{self.number}")
        cls = ("mega-menu", "nav-main", "menu-primary", "site-nav", "main-navigation")[
            self.spec.style
        ]
        columns = []
        for slug, title in SECTIONS:
            subs = "".join(
                f'<li class="sub-item"><a href="/{slug}/{slug}-{k}" title="'
                f'{attr(label)}">{esc(label)}</a></li>'
                for k, label in enumerate(
                    _words(rng, self.m, 1, 3) for _ in range(rng.randint(10, 15))
                )
            )
            promo = "".join(
                f'<div class="menu-promo"><a href="/{slug}/promo-{k}"><img loading="lazy" '
                f'src="/media/menu/{slug}-{k}.webp" width="280" height="158" alt=""><span>'
                f"{esc(_words(rng, self.m, 5, 8))}</span></a></div>"
                for k in range(3)
            )
            columns.append(
                f'<li class="menu-item has-children"><a href="/{slug}">{esc(title)}</a>'
                f'<div class="dropdown"><ul class="submenu">{subs}</ul>{promo}</div></li>'
            )
        topics = "".join(
            f'<a class="topic-pill" href="/topic/{k}">{esc(_words(rng, self.m, 1, 2))}</a>'
            for k in range(24)
        )
        return (
            f'<nav class="{cls}" role="navigation" aria-label="القائمة الرئيسية"><ul>'
            f'<li><a href="/">الرئيسية</a></li>{"".join(columns)}</ul></nav>'
            f'<div class="trending-topics"><span>الأكثر تداولا</span>{topics}</div>'
        )

    @cached_property
    def scripts(self) -> str:
        """Ad slots, analytics and a vendor bundle inlined in the page, as real sites do."""
        rng = random.Random(f"{self.seed}:js:{self.number}")
        slots = [
            {
                "id": f"div-gpt-ad-{rng.randint(10**12, 10**13)}-{k}",
                "path": f"/{rng.randint(10**7, 10**8)}/{self.spec.domain}/{s}/{pos}",
                "sizes": [[300, 250], [336, 280], [728, 90], [970, 250]][: 1 + k % 4],
                "targeting": {"section": s, "pos": pos, "lang": "ar", "k": k},
            }
            for k, (s, _) in enumerate(SECTIONS * 4)
            for pos in ("top",)
        ]
        idents = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=2)) for _ in range(400)]
        bundle = ";".join(
            f"function {a}{k}({b},{c}){{var {d}={b}&&{b}.{c}||[];"
            f"for(var i=0;i<{d}.length;i++){{{d}[i]=({d}[i]|0)^{k};}}return {d}}}"
            for k, (a, b, c, d) in enumerate(
                zip(idents[::4], idents[1::4], idents[2::4], idents[3::4], strict=True)
            )
        )
        repeat = 1 + self.spec.style % 2
        return (
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
            f"arguments)}}gtag('js',new Date());gtag('config','G-{rng.randint(10**9, 10**10)}');"
            "</script>\n<script>var googletag=googletag||{};googletag.cmd=googletag.cmd||[];"
            f"window.adSlots={json.dumps(slots)};</script>\n"
            f"<script>/*! vendor bundle */{bundle * repeat}</script>"
        )

    @cached_property
    def footer(self) -> str:
        rng = random.Random(f"{self.seed}:footer:{self.number}")
        cols = "".join(
            f'<div class="footer-col"><h4>{esc(title)}</h4><ul>'
            + "".join(
                f'<li><a href="/{slug}/{k}">{esc(_words(rng, self.m, 1, 3))}</a></li>'
                for k in range(8)
            )
            + "</ul></div>"
            for slug, title in SECTIONS
        )
        social = "".join(
            f'<a class="social {s}" href="https://{s}.example/{self.spec.name}" rel="noopener">'
            f'<svg viewBox="0 0 24 24" width="20" height="20"><path d="M{k} 2h{k + 3}v20H2z"/>'
            "</svg></a>"
            for k, s in enumerate(("facebook", "x", "instagram", "youtube", "telegram", "tiktok"))
        )
        return (
            f'<footer class="site-footer"><div class="footer-cols">{cols}</div>'
            f'<div class="footer-about"><p>{esc(self.spec.title)} '
            f"{esc(_words(rng, self.m, 20, 30))}"
            f'</p></div><div class="apps"><a href="/app/ios">تطبيق آيفون</a><a href="/app/android">'
            f'تطبيق أندرويد</a></div><div class="social-links">{social}</div>'
            f'<p class="copyright">جميع الحقوق محفوظة © {esc(self.spec.title)} 2026</p></footer>'
            '<div class="cookie-banner" role="dialog"><p>يستخدم هذا الموقع ملفات تعريف الارتباط '
            'لتحسين تجربتك.</p><button class="accept">موافق</button></div>'
            '<form class="newsletter" action="/newsletter" method="post"><label>اشترك في النشرة '
            'البريدية</label><input type="email" name="email"><button>اشتراك</button></form>'
        )

    # -- page parts ---------------------------------------------------------------------------
    def teasers(self, heading: str, numbers: list[int], css: str, *, images: bool) -> str:
        """A titled teaser list, nested the way theme builders nest them (card, body, meta)."""
        items = []
        for m in numbers:
            href = self.path(m)
            slug, section = self.section(m)
            img = (
                f'<a class="thumb" href="{href}"><picture><source type="image/avif" srcset="'
                f'/media/{m}/thumb.avif"><img loading="lazy" src="/media/{m}/thumb.webp" srcset="'
                f'/media/{m}/thumb-320.webp 320w, /media/{m}/thumb-640.webp 640w" sizes="'
                '(max-width:600px) 100vw, 320px" alt=""></picture><span class="overlay"></span>'
                "</a>"
                if images
                else ""
            )
            items.append(
                f'<li class="teaser"><div class="card">{img}<div class="card-body"><span '
                f'class="cat"><a href="/{slug}">{esc(section)}</a></span><h3 class="teaser-title">'
                f'<a href="{href}">{esc(self.headline(m))}</a></h3><div class="card-meta"><span '
                'class="icon"><svg width="12" height="12"><use href="#icon-clock"/></svg></span>'
                f'<time datetime="{self.published(m).isoformat()}">'
                f"{esc(arabic_date(self.published(m), weekday=False))}</time></div></div></div>"
                "</li>"
            )
        return (
            f'<aside class="block {css}"><div class="block-head"><h2 class="block-title">'
            f'{esc(heading)}</h2><a class="more" href="/latest">المزيد</a></div>'
            f'<ul class="teasers">{"".join(items)}</ul></aside>'
        )

    @staticmethod
    def ad_slot(name: str) -> str:
        return (
            f'<div class="ad-wrapper ad-{name}"><span class="ad-label">إعلان</span><div '
            f'class="ad-slot" id="ad-{name}" data-slot="{name}"><div class="ad-inner"><ins '
            f'class="adsbygoogle" data-ad-slot="{name}"></ins></div></div></div>'
        )

    def share_bar(self, url: str, title: str) -> str:
        return (
            '<div class="share-bar">'
            + "".join(
                f'<a class="share-{s}" href="https://{s}.example/share?u={attr(url)}&amp;t='
                f'{attr(title)}" target="_blank" rel="noopener" aria-label="{s}"><svg width="18" '
                f'height="18"><use href="#icon-{s}"/></svg></a>'
                for s in ("facebook", "x", "whatsapp", "telegram", "email", "copy")
            )
            + "</div>"
        )

    def state_blob(self, n: int, budget: int) -> str:
        """The app-state JSON single-page frameworks inline (``__NEXT_DATA__``-like), filled
        with teaser records until the page reaches its drawn size."""
        items: list[dict[str, Any]] = []
        size = k = 0
        while size < budget:
            m = ARTICLE_BASE + ((n - ARTICLE_BASE) * 5 + k * 31 + 7) % self.n
            k += 1
            item = {
                "id": m,
                "url": self.url(self.path(m)),
                "title": self.headline(m),
                "summary": self.summary(m),
                "image": {"src": f"/media/{m}/main.webp", "width": 1200, "height": 675},
                "section": self.section(m)[0],
                "published": self.published(m).isoformat(),
            }
            items.append(item)
            size += len(json.dumps(item, ensure_ascii=False).encode()) + 2
        data = {"props": {"pageProps": {"id": n, "feed": items}}, "page": "/[...slug]"}
        text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        return f'<script id="__NEXT_DATA__" type="application/json">{text}</script>'

    def head(self, *, title: str, description: str, url: str, og_type: str, ld: str) -> str:
        return (
            '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{esc(title)}</title><meta name="description" content="'
            f'{attr(description)}"><link rel="canonical" href="{attr(url)}">'
            f'<meta property="og:site_name" content="{attr(self.spec.title)}">'
            f'<meta property="og:type" content="{og_type}"><meta property="og:title" content="'
            f'{attr(title)}"><meta property="og:url" content="{attr(url)}">'
            '<meta property="og:locale" content="ar_AR"><meta name="twitter:card" '
            'content="summary_large_image"><link rel="preload" href="/assets/fonts/'
            'cairo.woff2" as="font" crossorigin><link rel="stylesheet" href="/assets/css/'
            f'main.css"><script type="application/ld+json">{ld}</script>{self.scripts}</head>'
        )

    def layout(self, head_html: str, main: str, aside: str, body_class: str) -> str:
        today = esc(arabic_date(NEWEST))
        style = self.spec.style
        header = (
            f'<header class="site-header"><div class="top-bar"><span class="date">{today}</span>'
            '<a href="/login">تسجيل الدخول</a></div><a class="logo" href="/"><img src="/assets/'
            f'logo.svg" alt="{attr(self.spec.title)}"></a>{self.mega_menu}</header>'
            f"{self.ad_slot('leaderboard')}"
        )
        if style != 2:  # the off-canvas mobile menu: most themes ship the menu twice
            header += f'<div class="offcanvas" aria-hidden="true">{self.mega_menu}</div>'
        aside = f"{self.ad_slot('sidebar-1')}{aside}{self.ad_slot('sidebar-2')}"
        if style in (2, 3):  # HTML5 themes: <main> and a sidebar element
            body = (
                f'{header}<main id="main" class="site-main">{main}</main>'
                f'<aside class="sidebar">{aside}</aside>'
            )
        else:  # div soup
            body = (
                f'{header}<div class="container"><div class="row"><div class="col-md-8">{main}'
                f'</div><div class="col-md-4 sidebar">{aside}</div></div></div>'
            )
        return (
            f'<!DOCTYPE html>\n<html lang="ar" dir="rtl">{head_html}<body class="{body_class}">'
            f"{body}{self.footer}</body></html>"
        )

    def body_html(self, story: Story, n: int) -> str:
        paras = [f"<p>{esc(p)}</p>" for p in story.paragraphs]
        if self.spec.style in (0, 2) and len(paras) > 3:  # in-body "read also" links
            also = self.neighbours(n, 2, 5)
            box = "".join(
                f'<p class="read-also"><strong>اقرأ أيضا:</strong> <a href="{self.path(m)}">'
                f"{esc(self.headline(m))}</a></p>"
                for m in also
            )
            paras.insert(2, box)
        if len(paras) > 5:
            paras.insert(4, self.ad_slot("in-article"))
        inner = "\n".join(paras)
        wrappers = (
            '<div class="article-body" itemprop="articleBody">{}</div>',
            '<div class="story-text">{}</div>',
            '<div class="entry-content">{}</div>',
            '<section class="article-content">{}</section>',
            '<div id="content-body" class="txt">{}</div>',
        )
        return wrappers[self.spec.style].format(inner)

    # -- pages ----------------------------------------------------------------------------
    def article(self, n: int) -> Page:
        story = self.story(n)
        lists = random.Random(f"{self.seed}:lists:{self.number}:{n}")
        related, latest = lists.randint(3, 8), lists.randint(4, 24)  # pages differ in chrome too
        url = self.url(self.path(n))
        slug, section = self.section(n)
        when = self.published(n)
        ld = json.dumps(
            [
                {
                    "@context": "https://schema.org",
                    "@type": "NewsArticle",
                    "mainEntityOfPage": {"@type": "WebPage", "@id": url},
                    "headline": story.headline,
                    "description": story.summary,
                    "image": [f"{self.base}/media/{n}/main.webp"],
                    "datePublished": when.isoformat(),
                    "dateModified": when.isoformat(),
                    "author": [{"@type": "Person", "name": story.author}],
                    "publisher": {"@type": "Organization", "name": self.spec.title},
                    "articleSection": section,
                    "inLanguage": "ar",
                },
                {
                    "@context": "https://schema.org",
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": 1, "name": "الرئيسية", "item": self.base},
                        {
                            "@type": "ListItem",
                            "position": 2,
                            "name": section,
                            "item": f"{self.base}/{slug}",
                        },
                    ],
                },
            ],
            ensure_ascii=False,
        ).replace("</", "<\\/")
        head_html = self.head(
            title=f"{story.headline} | {self.spec.title}",
            description=story.summary,
            url=url,
            og_type="article",
            ld=ld,
        )
        main = (
            f'<div class="breadcrumb"><a href="/">الرئيسية</a> › <a href="/{slug}">{esc(section)}'
            f'</a></div><article class="article"><h1 class="headline">{esc(story.headline)}</h1>'
            f'<div class="meta"><span class="author">{esc(story.author)}</span> <time datetime="'
            f'{when.isoformat()}">{esc(arabic_date(when))} {when:%H:%M}</time></div>'
            f'{self.share_bar(url, story.headline)}<figure><img src="/media/{n}/main.webp" '
            f'width="1200" height="675" alt="{attr(story.headline)}"></figure>'
            f"{self.body_html(story, n)}"
            f'<div class="tags">'
            + "".join(
                f'<a href="/tag/{k}" rel="tag">{esc(w)}</a>'
                for k, w in enumerate(story.summary.split()[:6])
            )
            + "</div></article>"
            + self.teasers("أخبار ذات صلة", self.neighbours(n, related, 1), "related", images=True)
            + '<div class="comments"><h2>التعليقات</h2><p>لا توجد تعليقات بعد.</p></div>'
        )
        aside = self.teasers("الأكثر قراءة", self.neighbours(n, 5, 2), "most-read", images=False)
        aside += self.teasers("آخر الأخبار", self.neighbours(n, latest, 3), "latest", images=True)
        return self._sized(n, head_html, main, aside, "article-page", when)

    def listing(self, n: int) -> Page:
        """A "latest news" page under an article-like URL: the cleaner must reject it."""
        url = self.url(self.path(n))
        numbers = self.neighbours(ARTICLE_BASE + (n - LISTING_BASE) * 30, 30, 11)
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "CollectionPage",
                "@id": url,
                "name": "آخر الأخبار",
                "mainEntity": {
                    "@type": "ItemList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": i, "url": self.url(self.path(m))}
                        for i, m in enumerate(numbers, start=1)
                    ],
                },
            },
            ensure_ascii=False,
        )
        head_html = self.head(
            title=f"آخر الأخبار | {self.spec.title}",
            description=f"تابع آخر الأخبار على {self.spec.title}",
            url=url,
            og_type="website",
            ld=ld,
        )
        cards = "".join(
            f'<div class="news-card"><a href="{self.path(m)}"><img src="/media/{m}/thumb.webp" '
            f'alt=""></a><h3><a href="{self.path(m)}">{esc(self.headline(m))}</a></h3><p>'
            f"{esc(' '.join(self.summary(m).split()[:10]))}</p></div>"
            for m in numbers
        )
        main = f'<h1 class="section-title">آخر الأخبار</h1><div class="news-list">{cards}</div>'
        aside = self.teasers("الأكثر قراءة", self.neighbours(n, 10, 2), "most-read", images=False)
        return self._sized(n, head_html, main, aside, "listing-page", None)

    def _sized(
        self, n: int, head_html: str, main: str, aside: str, css: str, when: datetime | None
    ) -> Page:
        """The page with an app-state blob bringing it to its drawn size (50–150 KiB)."""
        target = random.Random(f"{self.seed}:size:{self.number}:{n}").randint(52, 148) * 1024
        bare = self.layout(head_html, main, aside, css)
        budget = target - len(bare.encode())
        if budget > 0:
            aside += self.state_blob(n, budget)
        html = self.layout(head_html, main, aside, css)
        return Page(html.encode(), HTML, 200, when)

    def not_found(self) -> Page:
        head_html = self.head(
            title=f"الصفحة غير موجودة | {self.spec.title}",
            description="الصفحة غير موجودة",
            url=self.url("/404"),
            og_type="website",
            ld="{}",
        )
        main = (
            '<div class="error-page"><h1>404</h1><p>عذرا، الصفحة التي تبحث عنها غير موجودة أو '
            'تم حذفها.</p><p><a href="/">العودة إلى الصفحة الرئيسية</a></p></div>'
        )
        return Page(self.layout(head_html, main, "", "error").encode(), HTML, 404)

    # -- discovery ------------------------------------------------------------------------
    def _entries(self, paths: list[str]) -> list[Entry]:
        out = []
        for path in paths:
            _, n = self.routes[path]
            when = self.published(n if n < LISTING_BASE else ARTICLE_BASE)
            out.append(Entry(self.url(path), self.headline(n), when, when, self.summary(n)))
        return out

    def sitemap_children(self) -> int:
        return max(1, math.ceil(len(self.routes) / SITEMAP_CHUNK))

    def discovery(self, path: str) -> Page | None:
        if path == "/robots.txt":
            return feeds.robots(
                disallow=["/print/", "/search"], allow=[], sitemap=self.url("/sitemap_index.xml")
            )
        if path == "/sitemap_index.xml":
            newest = self.published(ARTICLE_BASE)
            children = [
                (self.url(f"/sitemaps/posts-{k}.xml"), newest)
                for k in range(1, self.sitemap_children() + 1)
            ]
            return feeds.sitemap_index(children)
        match = re.fullmatch(r"/sitemaps/posts-(\d+)\.xml", path)
        if match and 1 <= int(match[1]) <= self.sitemap_children():
            k = int(match[1]) - 1
            paths = list(self.routes)[k * SITEMAP_CHUNK : (k + 1) * SITEMAP_CHUNK]
            return feeds.urlset(self._entries(paths))
        if path == self.spec.feed:
            latest = [self.path(ARTICLE_BASE + i) for i in range(min(FEED_ITEMS, self.n))]
            entries = self._entries(latest)
            if self.spec.feed_kind == "rss":
                return feeds.rss(
                    title=self.spec.title,
                    link=self.url("/"),
                    description=self.spec.title,
                    self_url=self.url(path),
                    entries=entries,
                )
            return feeds.atom(
                title=self.spec.title, link=self.url("/"), self_url=self.url(path), entries=entries
            )
        return None

    def response(self, path: str) -> Page:
        """The response to ``GET path``: discovery documents, articles, listings or 404."""
        found = self.discovery(path)
        if found is not None:
            return found
        route = self.routes.get(path)
        if route is None or route[0] == "missing":
            return self.not_found()
        kind, n = route
        return self.article(n) if kind == "article" else self.listing(n)

    def seeds_toml(self, *, max_pages: int | None = None) -> str:
        """A seeds file (public format, ``docs/seeds.md``) for crawling this site in one run."""
        budget = max_pages or len(self.routes) + 100

        def s(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        deny = ", ".join(f"'{d}'" for d in self.spec.deny)
        return "\n".join(
            [
                f"# {self.spec.title}: a site of the scaled local news web, on {self.base}",
                f"name = {s(self.spec.name)}",
                'language = "ar"',
                f"home_url = {s(self.url('/'))}",
                f"feeds = [{s(self.url(self.spec.feed))}]",
                f"sitemaps = [{s(self.url('/sitemap_index.xml'))}]",
                f"allow = ['{self.spec.allow}']",
                f"deny = [{deny}]",
                'schedule = "every 6h"',
                f"max_pages_per_run = {budget}",
                *loopback_politeness(8),
            ]
        )


class _Server(QuietHTTPServer):
    request_queue_size = 64
    site: ScaledSite | None = None


class _Handler(BaseHTTPRequestHandler):
    server_version = "akhbar-scaledweb/1.0"
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        site = cast(_Server, self.server).site
        assert site is not None
        send_page(self, site.response(urlsplit(self.path).path or "/"))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class ScaledNewsWeb:
    """Five generated news sites on ``127.0.0.(first_host + i)``, with their known truth."""

    def __init__(self, pages: int = 20_000, *, seed: int = 7, first_host: int = 21) -> None:
        if not 1 <= first_host <= 254 - SITE_COUNT:
            raise ValueError("first_host must leave room for five sites in 127.0.0.1-254")
        self.per_site = per_site_count(pages)
        self.seed = seed
        self.first_host = first_host
        self.truth = scaled_truth(pages, seed)
        self.sites: list[ScaledSite] = []
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Bind and serve every site (daemon threads); a second call does nothing."""
        if self._servers:
            return
        try:
            for number, spec in enumerate(SPECS):
                server = _Server((f"127.0.0.{self.first_host + number}", 0), _Handler)
                self._servers.append(server)
                host, port = server.server_address[:2]
                site = ScaledSite(spec, number, self.per_site, self.seed, f"http://{host!s}:{port}")
                server.site = site
                self.sites.append(site)
                self._threads.append(serve_in_background(server, f"scaledweb-{spec.name}"))
                log.debug("serving %s on %s", spec.name, site.base)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        shut_down(list(self._servers), self._threads)
        self._servers, self._threads, self.sites = [], [], []

    def __enter__(self) -> ScaledNewsWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write_seeds(self, directory: Path) -> list[Path]:
        """One seeds TOML per site (``<name>.toml``) pointing at the running sites."""
        if not self.sites:
            raise RuntimeError("ScaledNewsWeb is not started")
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for site in self.sites:
            path = directory / f"{site.spec.name}.toml"
            path.write_text(site.seeds_toml(), encoding="utf-8")
            paths.append(path)
        return paths

    def article_urls(self) -> Iterator[str]:
        """Every article URL (wire copies included), site by site."""
        for site in self.sites:
            for path, (kind, _) in site.routes.items():
                if kind == "article":
                    yield site.url(path)
