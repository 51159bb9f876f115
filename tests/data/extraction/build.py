# ruff: noqa: E501  (HTML templates are long lines)
"""Build the extraction evaluation set: Arabic article pages with gold text and gold metadata.

Every page and its gold come from one authored source (the stories of the local news web and
``stories.toml``, rendered through ten site templates modelled on how Arabic news sites are
built), so the gold is exact by construction. The output is committed; rebuild after changing a
template or a story with::

    .venv/bin/python tests/data/extraction/build.py

Per page ``pages/<id>.html`` (the page), ``<id>.txt`` (gold article text: paragraphs separated
by blank lines, sub-headings on their own lines, no headline) and ``<id>.json`` (gold metadata:
url, template, title, authors, published/modified, language, canonical URL, categories, tags,
description, image URL, word count; a key set to null is not exposed by that template). What the
gold keeps and drops, element by element, is written in README.md next to this file.
"""

from __future__ import annotations

import html
import json
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from akhbar.localweb.content import load_sites, parse_body

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"

AR_MONTHS = (
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
AR_DAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")

# teaser headlines of stories that are not in the set (other sites' front pages)
EXTRA_TEASERS = (
    "ارتفاع أسعار الذهب في الأسواق المحلية مع اقتراب موسم الأعراس",
    "منتخب الناشئين يتأهل إلى نهائيات كأس آسيا بعد فوز مثير",
    "وزارة الصحة تطلق حملة وطنية للكشف المبكر عن السكري",
    "انطلاق معرض الكتاب الدولي بمشاركة أربعمئة دار نشر",
    "البنك الدولي يتوقع تباطؤ النمو في المنطقة خلال العام المقبل",
    "جامعة محلية تطور روبوتا لمساعدة المزارعين على رصد الآفات",
    "تراجع أعداد السياح الأجانب بسبب موجة الحر في الصيف",
    "افتتاح أكبر مستشفى للأطفال في الجنوب بطاقة ثلاثمئة سرير",
)


@dataclass(frozen=True)
class Story:
    key: str
    section: str
    headline: str
    summary: str
    dateline: str
    published: datetime
    modified: datetime
    author: str
    keywords: tuple[str, ...]
    blocks: tuple[tuple[str, str], ...]  # (kind "p"/"h", text)
    standfirst: str = ""
    sources: tuple[str, ...] = ()


def load_stories() -> list[Story]:
    stories: list[Story] = []
    seen_wire: set[str] = set()
    for site in load_sites():
        names = {a["slug"]: a["name"] for a in site.records("authors")}
        for s in site.stories:
            if s.wire and s.wire in seen_wire:
                continue  # the syndicated copy: one version is enough here
            if s.wire:
                seen_wire.add(s.wire)
            stories.append(
                Story(
                    key=f"{site.name}-{s.key}",
                    section=site.section(s.section).title,
                    headline=s.headline,
                    summary=s.summary,
                    dateline=s.dateline,
                    published=s.published,
                    modified=s.modified,
                    author=names.get(s.author, s.author),
                    keywords=s.keywords or s.tags,
                    blocks=tuple(("p" if b.kind == "p" else "h", b.text) for b in s.blocks),
                    standfirst=s.standfirst,
                    sources=s.sources,
                )
            )
    extra = tomllib.loads((HERE / "stories.toml").read_text(encoding="utf-8"))
    for raw in extra["stories"]:
        stories.append(
            Story(
                key=raw["key"],
                section=raw["section"],
                headline=raw["headline"],
                summary=raw["summary"],
                dateline=raw["dateline"],
                published=datetime.fromisoformat(raw["published"]),
                modified=datetime.fromisoformat(raw["modified"]),
                author=raw["author"],
                keywords=tuple(raw["keywords"]),
                blocks=tuple(
                    ("p" if b.kind == "p" else "h", b.text) for b in parse_body(raw["body"])
                ),
            )
        )
    return stories


# -- helpers -------------------------------------------------------------------------------------


def e(text: str) -> str:
    return html.escape(text, quote=True)


def ar_date(d: datetime, *, weekday: bool = False) -> str:
    text = f"{d.day} {AR_MONTHS[d.month - 1]} {d.year}"
    return f"{AR_DAYS[d.weekday()]} {text}" if weekday else text


def clip(text: str, words: int = 7) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


@dataclass
class Page:
    """One rendered page: its HTML, its gold text blocks and its gold metadata."""

    html: str
    gold: list[str]
    meta: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    name: str  # the site's display name
    host: str
    template: str


def body_blocks(story: Story, *, para: str = "<p>{}</p>", head: str = "<h2>{}</h2>") -> list[str]:
    return [(para if kind == "p" else head).format(e(text)) for kind, text in story.blocks]


def gold_blocks(
    story: Story, *, dateline: bool = False, standfirst: bool = False, sources: bool = False
) -> list[str]:
    gold: list[str] = []
    if standfirst and story.standfirst:
        gold.append(story.standfirst)
    if dateline and story.dateline:
        gold.append(story.dateline)
    gold.extend(text for _, text in story.blocks)
    if sources and story.sources:
        gold.append("مصادر الخبر:\n" + "\n".join(story.sources))
    return gold


def interleave(parts: list[str], inserts: dict[int, str]) -> list[str]:
    """``parts`` with ``inserts[i]`` placed after part i (only between paragraphs)."""
    out: list[str] = []
    for i, part in enumerate(parts):
        out.append(part)
        if i in inserts and i < len(parts) - 1:
            out.append(inserts[i])
    return out


def jsonld(obj: dict[str, object]) -> str:
    return (
        '<script type="application/ld+json">'
        + json.dumps(obj, ensure_ascii=False).replace("</", "<\\/")
        + "</script>"
    )


def document(head: str, body: str, *, lang: str = "ar", extra_attrs: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="rtl"{extra_attrs}>\n<head>\n'
        f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, '
        f'initial-scale=1">\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n'
    )


def base_meta(story: Story, site: Site, url: str) -> dict[str, object]:
    return {
        "url": url,
        "template": site.template,
        "sitename": site.name,
        "title": story.headline,
        "authors": [story.author],
        "published": story.published.isoformat(),
        "published_date_only": False,
        "modified": story.modified.isoformat(),
        "language": "ar",
        "canonical_url": url,
        "categories": [story.section],
        "tags": list(story.keywords),
        "description": story.summary,
        "image_url": None,
    }


# -- templates -----------------------------------------------------------------------------------


def portal(story: Story, others: list[Story], n: int) -> Page:
    """Div-soup portal like seed 003: breadcrumb, in-body "قد يهمك أيضا" <p><a> teasers,
    "View on …", truncated teaser lists, most-read, footer; meta tags only (no JSON-LD)."""
    site = Site("المغرب الإخباري", "www.almaghrib-news.example", "portal")
    url = f"https://{site.host}/news/{1000 + n}"
    image = f"https://{site.host}/uploads/{story.published:%Y/%m}/{1000 + n}.jpg"
    teasers = [o.headline for o in others[:2]]
    lists = {
        "أخبار ذات صلة": [o.headline for o in others[2:6]],
        "اخر الاخبار": [o.headline for o in others[6:10]] + list(EXTRA_TEASERS[:2]),
        "الأخبار الأكثر قراءة": list(EXTRA_TEASERS[2:7]),
    }
    boxes = "\n".join(
        f'<div class="news-box"><div class="box-title"><h2>{e(title)}</h2></div><ul>'
        + "".join(
            f'<li><a href="/news/{900 + i}">{e(clip(t))}</a></li>' for i, t in enumerate(items)
        )
        + "</ul></div>"
        for title, items in lists.items()
    )
    paras = [
        f'<p class="dateline"><strong>{e(story.dateline)}</strong></p>',
        *body_blocks(story, head="<h3>{}</h3>"),
    ]
    body = f"""
<div class="top-bar"><span class="today">{ar_date(story.published, weekday=True)}</span>
<a href="/login">تسجيل الدخول</a></div>
<div class="header"><a class="logo" href="/"><img src="/logo.png" alt="{e(site.name)}"></a>
<ul class="menu"><li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li>
<li><a href="/economy">اقتصاد</a></li><li><a href="/sport">رياضة</a></li></ul></div>
<div class="container"><div class="col-md-8">
<div class="breadcrumb"><a href="/">الرئيسية</a> » <a href="/s/1">{e(story.section)}</a></div>
<div class="article-details">
<h1 class="article-title">{e(story.headline)}</h1>
<div class="article-info"><span class="article-date">{ar_date(story.published)}</span>
<span class="article-author">{e(story.author)}</span></div>
<div class="article-img"><img src="{image}" alt=""><span class="img-caption">{e(story.headline)}</span></div>
<div class="article-text">
{chr(10).join(paras)}
<p><strong>قد يهمك أيضا</strong></p>
{"&nbsp;".join(f'<p><a href="/news/{800 + i}">{e(t)}</a></p>' for i, t in enumerate(teasers))}
<p class="view-on"><a href="/" rel="nofollow">View on Almaghrib-news.example</a></p>
</div></div>
{boxes}
</div></div>
<div class="footer"><p>جميع الحقوق محفوظة © {e(site.name)} 2024</p>
<a href="/about">من نحن</a> | <a href="/contact">اتصل بنا</a></div>"""
    head = f"""<title>{e(story.headline)} - {e(site.name)}</title>
<meta name="description" content="{e(story.summary)}">
<meta name="keywords" content="{e(", ".join(story.keywords))}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{e(site.name)}">
<meta property="og:title" content="{e(story.headline)} - {e(site.name)}">
<meta property="og:image" content="{image}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta property="article:modified_time" content="{story.modified.isoformat()}">
<meta name="author" content="{e(story.author)}">
<link rel="canonical" href="{url}?utm_source=facebook&amp;utm_medium=social">"""
    meta = base_meta(story, site, url)
    meta["image_url"] = image
    return Page(document(head, body), gold_blocks(story, dateline=True), meta)


def agency(story: Story, others: list[Story], n: int) -> Page:
    """Agency wire like seed 000: tag links, standfirst, sub-headings, sources list; the only
    date is written in Arabic; JSON-LD without dates."""
    site = Site("وكالة الأنباء العربية", "arabnews-agency.example", "agency")
    url = f"https://{site.host}/ar/news/{2000 + n}"
    standfirst = story.standfirst or story.summary
    st = Story(**{**story.__dict__, "standfirst": standfirst})
    paras = body_blocks(st, head="<h3>{}</h3>")
    if st.sources:
        paras.append('<p><strong>مصادر الخبر:</strong></p><ul class="sources">')
        paras.extend(f"<li>{e(s)}</li>" for s in st.sources)
        paras.append("</ul>")
    related = "".join(
        f'<li><a href="/ar/news/{700 + i}">{e(o.headline)}</a></li>'
        for i, o in enumerate(others[:4])
    )
    body = f"""
<header class="site-header"><div class="logo">{e(site.name)}</div>
<nav><a href="/ar">الرئيسية</a> <a href="/ar/world">العالم</a> <a href="/ar/arab">عربي</a></nav></header>
<main><div class="news-page"><article class="news-item">
<h1>{e(story.headline)}</h1>
<div class="news-tags"><a href="/tag/1">{e(story.keywords[0] if story.keywords else story.section)}</a>
<span class="date">{ar_date(story.published, weekday=True)}</span>
<a href="/person/1">{e(story.author)}</a></div>
<p class="lead"><strong>{e(standfirst)}</strong></p>
<div class="news-text">
{chr(10).join(paras)}
</div>
<div class="readalso"><strong>اقرأ أيضاً</strong><ul>{related}</ul></div>
</article></div></main>
<footer><p>جميع الحقوق محفوظة لوكالة الأنباء العربية 2024</p></footer>"""
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.headline,
            "author": {"@type": "Organization", "name": story.author},
            "publisher": {"@type": "Organization", "name": site.name},
            "articleSection": story.section,
            "keywords": ", ".join(story.keywords),
            "description": story.summary,
        }
    )
    head = f"<title>{e(story.headline)} | {e(site.name)}</title>\n{ld}"
    meta = base_meta(story, site, url)
    meta.update(
        published=story.published.date().isoformat(), published_date_only=True, modified=None
    )
    return Page(document(head, body), gold_blocks(st, standfirst=True, sources=True), meta)


