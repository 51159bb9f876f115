"""The cleaner on Arabic news pages written for these tests (tests/fixtures/pages)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from akhbar.cleaner import extract
from akhbar.records import Article, Rejection, RejectReason
from akhbar.settings import CleanerSettings

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
PORTAL_URL = "https://www.maghrib-alyoum.example/news/politics/12345?utm_source=rss"
AGENCY_URL = "https://archive.anbaa.example/ar/news/181bf0773d9a"

LIST_HEADINGS = (
    "أخبار ذات صلة",
    "اخر الاخبار",
    "فن وموسيقى",
    "أخبار النجوم",
    "رياضة",
    "صحة وتغذية",
    "الأخبار الأكثر قراءة",
)
SUBHEADINGS = ("رسالة من أمير قطر", "العراق والشيشان", "الغاز والاستثمارات", "تنويع الشراكات")


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def _article(html: bytes | str, url: str, **kwargs: object) -> Article:
    result = extract(html, url, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, Article), result
    return result


def _seed_teasers(seed: str) -> list[str]:
    """The teaser headlines of seed page 003: the lines under each list heading."""
    lines = seed.splitlines()
    teasers: list[str] = []
    start = lines.index("قد يهمك أيضا")
    for line in lines[start + 1 :]:
        line = line.strip()
        if line and line not in LIST_HEADINGS and not line.startswith("View on"):
            teasers.append(line.rstrip("…"))
    return teasers


@pytest.fixture(scope="module")
def portal() -> Article:
    return _article(_page("portal_article_chrome.html"), PORTAL_URL)


@pytest.fixture(scope="module")
def agency() -> Article:
    return _article(_page("agency_article_subheadings.html"), AGENCY_URL)


# -- (1) the portal page: article text without the chrome --------------------------------------


def test_portal_keeps_first_and_last_paragraph(portal: Article) -> None:
    assert "أكد الرئيس الروسي فلاديمير بوتين وأمير قطر الشيخ تميم بن حمد" in portal.text
    assert portal.text.endswith("ثم كانت زيارة العمل التالية له في مارس 2022.")


def test_portal_drops_all_chrome(portal: Article, seed_pages_dir: Path) -> None:
    seed = (seed_pages_dir / "003_d3412222f1c9d057.txt").read_text(encoding="utf-8")
    lines = {line.strip() for line in portal.text.splitlines()}
    assert "الرئيسية" not in portal.text
    assert "»" not in portal.text
    assert "أخبار السياسة والسياسيين" not in portal.text
    assert "View on" not in portal.text
    assert "قد يهمك" not in portal.text
    for heading in LIST_HEADINGS:
        assert heading not in lines
    teasers = _seed_teasers(seed)
    assert len(teasers) >= 30
    for teaser in teasers:
        assert teaser not in portal.text
    for chrome in ("فيسبوك", "واتساب", "النشرة البريدية", "جميع الحقوق محفوظة", "إعلان", "ملفات"):
        assert chrome not in portal.text


def test_portal_structure_and_metadata(portal: Article) -> None:
    assert portal.title == "الرئيس الروسي فلاديمير بوتين"
    assert not portal.text.startswith(portal.title)
    assert "\n\n\n" not in portal.text
    assert portal.published_at == datetime(2022, 10, 13, 13, 25, tzinfo=UTC)
    assert portal.modified_at is not None and portal.modified_at.tzinfo is not None
    assert portal.language == "ar"
    assert portal.sitename == "المغرب اليوم"
    assert portal.authors == ["سعيد الإدريسي"]
    assert portal.categories == ["أخبار السياسة والسياسيين"]
    assert portal.tags == ["بوتين", "قطر", "تميم بن حمد", "روسيا"]
    assert portal.image_url == (
        "https://www.maghrib-alyoum.example/uploads/2022/10/putin-tamim-astana.jpg"
    )
    assert portal.description and portal.description.startswith("أكد الرئيس الروسي")


# -- (2) the agency page: sub-headings, sources list, Arabic date ------------------------------


def test_agency_subheadings_on_their_own_lines(agency: Article) -> None:
    lines = agency.text.splitlines()
    for heading in SUBHEADINGS:
        assert heading in lines
        i = lines.index(heading)
        assert lines[i - 1] == "" and lines[i + 1] == ""  # a paragraph of its own
    assert "#" not in agency.text


def test_agency_keeps_sources_list(agency: Article) -> None:
    lines = agency.text.splitlines()
    assert "مصادر الخبر:" in lines
    sources = [line for line in lines if line.startswith("-")]
    assert len(sources) == 6
    assert "-PUTIN RECEIVES QATARI FM" in sources
    assert agency.text.endswith("-بيان روسي قطري يؤيد تزامن تعليق العقوبات مع استئناف نزع الأسلحة")


def test_agency_body_and_chrome(agency: Article) -> None:
    assert agency.text.startswith("بوتين يبعث رسالة تهنئة إلى أمير قطر")  # standfirst, no title
    assert "اقرأ أيضاً" not in agency.text
    assert "قمة الدوحة الإسلامية تفتتح أعمالها" not in agency.text
    assert "الأكثر قراءة" not in agency.text
    assert "أوبك تبحث زيادة الإنتاج" not in agency.text
    assert "جميع الحقوق محفوظة" not in agency.text


def test_agency_metadata_with_arabic_date(agency: Article) -> None:
    assert agency.title.startswith("بمناسبة ترؤسه القمة الإسلامية في الدوحة")
    assert "أرشيف الأنباء" not in agency.title
    assert agency.published_at == datetime(2000, 11, 12, tzinfo=UTC)
    assert agency.authors == ["قسم الأرشيف"]
    assert agency.language == "ar"
    assert agency.canonical_url == AGENCY_URL


# -- (3) listing pages ---------------------------------------------------------------------------


def test_section_page_is_not_an_article() -> None:
    result = extract(_page("section_listing.html"), "https://www.maghrib-alyoum.example/politics")
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.NOT_ARTICLE
    assert result.detail


def test_listing_without_structured_data_is_not_an_article() -> None:
    html = _page("section_listing.html").decode("utf-8")
    start = html.index('<script type="application/ld+json">')
    html = html[:start] + html[html.index("</script>", start) + len("</script>") :]
    result = extract(html, "https://www.maghrib-alyoum.example/politics")
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.NOT_ARTICLE


# -- (4) rejections ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t ", ""])
def test_empty_body(body: bytes | str) -> None:
    result = extract(body, "https://x.example/a")
    assert result == Rejection(RejectReason.EMPTY, "empty body")


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRxyz",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
        b"\x00\x01\x02\x03" * 500,
    ],
)
def test_binary_is_not_html(body: bytes) -> None:
    result = extract(body, "https://x.example/a")
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.NOT_HTML


def test_short_page_is_too_short() -> None:
    html = (
        '<html lang="ar"><head><title>خبر قصير</title></head><body><article><h1>خبر قصير</h1>'
        "<p>أعلنت الحكومة اليوم عن تعديل وزاري محدود يشمل ثلاث حقائب.</p>"
        "<p>ومن المنتظر أن يؤدي الوزراء الجدد اليمين غدا.</p></article></body></html>"
    ).encode()
    result = extract(html, "https://x.example/short")
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.TOO_SHORT
    relaxed = extract(html, "https://x.example/short", settings=CleanerSettings(min_text_chars=20))
    assert isinstance(relaxed, Article)


def test_wrong_language(portal: Article) -> None:
    page = _page("portal_article_chrome.html")
    result = extract(page, PORTAL_URL, languages=["en", "fr"])
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.WRONG_LANGUAGE
    assert isinstance(extract(page, PORTAL_URL, languages=["ar"]), Article)
    assert isinstance(extract(page, PORTAL_URL, languages=["ar-MA"]), Article)


@pytest.mark.parametrize(
    "body",
    [
        "just some words, no markup at all",
        b'{"json": true, "items": [1, 2, 3]}',
        "<html><body></body></html>",
        "<<<>>><!--",
        b"<html>\xff\xfe\xfd garbage </p></div></html>",
    ],
)
def test_bad_input_never_raises(body: bytes | str) -> None:
    result = extract(body, "not a url")
    assert isinstance(result, Rejection)


# -- (5) canonical URL ---------------------------------------------------------------------------


def test_canonical_is_resolved_and_stripped_of_tracking(portal: Article) -> None:
    assert portal.canonical_url == "https://www.maghrib-alyoum.example/news/politics/12345"
    assert portal.url == PORTAL_URL


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:url" content="https://News.example/a/7?utm_campaign=x&id=7">',
            "https://news.example/a/7?id=7",
        ),
        ('<link rel="canonical" href="https://news.example/">', "https://news.example/story/7"),
        ("", "https://news.example/story/7"),
    ],
)
def test_canonical_fallbacks(head: str, expected: str) -> None:
    paragraphs = "".join(
        "<p>" + f"الفقرة رقم {n} من نص الخبر، وهي مكتوبة لأغراض الاختبار فقط. " * 4 + "</p>"
        for n in range(1, 4)
    )
    html = f'<html lang="ar"><head>{head}<title>خبر</title></head><body><article>'
    html += f"<h1>عنوان الخبر</h1>{paragraphs}</article></body></html>"
    result = _article(html, "https://news.example/story/7?utm_source=twitter&fbclid=abc")
    assert result.canonical_url == expected


def test_cleaner_does_not_import_crawler_or_storage_stacks() -> None:
    code = (
        "import sys, akhbar.cleaner; "
        "heavy = {'scrapy', 'twisted', 'sqlalchemy'}; "
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


_PARAS = (
    "قال وزير الثقافة في مؤتمر صحفي عقده صباح اليوم إن أعمال الترميم في المدينة القديمة "
    "ستبدأ الشهر المقبل وتستمر ثلاث سنوات.",
    "وأضاف أن الخطة تشمل عشرين موقعا تاريخيا، بينها أسوار المدينة وأبوابها السبعة والسوق "
    "المسقوف الذي يعود إلى القرن السادس عشر.",
    "ومن المنتظر أن تسهم الأعمال في تنشيط السياحة الثقافية التي تراجعت خلال السنوات "
    "الأخيرة بسبب الأزمة الاقتصادية.",
)
_TWEET = "بدء أعمال الترميم في المواقع المسجلة على قائمة التراث pic.twitter.com/Xq3LmT8aZk"
# X's embed code as its "Embed post" dialog writes it, inside the block editor's figure
_EMBED = (
    '<figure class="wp-block-embed is-provider-twitter wp-block-embed-twitter">'
    '<div class="wp-block-embed__wrapper">\n'
    '<blockquote class="twitter-tweet" data-lang="ar"><p lang="ar" dir="rtl">'
    + _TWEET.split(" pic")[0]
    + ' <a href="https://t.co/Xq3LmT8aZk">pic.twitter.com/Xq3LmT8aZk</a></p>'
    "&mdash; وزارة الثقافة (@MOC_Culture) "
    '<a href="https://twitter.com/MOC_Culture/status/1?ref_src=twsrc%5Etfw">March 3, 2024</a>'
    "</blockquote>\n"
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    "\n</div></figure>"
)


def test_embedded_tweet_kept_pull_quote_and_caption_dropped() -> None:
    """X's embed code in a block-editor figure: trafilatura alone drops the whole tweet."""
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1><div class="entry-content">
<p>{_PARAS[0]}</p>
<figure class="wp-block-image"><img src="/a.jpg">
<figcaption>السوق المسقوف <span class="credit">تصوير: أحمد السيد</span></figcaption></figure>
<p>{_PARAS[1]}</p>
<figure class="wp-block-pullquote"><blockquote><p>{_PARAS[1][:40]}</p>
<cite>الوزير</cite></blockquote></figure>
{_EMBED}
<p>{_PARAS[2]}</p></div></article></body></html>"""
    article = _article(html, "https://mag.example/a/1", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == [
        _PARAS[0],
        _PARAS[1],
        _TWEET,
        "— وزارة الثقافة (@MOC_Culture) March 3, 2024",
        _PARAS[2],
    ]


def test_live_blog_update_headings_survive() -> None:
    """No container trafilatura knows: it collects loose paragraphs and lost the headings."""
    updates = "".join(
        f'<div class="live-update"><div class="update-meta"><time>1{i}:00</time></div>'
        f"<h3>عنوان التحديث رقم {i + 1}</h3><p>{para}</p>"
        f'<div class="update-share"><a href="#u{i}">رابط التحديث</a></div></div>'
        for i, para in enumerate(_PARAS)
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>مباشر</title></head><body>
<div class="live-page"><h1>تغطية مباشرة لترميم المدينة القديمة</h1>
<div class="live-feed">{updates}</div></div><div class="foot">© 2024</div></body></html>"""
    article = _article(html, "https://live.example/1", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == [
        line for i, p in enumerate(_PARAS) for line in (f"عنوان التحديث رقم {i + 1}", p)
    ]


# -- (6) galleries, legacy layouts, roundups, do-no-harm ----------------------------------------

_GALLERY_STORY = (
    *_PARAS,
    "وفي ختام الجولة زار الوفد ورش الحرفيين الذين سيتولون ترميم الأبواب الخشبية والنقوش.",
)
_CAPTIONS = [f"{i} / 4 {text}" for i, text in enumerate(_GALLERY_STORY, start=1)]


def test_numbered_gallery_captions_carry_the_story() -> None:
    """A photo story told in "1 / 4" captions: trafilatura drops figures, the story with them."""
    figures = "".join(
        f'<figure class="gallery-item"><img src="/g{i}.jpg"><figcaption>{caption}'
        f'<span class="credit">تصوير: وكالة</span></figcaption></figure>'
        for i, caption in enumerate(_CAPTIONS)
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>صور</title></head><body>
<article><h1>بالصور: يوم في المدينة القديمة</h1><p>{_PARAS[0][:90]}</p>{figures}</article>
</body></html>"""
    article = _article(html, "https://mag.example/g/1", settings=CleanerSettings(min_text_chars=0))
    for caption in _CAPTIONS:
        assert caption in article.text


def test_single_long_caption_stays_a_caption() -> None:
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1><p>{_PARAS[0]}</p>
<figure><img src="/a.jpg"><figcaption>{_PARAS[1][:150]}</figcaption></figure>
<p>{_PARAS[2]}</p></article></body></html>"""
    article = _article(html, "https://mag.example/a/2", settings=CleanerSettings(min_text_chars=0))
    assert _PARAS[1][:150] not in article.text


def test_legacy_table_layout_loses_its_navigation() -> None:
    """A windows-1256 page laid out in tables: the link columns are chrome, the cell with
    the text is the article."""
    nav = "<br>".join(f'<a href="/s/{i}.htm">قسم الأخبار رقم {i}</a>' for i in range(12))
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
    html = f"""<html><head>{meta}
<title>الخبر</title></head><body><table width="100%"><tr>
<td width="20%" valign="top">{nav}</td>
<td width="80%" valign="top"><font size="4"><b>بدء ترميم المدينة القديمة الشهر المقبل</b></font>
<p>{_PARAS[0]}</p><p>{_PARAS[1]}</p><p>{_PARAS[2]}</p></td></tr></table></body></html>"""
    article = _article(
        html.encode("cp1256"),
        "https://old.example/news/1.htm",
        settings=CleanerSettings(min_text_chars=0),
    )
    for para in _PARAS:
        assert para in article.text
    assert "قسم الأخبار رقم" not in article.text


def test_roundup_with_item_list_is_an_article() -> None:
    """A "best X" roundup declares an ItemList of what it reviews and shows related-post cards:
    still an article (the listing verdict needs an index page's evidence)."""
    items = "".join(
        f"<h2>{i}. الخيار رقم {i}</h2><p>{_PARAS[i % 3][:100]}</p>" for i in range(1, 9)
    )
    cards = "".join(
        f'<article class="card"><h3><a href="/p/{i}">مقال آخر عن المدينة رقم {i}</a></h3></article>'
        for i in range(9)
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>أفضل الخيارات</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "ItemList",
"itemListElement": [{{"@type": "ListItem", "position": 1, "name": "الخيار رقم 1"}}]}}</script>
</head><body><main><h1>أفضل ثمانية خيارات لزيارة المدينة القديمة</h1>{items}</main>
<section class="more">{cards}</section></body></html>"""
    article = _article(
        html, "https://guide.example/best", settings=CleanerSettings(min_text_chars=0)
    )
    assert "الخيار رقم 8" in article.text


def test_story_under_markup_trafilatura_discards_is_found() -> None:
    """The story sits in a wrapper whose class trafilatura discards whole (``*-footer``):
    every mode returns the short intro only; the element holding the paragraphs, extracted on
    its own, gives the story. A longer legal notice in the page's ``<footer>`` is not it."""
    story = "".join(f"<p>{p} {p}</p>" for p in (*_PARAS, *_GALLERY_STORY))
    notice = " ".join(_PARAS) * 2
    cards = "".join(
        f"<div class='card'><b>الموقع رقم {i}</b> <i>شارع السوق {i}</i></div>" for i in range(20)
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>دليل</title></head><body>
<div class="page"><h1>دليل المدينة القديمة</h1><p>{_PARAS[0][:60]}</p>{cards}
<div class="page-footer"><div class="venues"><div class="venue-excerpt">{story}</div></div></div>
</div><footer><div class="legal"><p>{notice}</p></div></footer></body></html>"""
    article = _article(
        html, "https://guide.example/old", settings=CleanerSettings(min_text_chars=0)
    )
    for para in (*_PARAS, *_GALLERY_STORY):
        assert para in article.text
    assert notice not in article.text


def test_paragraphs_of_a_side_notice_are_not_marked_as_the_article() -> None:
    """A paper's page: the story is an abstract in a ``<blockquote>``; the only ``<p>`` are a
    notice in a side column. Marking that column as the article put the notice first (on a
    real page trafilatura then returned the notice alone)."""
    abstract = " ".join((*_PARAS, *_GALLERY_STORY)) * 2
    notice = "".join(f"<p>{p[:70]}</p>" for p in _PARAS)
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ورقة</title></head><body>
<div id="content"><div class="leftcolumn"><h1 class="title">ترميم المدن القديمة</h1>
<div class="authors">أحمد السيد</div>
<blockquote class="abstract">{abstract}</blockquote></div>
<div class="extra-services"><div class="labs"><div class="column"><h2>مختبرات</h2>{notice}
</div></div></div></div></body></html>"""
    article = _article(html, "https://papers.example/1", settings=CleanerSettings(min_text_chars=0))
    assert article.text.startswith(_PARAS[0])
    assert _GALLERY_STORY[-1] in article.text


def test_story_container_marked_despite_a_text_paragraph_after_it() -> None:
    """No container trafilatura knows, and a call-to-action box after the story holds a text
    paragraph too: the story's own element is still the article, so its sub-headings and
    list survive (the element holding every text paragraph was the body: nothing marked)."""
    steps = "".join(f"<li>الخطوة رقم {i}: زيارة الموقع التاريخي رقم {i}</li>" for i in range(1, 5))
    story = (
        f"<p>{_PARAS[0]}</p><h3>مراحل الترميم</h3><p>{_PARAS[1]}</p><ul>{steps}</ul>"
        f"<h3>أثر الترميم على السياحة</h3><p>{_PARAS[2]}</p>"
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<div class="wrap"><div class="grid"><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1>
<div class="rich-text">{story}</div></div></div>
<div class="cta-box"><div class="cta-col"><p>{_GALLERY_STORY[-1]}</p></div></div>
</body></html>"""
    article = _article(html, "https://mag.example/a/3", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines[:3] == [_PARAS[0], "مراحل الترميم", _PARAS[1]]
    assert "الخطوة رقم 4: زيارة الموقع التاريخي رقم 4" in lines
    assert "أثر الترميم على السياحة" in lines


def test_sub_headings_linking_to_themselves_survive() -> None:
    """Permalink anchors make each sub-heading all link: precision mode dropped them."""
    sections = "".join(
        f'<h3 id="s{i}"><a href="#s{i}">عنوان القسم رقم {i + 1}</a></h3><p>{para}</p>'
        for i, para in enumerate(_PARAS)
    )
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1>
<div class="entry-content">{sections}</div></article></body></html>"""
    article = _article(html, "https://mag.example/a/4", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == [line for i, p in enumerate(_PARAS) for line in (f"عنوان القسم رقم {i + 1}", p)]


def test_list_items_after_an_empty_icon_span_survive() -> None:
    """``<li><span></span>text</li>``: precision mode deleted the empty span and the text after
    it, so the list lost every item."""
    items = [f"الموقع رقم {i}: سور المدينة وأبوابها والسوق المسقوف القديم" for i in range(1, 4)]
    rows = "".join(f'<li><span class="icon"></span>{item}</li>' for item in items)
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1><div class="entry-content">
<p>{_PARAS[0]}</p><p>{_PARAS[1]}</p><ul>{rows}</ul><p>{_PARAS[2]}</p></div></article>
</body></html>"""
    article = _article(html, "https://mag.example/a/5", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == [_PARAS[0], _PARAS[1], *items, _PARAS[2]]


def test_paragraph_text_after_an_image_wrapper_survives() -> None:
    """``<p><span><img></span>text</p>``: the wrapper is empty once trafilatura drops the
    image, and precision mode deleted it with the paragraph's text."""
    story = [f"{p} {p}" for p in _GALLERY_STORY]
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1><div class="entry-content">
<p>{story[0]}</p><p><span class="lazy-wrap"><img src="/a.jpg" alt="السوق"></span>{_PARAS[1]}</p>
{"".join(f"<p>{p}</p>" for p in story[1:])}</div></article></body></html>"""
    article = _article(html, "https://mag.example/a/6", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == [story[0], _PARAS[1], *story[1:]]


def test_second_copy_of_the_story_is_dropped() -> None:
    """A layout holding the story twice (a copy per screen size): trafilatura returned both."""
    story = [f"{p} {p}" for p in _GALLERY_STORY]
    copy = "".join(f"<p>{p}</p>" for p in story)
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1>
<div class="story-wide">{copy}</div><div class="story-narrow">{copy}</div></article>
</body></html>"""
    article = _article(html, "https://mag.example/a/7", settings=CleanerSettings(min_text_chars=0))
    lines = [line for line in article.text.splitlines() if line]
    assert lines == story


def test_repeated_short_items_are_kept() -> None:
    """A plan repeating the same items under two headings is content, not a second copy."""
    items = "".join(f"<p>الوجبة رقم {i}: خبز وزيتون وشاي</p>" for i in range(1, 5))
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>خطة</title></head><body>
<article><h1>خطة الوجبات للأسبوع</h1><p>{_PARAS[0]}</p>
<h2>اليوم الأول</h2>{items}<h2>اليوم الثاني</h2>{items}<p>{_PARAS[2]}</p></article>
</body></html>"""
    article = _article(html, "https://mag.example/a/8", settings=CleanerSettings(min_text_chars=0))
    assert article.text.count("الوجبة رقم 4: خبز وزيتون وشاي") == 2


def test_inline_also_read_teaser_is_dropped() -> None:
    """``Also read: <headline of another article>`` inside the story, as ``اقرأ أيضا:`` is."""
    other = "عنوان مقال آخر عن ترميم الأسوار القديمة"
    html = f"""<html lang="ar"><head><meta charset="utf-8"><title>ترميم</title></head><body>
<article><h1>بدء ترميم المدينة القديمة الشهر المقبل</h1><div class="entry-content">
<p>{_PARAS[0]}</p><p>Also read: <a href="/news/2">{other}</a></p><p>{_PARAS[1]}</p>
<p>{_PARAS[2]}</p></div></article></body></html>"""
    article = _article(html, "https://mag.example/a/9", settings=CleanerSettings(min_text_chars=0))
    assert other not in article.text
    assert [line for line in article.text.splitlines() if line] == list(_PARAS)


_STORY_EN = (
    "The city council approved the restoration of the old covered market on Tuesday, after "
    "two years of studies on the state of its roof, its walls and its drainage.",
    "Work starts next month and should last eighteen months; the traders will move to a "
    "temporary hall on the square while the builders replace the timber frame.",
    "The mayor said the market would reopen with the same stalls and the same rents, and that "
    "the families who have kept them for generations would have the first choice.",
)


def test_calls_to_action_sign_ups_pop_ups_and_disclosures_are_dropped() -> None:
    """Marketing boxes inside the article body, recognised by their class names alone (each
    box's class holds one of the hint words and no other)."""

    def box(cls: str, text: str) -> str:
        return f'<div class="{cls}"><p>{text}</p></div>'

    cta = box("cta-box", "Ready to simplify your shopping? Start your free trial today.")
    sign_up = box("signup-inline", "Get the best local stories delivered every single morning.")
    pop_up = box("exit-popup", "Wait, before you go: take twenty percent off your first order.")
    disclosure = box(
        "advertising-disclosure", "We may earn a commission when you buy through these links."
    )
    html = f"""<html lang="en"><head><meta charset="utf-8"><title>Market</title></head><body>
<article><h1>The old covered market will be restored</h1><div class="entry-content">
{disclosure}<p>{_STORY_EN[0]}</p>{cta}<p>{_STORY_EN[1]}</p>{pop_up}
<p>{_STORY_EN[2]}</p>{sign_up}</div></article></body></html>"""
    article = _article(html, "https://mag.example/a/10", settings=CleanerSettings(min_text_chars=0))
    assert [line for line in article.text.splitlines() if line] == list(_STORY_EN)
