"""Site kind "agency": a news-agency wire site, markup modelled on the page of seed 000.

Breaking-news ticker, headline, tag lines (country / date / person as links), share bar,
standfirst, body with ``<h2>``/``<h3>`` sub-headings and a closing source list, a "related" box
and a footer. Its "latest news" listing is paginated as ``/ar/news/page/N``: that path matches
the agency's article URL pattern, the classic listing page a crawler fetches by mistake.
"""

from __future__ import annotations

from urllib.parse import quote

from akhbar.localweb.content import Story
from akhbar.localweb.markup import Page, arabic_date, attr, esc, fill, link_list, slug_path
from akhbar.localweb.renderer import SiteRenderer

LISTING_PATH = "/ar/news"
LISTING_PAGE_2 = "/ar/news/page/2"


def mecca_time(story_time: str) -> str:
    return f"{story_time} (بتوقيت مكة المكرمة)"


class AgencySite(SiteRenderer):
    """Renders every HTML page of one agency-kind site under ``base``."""

    share_image = "/media/share.png"

    def image(self, story: Story) -> str:
        return self.url(f"/media/photos/{story.key}.jpg")

    def layout(self, *, head_html: str, main: str, body_class: str, current: Story | None) -> str:
        """The page around ``main`` (no sidebar: the same on every page, ``current`` or not)."""
        site = self.site
        ticker = [str(t) for t in site.extra.get("ticker", [])]
        self.chrome.update(ticker)
        self.chrome.update({site.copyright, site.about, site.text("terms")})
        sections = [(f"/ar/{s.slug}", s.title) for s in site.sections]
        return fill(
            "agency_layout.html",
            head=head_html,
            body_class=body_class,
            ticker=link_list([(LISTING_PATH, t) for t in ticker], "ticker-items"),
            site_title=attr(site.title),
            tagline=esc(site.tagline),
            nav=link_list([("/", "الرئيسية"), *sections, (LISTING_PATH, "آخر الأخبار")]),
            main=main,
            footer_nav=link_list(sections),
            about=esc(site.about),
            terms=esc(site.text("terms")),
            copyright=esc(site.copyright),
        )

    def body(self, story: Story) -> str:
        lines: list[str] = []
        first = True
        for block in story.blocks:
            if block.kind != "p":
                lines.append(f"<{block.kind}>{esc(block.text)}</{block.kind}>")
                continue
            prefix = ""
            if first and story.dateline:
                prefix = f'<span class="dateline">{esc(story.dateline)}:</span> '
            first = False
            lines.append(f"<p>{prefix}{esc(block.text)}</p>")
        return "\n".join(lines)

    def sources(self, story: Story) -> str:
        if not story.sources:
            return ""
        items = "".join(f"<li>{esc(s)}</li>" for s in story.sources)
        return (
            f'<div class="news-sources"><p><strong>مصادر الخبر:</strong></p><ul>{items}</ul></div>'
        )

    def tag_links(self, story: Story) -> str:
        tags = []
        if story.tag_country:
            href = f"/ar/tag/{slug_path(story.tag_country)}"
            tags.append(f'<a class="tag country" href="{href}">{esc(story.tag_country)}</a>')
        date_text = story.tag_date or arabic_date(story.published, weekday=False)
        day = f"/ar/archive/{story.published:%Y-%m-%d}"
        tags.append(f'<a class="tag date" href="{day}">{esc(date_text)}</a>')
        if story.tag_person:
            href = f"/ar/tag/{slug_path(story.tag_person)}"
            tags.append(f'<a class="tag person" href="{href}">{esc(story.tag_person)}</a>')
        return "\n".join(f"   {t}" for t in tags)

    def article(self, story: Story) -> Page:
        related = self.related(story)[:4]
        self.chrome.update(s.headline for s in related)
        self.chrome.update({"شارك الخبر", "مواضيع ذات صلة", "الكلمات المفتاحية", "نسخة للطباعة"})
        meta = (
            f'<meta property="article:published_time" content="{story.published.isoformat()}">\n'
            f'<meta property="article:modified_time" content="{story.modified.isoformat()}">\n'
            f'<meta name="news_keywords" content="{attr(", ".join(story.keywords))}">'
        )
        head_html = self.article_head(
            story,
            description=story.standfirst or story.summary,
            published=story.published.isoformat(),
            modified=story.modified.isoformat(),
            author={"@type": "Organization", "name": story.author},
            meta=meta,
        )
        related_html = "\n".join(
            f'<div class="related-item"><a href="{s.path}">{esc(s.headline)}</a>'
            f'<time datetime="{s.published:%Y-%m-%d}">{s.published:%Y/%m/%d}</time></div>'
            for s in related
        )
        main = fill(
            "agency_article.html",
            headline=esc(story.headline),
            tag_links=self.tag_links(story),
            published_iso=story.published.isoformat(),
            published_text=esc(mecca_time(f"{story.published:%Y/%m/%d %H:%M}")),
            modified_iso=story.modified.isoformat(),
            modified_text=esc(mecca_time(f"{story.modified:%Y/%m/%d %H:%M}")),
            share_url=quote(self.url(story.path), safe=""),
            print_href=story.print_path,
            image=attr(self.image(story)),
            image_alt=attr(story.headline),
            standfirst=esc(story.standfirst),
            body=self.body(story),
            sources=self.sources(story),
            keywords=" ".join(
                f'<a href="/ar/tag/{slug_path(k)}">{esc(k)}</a>' for k in story.keywords
            ),
            related=related_html,
        )
        return self.page(head_html, main, "news-page", current=story)

    def print_version(self, story: Story) -> Page:
        """The text-only print page robots.txt forbids."""
        return self.print_page(
            story,
            head_extra="",
            body_open='<body class="print">',
            content=f"<h1>{esc(story.headline)}</h1>\n{self.body(story)}\n{self.sources(story)}",
        )

    def listing(self, path: str, title: str, page: int, items: list[tuple[str, str, str]]) -> Page:
        """A listing page: heading, teasers (link + one-line summary), pagination."""
        teasers = "\n".join(
            f'<article class="news-item"><h3><a href="{attr(href)}">{esc(headline)}</a></h3>'
            f'<p class="excerpt">{esc(summary)}</p></article>'
            for href, headline, summary in items
        )
        pager = ""
        if path.startswith(LISTING_PATH):
            links = [
                (LISTING_PATH if page == 2 else f"{LISTING_PATH}/page/{page - 1}", "« السابق"),
                (LISTING_PATH, "1"),
                (LISTING_PAGE_2, "2"),
                (f"{LISTING_PATH}/page/3", "3"),
                (f"{LISTING_PATH}/page/{page + 1}", "التالي »"),
            ]
            pager = '<nav class="pagination" aria-label="الصفحات">' + link_list(links) + "</nav>"
            if page == 1:
                pager = pager.replace('<li><a href="/ar/news">« السابق</a></li>', "")
        heading = title if page == 1 else f"{title} - الصفحة {page}"
        intro = f"أحدث ما بثته {self.site.title} من أخبار وتقارير"
        main = (
            f'<section class="listing"><h1 class="listing-title">{esc(heading)}</h1>'
            f'<p class="listing-intro">{esc(intro)}</p>\n{teasers}\n{pager}</section>'
        )
        head_html = self.listing_head(path, heading, intro, [h for h, _, _ in items])
        return self.page(head_html, main, "listing")

    def archive_items(self) -> list[tuple[str, str, str]]:
        return [
            (f"/ar/archive/{217900 + i}", item["headline"], item["summary"])
            for i, item in enumerate(self.site.records("archive_teasers"))
        ]

    def home(self) -> Page:
        site = self.site
        top = site.stories[0]
        latest = "\n".join(
            f'<li><time datetime="{s.published.isoformat()}">{s.published:%H:%M}</time> '
            f'<a href="{s.path}">{esc(s.headline)}</a></li>'
            for s in site.stories
        )
        main = (
            f'<section class="top-story"><a href="{top.path}"><img src="{attr(self.image(top))}"'
            f' alt=""></a><h2><a href="{top.path}">{esc(top.headline)}</a></h2>'
            f"<p>{esc(top.standfirst or top.summary)}</p>"
            f'<a class="print" href="{top.print_path}" rel="nofollow">نسخة للطباعة</a></section>\n'
            f'<section class="latest"><h2>آخر الأخبار</h2><ul>{latest}</ul>'
            f'<a class="more" href="{LISTING_PATH}">المزيد من الأخبار</a></section>'
        )
        head_html = self.home_head()
        return self.page(head_html, main, "home")

    def not_found(self) -> Page:
        main = (
            '<section class="error-404"><h1>الصفحة غير موجودة</h1><p>ربما نقل هذا الخبر أو حذف'
            ' من أرشيف الوكالة.</p><p><a href="/">الصفحة الرئيسية</a></p></section>'
        )
        head_html = self.not_found_head(f"404 - {self.site.title}", "/404")
        return self.page(head_html, main, "error", status=404)

    def pages(self) -> dict[str, Page]:
        site = self.site
        routes = self.story_pages()
        real = [(s.path, s.headline, s.summary) for s in site.stories]
        archive = self.archive_items()
        routes[LISTING_PATH] = self.listing(LISTING_PATH, "آخر الأخبار", 1, real + archive)
        routes[LISTING_PAGE_2] = self.listing(
            LISTING_PAGE_2, "آخر الأخبار", 2, archive + real[::-1]
        )
        for section in site.sections:
            items = [
                (s.path, s.headline, s.summary) for s in site.stories if s.section == section.slug
            ]
            routes[f"/ar/{section.slug}"] = self.listing(
                f"/ar/{section.slug}", section.title, 1, items
            )
        return routes