def teaser_inside(story: Story, others: list[Story], n: int) -> Page:
    """A modern site whose teaser cards sit inside the article container, between paragraphs,
    under a heading no list knows ("لا تفوتك") or none at all; JSON-LD @graph."""
    site = Site("منصة الخبر", "alkhabar-platform.example", "teaser_inside")
    url = f"https://{site.host}/{story.published:%Y/%m/%d}/story-{n}"
    image = f"https://cdn.{site.host}/img/{n}.webp"
    card = (
        '<div class="card-inline"><a href="/s/{i}"><img src="/t/{i}.jpg" alt=""></a>'
        '<div class="card-body"><span class="card-kicker">{kicker}</span>'
        '<h4 class="card-title"><a href="/s/{i}">{title}</a></h4></div></div>'
    )
    inserts = {
        1: card.format(i=1, kicker="لا تفوتك", title=e(others[0].headline)),
        3: '<div class="inline-list"><p class="inline-list-title">لا تفوتك</p><ul>'
        + "".join(
            f'<li><a href="/s/{i}">{e(o.headline)}</a></li>' for i, o in enumerate(others[1:4])
        )
        + "</ul></div>",
    }
    parts = interleave(body_blocks(story), inserts)
    body = f"""
<div class="app"><div class="masthead"><a href="/">{e(site.name)}</a>
<ul class="nav-list"><li><a href="/news">أخبار</a></li><li><a href="/video">فيديو</a></li></ul></div>
<main class="page"><article class="story">
<div class="story-head"><span class="kicker"><a href="/section">{e(story.section)}</a></span>
<h1>{e(story.headline)}</h1><p class="story-summary">{e(story.summary)}</p>
<div class="story-meta"><span>{e(story.author)}</span> <span>{ar_date(story.published)}</span></div></div>
<figure><img src="{image}" alt=""></figure>
<div class="story-body">
{chr(10).join(parts)}
</div>
<div class="card-grid">{"".join(card.format(i=10 + i, kicker="المزيد", title=e(o.headline)) for i, o in enumerate(others[4:8]))}</div>
</article></main>
<div class="site-footer">© {e(site.name)}</div></div>"""
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": site.name, "url": f"https://{site.host}/"},
                {
                    "@type": "NewsArticle",
                    "headline": story.headline,
                    "datePublished": story.published.isoformat(),
                    "dateModified": story.modified.isoformat(),
                    "author": [{"@type": "Person", "name": story.author}],
                    "articleSection": [story.section],
                    "keywords": list(story.keywords),
                    "image": {"@type": "ImageObject", "url": image},
                    "publisher": {"@type": "Organization", "name": site.name},
                    "description": story.summary,
                },
            ],
        }
    )
    head = f"""<title>{e(story.headline)} | {e(site.name)}</title>
<meta property="og:url" content="{url}">
<meta property="og:description" content="{e(story.summary)}">{ld}"""
    meta = base_meta(story, site, url)
    meta["image_url"] = image
    return Page(document(head, body), [story.summary, *gold_blocks(story)], meta)


def liveblog(story: Story, others: list[Story], n: int) -> Page:
    """A live-blog page: timed updates (newest first), per-update share links, an auto-refresh
    toggle; LiveBlogPosting JSON-LD."""
    site = Site("الشرق مباشر", "sharq-live.example", "liveblog")
    url = f"https://{site.host}/live/{3000 + n}"
    updates = []
    gold = []
    blocks = list(story.blocks)
    # newest first, as live blogs show them; each update: optional heading + its paragraphs
    groups: list[list[tuple[str, str]]] = []
    for kind, text in blocks:
        if kind == "h" or not groups or len(groups[-1]) >= 2:
            groups.append([])
        groups[-1].append((kind, text))
    for i, group in reversed(list(enumerate(groups))):
        minute = story.published.replace(hour=(story.published.hour + i) % 24)
        inner = "".join(f"<h3>{e(t)}</h3>" if k == "h" else f"<p>{e(t)}</p>" for k, t in group)
        updates.append(
            f'<div class="live-update" id="u{i}"><div class="update-meta">'
            f'<time datetime="{minute.isoformat()}">{minute:%H:%M}</time> '
            f'<span class="tz">بتوقيت مكة المكرمة</span></div>{inner}'
            f'<div class="update-share"><a href="#u{i}">رابط التحديث</a> '
            f'<a href="https://x.com/share">تويتر</a></div></div>'
        )
        gold.extend(t for _, t in group)
        if i == len(groups) - 2:  # a promo card for another story between two updates
            updates.append(
                f'<div class="live-update live-promo"><p><a href="/news/{n}">'
                f"{e(others[5].headline)}</a></p></div>"
            )
    body = f"""
<header class="top"><a href="/">{e(site.name)}</a></header>
<div class="live-page"><h1>{e(story.headline)}</h1>
<div class="live-controls"><span class="live-badge">مباشر</span>
<label><input type="checkbox" checked> تحديث تلقائي</label></div>
<p class="live-intro">{e(story.summary)}</p>
<div class="live-feed">
{chr(10).join(updates)}
</div>
<div class="live-more"><button>تحميل المزيد من التحديثات</button></div>
<div class="other-live"><h2>تغطيات أخرى</h2>{"".join(f'<a href="/live/{i}">{e(o.headline)}</a>' for i, o in enumerate(others[:3]))}</div>
</div>
<footer>© {e(site.name)} 2024</footer>"""
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "LiveBlogPosting",
            "headline": story.headline,
            "datePublished": story.published.isoformat(),
            "dateModified": story.modified.isoformat(),
            "coverageStartTime": story.published.isoformat(),
            "author": {"@type": "Person", "name": story.author},
            "description": story.summary,
            "articleSection": story.section,
        }
    )
    head = f"""<title>مباشر | {e(story.headline)}</title>
<meta property="og:site_name" content="{e(site.name)}">
<meta name="keywords" content="{e(",".join(story.keywords))}">
<link rel="canonical" href="{url}">{ld}"""
    meta = base_meta(story, site, url)
    return Page(document(head, body), [story.summary, *gold], meta)


# embedded tweets as the embed code of X/Twitter writes them: the tweet's text with a t.co or
# pic.twitter.com link, then "— Name (@handle)" and the date link as loose text of the
# blockquote, then the widgets script
TWEETS = (
    (
        "وزارة الثقافة",
        "MOC_Culture",
        "بدء أعمال الترميم في المواقع المسجلة على قائمة التراث، ضمن خطة تمتد ثلاث سنوات",
        "pic.twitter.com/Xq3LmT8aZk",
        "March 3, 2024",
    ),
    (
        "مجلة الأفق",
        "alofoq_mag",
        "متابعة مستمرة للملف، والتفاصيل الكاملة في تقريرنا المنشور اليوم على الموقع",
        "https://t.co/7bKpR2sLwe",
        "April 11, 2024",
    ),
    (
        "سلمى العبدالله",
        "salma_abdallah",
        "زرت المكان صباح اليوم ورأيت بنفسي حجم العمل الذي أنجز، شكرا لكل من ساهم",
        "pic.twitter.com/Vd9QwE2nYr",
        "May 20, 2024",
    ),
)
# photo credits as magazines print them inside the caption
CREDITS = ("تصوير: أحمد السيد", "(أ ف ب)", "© رويترز")


def _tweet(n: int) -> tuple[str, str]:
    """The embed markup of a tweet and its gold (text with its link, attribution line)."""
    name, handle, text, link, date = TWEETS[n % len(TWEETS)]
    href = link if link.startswith("http") else "https://t.co/" + link.rsplit("/", 1)[1]
    markup = (
        '<blockquote class="twitter-tweet" data-lang="ar"><p lang="ar" dir="rtl">'
        f'{e(text)} <a href="{href}">{e(link)}</a></p>&mdash; {e(name)} (@{handle}) '
        f'<a href="https://twitter.com/{handle}/status/17{n:05d}4431?ref_src=twsrc%5Etfw">'
        f"{date}</a></blockquote>\n"
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )
    return markup, f"{text} {link}\n— {name} (@{handle}) {date}"


def _caption(n: int, place: str, site: Site) -> str:
    """A figcaption with the photo credit, in one of the forms magazines use."""
    credit = CREDITS[n % len(CREDITS)]
    text = f"جانب من {e(place)} في صورة التقطت هذا الأسبوع"
    if n % 3 == 0:
        return f'<figcaption class="wp-element-caption">{text} <span class="credit">{e(credit)}</span></figcaption>'
    if n % 3 == 1:
        return f"<figcaption>{text} {e(credit)}</figcaption>"
    return f"<figcaption>{text}<br><small>{e(credit)} / {e(site.name)}</small></figcaption>"


def _pull_quote(n: int, sentence: str, author: str) -> str:
    """A pull quote repeating a sentence of the body, in the markup of common CMS themes."""
    if n % 3 == 0:
        return f'<aside class="pullquote"><blockquote><p>«{e(sentence)}»</p></blockquote></aside>'
    if n % 3 == 1:
        return (
            '<figure class="wp-block-pullquote"><blockquote>'
            f"<p>{e(sentence)}</p><cite>{e(author)}</cite></blockquote></figure>"
        )
    return f'<blockquote class="pullquote"><p>«{e(sentence)}»</p></blockquote>'


def magazine(story: Story, others: list[Story], n: int) -> Page:
    """Long-form page with figures whose captions carry a photo credit, a pull quote repeating
    a sentence of the body (aside, WordPress pullquote block or blockquote.pullquote), and an
    embedded tweet in X's embed markup; OpenGraph + <time> only."""
    site = Site("مجلة الأفق", "alofoq-mag.example", "magazine")
    url = f"https://{site.host}/article/{story.key}-{n}"
    image = f"https://{site.host}/media/{n}/cover.jpg"
    paragraphs = [t for k, t in story.blocks if k == "p"]
    clauses = paragraphs[min(1, len(paragraphs) - 1)].rstrip(".").split("،")
    sentence = clauses[0]
    for clause in clauses[1:]:  # a pull quote is a sentence, not a two-word fragment
        if len(sentence.split()) >= 8:
            break
        sentence += "،" + clause
    place = story.dateline.split(" - ")[0] or "المدينة"
    tweet, tweet_gold = _tweet(n)
    inserts = {
        # the block editor's figure, or the classic editor's caption shortcode output
        0: f'<figure class="wp-block-image size-large"><img src="/media/{n}/1.jpg" alt="">'
        f"{_caption(n, place, site)}</figure>"
        if n % 2 == 0
        else f'<div id="attachment_{n}" class="wp-caption aligncenter" style="width: 800px">'
        f'<img src="/media/{n}/1.jpg" alt="" width="800" height="533">'
        f'<p class="wp-caption-text">جانب من {e(place)} في صورة التقطت هذا الأسبوع '
        f"{e(CREDITS[n % len(CREDITS)])}</p></div>",
        1: _pull_quote(n, sentence, story.author),
        # the block editor wraps the embed code in a figure, the classic editor pastes it as is
        2: f'<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter">'
        f'<div class="wp-block-embed__wrapper">\n{tweet}\n</div></figure>'
        if n % 2 == 0
        else tweet,
    }
    parts = interleave(body_blocks(story, head="<h2>{}</h2>"), inserts)
    body = f"""
<div id="page"><header id="masthead"><p class="site-title"><a href="/">{e(site.name)}</a></p></header>
<div id="content"><article class="hentry">
<h1 class="entry-title">{e(story.headline)}</h1>
<p class="entry-meta">بقلم {e(story.author)} · <time datetime="{story.published.isoformat()}">{ar_date(story.published)}</time></p>
<figure class="featured"><img src="{image}" alt="">{_caption(n + 1, place, site)}</figure>
<div class="entry-content">
{chr(10).join(parts)}
</div></article></div>
<footer id="colophon"><p>{e(site.name)} — مجلة شهرية مستقلة</p></footer></div>"""
    head = f"""<title>{e(story.headline)} – {e(site.name)}</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="{e(site.name)}">
<meta property="og:title" content="{e(story.headline)}">
<meta property="og:description" content="{e(story.summary)}">
<meta property="og:image" content="{image}">
<meta property="og:url" content="{url}">
<meta property="article:section" content="{e(story.section)}">
{"".join(f'<meta property="article:tag" content="{e(k)}">' for k in story.keywords)}
<meta name="author" content="{e(story.author)}">"""
    meta = base_meta(story, site, url)
    meta.update(image_url=image, modified=None)
    # see README: an embedded tweet the article quotes is its content (its text with the
    # link, and the attribution line, as in the shared real-pages gold); captions with their
    # photo credits and the pull quote (a repeat of the body) are not
    gold = gold_blocks(story)
    if len(story.blocks) > 3:
        gold.insert(3, tweet_gold)
    return Page(document(head, body), gold, meta)


def read_also(story: Story, others: list[Story], n: int) -> Page:
    """ "اقرأ أيضا" links between paragraphs (inline in one paragraph, or heading + link), as
    many Arabic news sites do; meta tags with a " | site" title suffix."""
    site = Site("بوابة النيل", "nile-gate.example", "read_also")
    url = f"https://{site.host}/News/{4000 + n}.aspx"
    inserts = {
        0: f'<p><strong>اقرأ أيضا:</strong> <a href="/News/1.aspx">{e(others[0].headline)}</a></p>',
        2: f'<p><strong>اقرأ أيضاً</strong></p><p><a href="/News/2.aspx">{e(others[1].headline)}</a></p>',
        3: f'<p>إقرأ أيضا: <a href="/News/3.aspx">{e(others[2].headline)}</a></p>',
    }
    parts = interleave(body_blocks(story, head="<p><strong>{}</strong></p>"), inserts)
    body = f"""
<div class="header"><a href="/">{e(site.name)}</a><div class="menu"><a href="/">الرئيسية</a> <a href="/Section/1">أخبار مصر</a></div></div>
<div class="main"><div class="NewsDetails">
<h1 class="NewsTitle">{e(story.headline)}</h1>
<div class="NewsInfo"><span class="writer">كتب: {e(story.author)}</span> <span class="NewsDate">{story.published:%d/%m/%Y %H:%M}</span></div>
<div class="NewsBody" id="NewsStory">
{chr(10).join(parts)}
</div>
<div class="NewsTags">{"".join(f'<a href="/Tags/{i}">{e(k)}</a>' for i, k in enumerate(story.keywords))}</div>
</div></div>
<div class="footer">{e(site.name)} © 2024</div>"""
    head = f"""<title>{e(story.headline)} | {e(site.name)}</title>
<meta name="description" content="{e(story.summary)}">
<meta property="og:site_name" content="{e(site.name)}">
<meta property="og:image" content="https://{site.host}/Upload/{n}.jpg">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta name="news_keywords" content="{e(",".join(story.keywords))}">
<link rel="canonical" href="{url}">"""
    meta = base_meta(story, site, url)
    meta.update(
        image_url=f"https://{site.host}/Upload/{n}.jpg",
        modified=None,
        authors=[story.author],
        categories=[],
    )
    return Page(document(head, body), gold_blocks(story), meta)


COMMENTS = (
    "مقال رائع ويطرح الموضوع من زاوية مختلفة، شكرا للكاتب على هذا الجهد الكبير في التوضيح",
    "أتمنى أن تتابعوا هذا الملف في الأسابيع القادمة لأن المواطن يحتاج إلى معلومات دقيقة",
    "للأسف نفس الوعود نسمعها كل سنة ولا شيء يتغير على أرض الواقع في منطقتنا",
)


def blog(story: Story, others: list[Story], n: int) -> Page:
    """WordPress-like news blog: author box with bio, tag cloud, comments with long texts and a
    reply form, "مقالات مشابهة" related posts; Yoast-like JSON-LD graph."""
    site = Site("مدونة الساحة", "alsaha-blog.example", "blog")
    url = f"https://{site.host}/{story.published:%Y/%m}/{story.key}/"
    image = f"https://{site.host}/wp-content/uploads/{story.published:%Y/%m}/{n}.jpg"
    comments = "".join(
        f'<li class="comment"><div class="comment-author">زائر {i + 1}</div>'
        f'<div class="comment-content"><p>{e(c)}</p></div><a class="reply">رد</a></li>'
        for i, c in enumerate(COMMENTS)
    )
    body = f"""
<div class="site"><header class="site-header"><a href="/" rel="home">{e(site.name)}</a>
<nav class="main-navigation"><ul><li><a href="/">الرئيسية</a></li><li><a href="/c/1">منوعات</a></li></ul></nav></header>
<div class="site-content"><main id="main">
<article class="post">
<header class="entry-header"><h1 class="entry-title">{e(story.headline)}</h1>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{story.published.isoformat()}">{ar_date(story.published)}</time>
<time class="updated" datetime="{story.modified.isoformat()}">{ar_date(story.modified)}</time></span>
<span class="byline"> بواسطة <a class="url fn n" rel="author" href="/author/x">{e(story.author)}</a></span></div></header>
<div class="entry-content">
{chr(10).join(body_blocks(story, head="<h3>{}</h3>"))}
</div>
<footer class="entry-footer"><div class="tagcloud">{"".join(f'<a href="/tag/{i}" class="tag-cloud-link">{e(k)}</a> ' for i, k in enumerate(story.keywords))}</div></footer>
<div class="author-box"><h4>{e(story.author)}</h4><p>صحفي يكتب في الشؤون المحلية والاقتصادية منذ عشر سنوات، ويهتم بقضايا التنمية في المدن الصغيرة.</p></div>
</article>
<div class="jp-relatedposts"><h3>مقالات مشابهة</h3>{"".join(f'<p><a href="/p/{i}">{e(o.headline)}</a></p>' for i, o in enumerate(others[:3]))}</div>
<div id="comments" class="comments-area"><h2 class="comments-title">3 تعليقات</h2><ol class="comment-list">{comments}</ol>
<div id="respond"><h3>اترك تعليقاً</h3><form><textarea></textarea><button>إرسال</button></form></div></div>
</main></div>
<footer class="site-footer">مدعوم بواسطة ووردبريس</footer></div>"""
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "Organization", "name": site.name},
                {
                    "@type": "BlogPosting",
                    "headline": story.headline,
                    "datePublished": story.published.isoformat(),
                    "dateModified": story.modified.isoformat(),
                    "author": {"@type": "Person", "name": story.author},
                    "keywords": list(story.keywords),
                    "articleSection": [story.section],
                    "image": image,
                },
            ],
        }
    )
    head = f"""<title>{e(story.headline)} - {e(site.name)}</title>
<meta property="og:site_name" content="{e(site.name)}">
<meta name="description" content="{e(story.summary)}">
<link rel="canonical" href="{url}">{ld}"""
    meta = base_meta(story, site, url)
    meta["image_url"] = image
    return Page(document(head, body), gold_blocks(story), meta)


def consent(story: Story, others: list[Story], n: int) -> Page:
    """A news site with a cookie banner, a newsletter box and an app promo inside the article,
    and a most-read sidebar; the date only in <time> and the URL."""
    site = Site("الوطن اليوم", "alwatan-today.example", "consent")
    url = f"https://{site.host}/{story.published:%Y-%m-%d}/{story.key}-{n}"
    parts = interleave(
        body_blocks(story),
        {
            1: '<div class="newsletter-box"><h4>النشرة البريدية</h4><p>اشترك في نشرتنا '
            'البريدية لتصلك أهم الأخبار يوميا</p><form><input type="email"><button>اشترك'
            "</button></form></div>",
            3: '<div class="app-promo"><p>حمّل تطبيق الوطن اليوم وتابع الأخبار لحظة بلحظة</p>'
            '<a href="/app">متجر التطبيقات</a></div>',
        },
    )
    body = f"""
<div id="cookie-banner" class="cookie-consent"><p>نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا. باستمرارك في التصفح فإنك توافق على سياسة الخصوصية.</p>
<button>موافق</button> <a href="/privacy">اعرف المزيد</a></div>
<header><div class="brand">{e(site.name)}</div><ul><li><a href="/">الرئيسية</a></li><li><a href="/world">العالم</a></li></ul></header>
<div class="layout"><div class="main-col"><article>
<h1>{e(story.headline)}</h1>
<div class="info"><time datetime="{story.published.isoformat()}">{story.published:%Y/%m/%d}</time> | {e(story.author)}</div>
<div class="body">
{chr(10).join(parts)}
</div></article></div>
<div class="side-col"><div class="most-read"><h3>الأكثر قراءة</h3><ol>{"".join(f'<li><a href="/x/{i}">{e(t)}</a></li>' for i, t in enumerate(EXTRA_TEASERS[3:8]))}</ol></div></div></div>
<footer><p>© الوطن اليوم. جميع الحقوق محفوظة</p></footer>"""
    head = f"""<title>{e(story.headline)}</title>
<meta name="author" content="{e(story.author)}">
<meta property="og:site_name" content="{e(site.name)}">
<meta property="og:description" content="{e(story.summary)}">"""
    meta = base_meta(story, site, url)
    meta.update(modified=None, categories=[], tags=[])
    return Page(document(head, body), gold_blocks(story), meta)


def amp(story: Story, others: list[Story], n: int) -> Page:
    """The AMP variant of an article page: amp-img, amp-sidebar menu, amp-social-share,
    amp-ad slots, canonical pointing at the regular page; JSON-LD."""
    site = Site("الجزيرة نت التجريبي", "aljazeera-demo.example", "amp")
    canonical = f"https://{site.host}/news/{story.published:%Y/%m/%d}/{story.key}"
    url = canonical + "/amp"
    image = f"https://{site.host}/images/{n}.jpg"
    parts = interleave(
        body_blocks(story),
        {
            1: '<amp-ad width="300" height="250" type="doubleclick" data-slot="/1/ar"><div placeholder>إعلان</div></amp-ad>'
        },
    )
    body = f"""
<amp-sidebar id="menu" layout="nodisplay" side="right"><ul><li><a href="/">الرئيسية</a></li><li><a href="/news">أخبار</a></li><li><a href="/opinion">آراء</a></li></ul></amp-sidebar>
<header class="amp-header"><button on="tap:menu.toggle">القائمة</button><a href="/">{e(site.name)}</a></header>
<main><article>
<h1>{e(story.headline)}</h1>
<div class="byline">{e(story.author)} · {ar_date(story.published)}</div>
<amp-img src="{image}" width="16" height="9" layout="responsive" alt=""></amp-img>
<div class="amp-share"><amp-social-share type="facebook"></amp-social-share><amp-social-share type="twitter"></amp-social-share><amp-social-share type="whatsapp"></amp-social-share></div>
{chr(10).join(parts)}
</article></main>
<footer class="amp-footer"><a href="{canonical}">عرض النسخة الكاملة</a></footer>"""
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": canonical,
            "headline": story.headline,
            "datePublished": story.published.isoformat(),
            "dateModified": story.modified.isoformat(),
            "author": {"@type": "Person", "name": story.author},
            "publisher": {"@type": "Organization", "name": site.name},
            "image": {"@type": "ImageObject", "url": image, "width": 1200, "height": 675},
            "description": story.summary,
            "articleSection": story.section,
            "keywords": list(story.keywords),
        }
    )
    head = f"""<title>{e(story.headline)} | {e(site.name)}</title>
<link rel="canonical" href="{canonical}">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<style amp-custom>body{{font-family:sans-serif}}</style>{ld}"""
    meta = base_meta(story, site, url)
    meta.update(image_url=image, canonical_url=canonical)
    return Page(document(head, body, extra_attrs=" amp"), gold_blocks(story), meta)


def opinion(story: Story, others: list[Story], n: int) -> Page:
    """An opinion column: author card at the top (photo, name, title), "مقالات أخرى للكاتب"
    list, share bar, print link; dates in meta and an Arabic dateline."""
    site = Site("صحيفة الرأي العربي", "arab-opinion.example", "opinion")
    url = f"https://{site.host}/opinion/{5000 + n}"
    body = f"""
<div class="wrapper"><div class="header"><a href="/">{e(site.name)}</a></div>
<div class="breadcrumbs"><a href="/">الرئيسية</a> &gt; <a href="/opinion">آراء</a></div>
<div class="article-wrap">
<div class="writer-card"><img src="/writers/{n}.jpg" alt=""><div class="writer-name"><a href="/writer/{n}">{e(story.author)}</a></div>
<div class="writer-title">كاتب صحفي</div></div>
<h1 class="article-headline">{e(story.headline)}</h1>
<div class="article-date">نشر في {ar_date(story.published, weekday=True)}</div>
<div class="share-tools"><a href="#">فيسبوك</a> <a href="#">تويتر</a> <a href="#">واتساب</a> <a href="#">طباعة</a></div>
<div class="article-content">
<div class="font-tools"><span>حجم الخط</span> <a href="#">تكبير</a> <a href="#">تصغير</a></div>
{chr(10).join(body_blocks(story, head="<h4>{}</h4>"))}
<p class="writer-contact">للتواصل مع الكاتب: <a href="https://x.com/writer{n}">@writer{n}</a></p>
</div>
<div class="writer-articles"><h3>مقالات أخرى للكاتب</h3><ul>{"".join(f'<li><a href="/opinion/{i}">{e(o.headline)}</a></li>' for i, o in enumerate(others[:4]))}</ul></div>
</div>
<div class="footer">جميع الآراء المنشورة تعبر عن رأي كتابها ولا تعبر بالضرورة عن رأي الصحيفة</div></div>"""
    head = f"""<title>{e(story.headline)} | {e(site.name)}</title>
<meta name="description" content="{e(story.summary)}">
<meta property="og:site_name" content="{e(site.name)}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta property="article:modified_time" content="{story.modified.isoformat()}">
<meta property="article:section" content="آراء">
<meta name="author" content="{e(story.author)}">
<meta property="og:url" content="{url}?ref=home">"""
    meta = base_meta(story, site, url)
    meta.update(categories=["آراء"], tags=[])
    return Page(document(head, body), gold_blocks(story), meta)


TEMPLATES: dict[str, Callable[[Story, list[Story], int], Page]] = {
    "portal": portal,
    "agency": agency,
    "teaser_inside": teaser_inside,
    "liveblog": liveblog,
    "magazine": magazine,
    "read_also": read_also,
    "blog": blog,
    "consent": consent,
    "amp": amp,
    "opinion": opinion,
}
PAGES_PER_TEMPLATE = 7


def build() -> int:
    stories = load_stories()
    if PAGES.exists():
        shutil.rmtree(PAGES)
    PAGES.mkdir()
    count = 0
    for t, (name, render) in enumerate(TEMPLATES.items()):
        for i in range(PAGES_PER_TEMPLATE):
            story = stories[(t * 3 + i * 5) % len(stories)]
            others = [s for s in stories if s.key != story.key]
            others = others[(t + i) % len(others) :] + others[: (t + i) % len(others)]
            page = render(story, others, t * 100 + i)
            page_id = f"{name}-{i + 1:02d}"
            gold = "\n\n".join(page.gold).strip() + "\n"
            page.meta["word_count"] = len(gold.split())
            (PAGES / f"{page_id}.html").write_text(page.html, encoding="utf-8")
            (PAGES / f"{page_id}.txt").write_text(gold, encoding="utf-8")
            (PAGES / f"{page_id}.json").write_text(
                json.dumps(page.meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            count += 1
    return count


if __name__ == "__main__":
    print(f"{build()} pages written to {PAGES}")
