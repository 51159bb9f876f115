"""Site kind "modern": an HTML5 portal built the way current CMS themes build articles.

Semantic markup (``<article>``, ``<aside>``, ``<nav>``, ``<time>``), a cookie banner, "اقرأ أيضا"
links placed between the body's paragraphs, share buttons, tags, an author box, a newsletter
box, a tag cloud and a comments section. Dates use Levantine month names and Eastern Arabic
digits; URLs are WordPress-style ``/YYYY/MM/DD/slug/``.
"""

from __future__ import annotations

from urllib.parse import quote

from akhbar.localweb.content import SiteContent, Story
from akhbar.localweb.markup import (
    Page,
    arabic_date,
    attr,
    esc,
    fill,
    link_list,
    slug_path,
    teaser,
    utc_z,
)
from akhbar.localweb.renderer import SiteRenderer

READ_ALSO = "اقرأ أيضا"
READ_ALSO_AFTER = (2, 4)  # after the 2nd and the 4th paragraph
MOST_READ_WORDS = 8


class ModernSite(SiteRenderer):
    """Renders every HTML page of one modern-kind site under ``base``."""

    share_image = "/static/img/share.png"

    def __init__(self, site: SiteContent, base: str, chrome: set[str]) -> None:
        super().__init__(site, base, chrome)
        self.authors = {a["slug"]: a for a in site.records("authors")}

    def feed_link(self) -> str:
        href = self.url("/feed/atom/")
        return f'<link rel="alternate" type="application/atom+xml" href="{href}">'

    def image(self, story: Story) -> str:
        return self.url(f"/wp-content/uploads/{story.published:%Y/%m}/{story.key}-1200x675.jpg")

    def sidebar(self, current: Story | None) -> str:
        others = [s for s in self.site.stories if current is None or s.key != current.key]
        popular = sorted(others, key=lambda s: len(s.headline))[:5]
        shown = [teaser(s.headline, MOST_READ_WORDS) for s in popular]
        if current is not None:
            self.chrome.add("الأكثر قراءة")
            self.chrome.update(shown)
        items = "".join(
            f'<li><a href="{s.path}">{esc(t)}</a></li>' for s, t in zip(popular, shown, strict=True)
        )
        return (
            '<section class="widget most-read"><h2 class="widget-title">الأكثر قراءة</h2>'
            f"<ol>{items}</ol></section>"
        )

    def layout(self, *, head_html: str, main: str, body_class: str, current: Story | None) -> str:
        site = self.site
        self.chrome.update(
            {site.copyright, site.about, site.text("newsletter"), site.text("cookie")}
        )
        tags = sorted({t for s in site.stories for t in s.tags})
        sections = [(f"/category/{s.slug}/", s.title) for s in site.sections]
        return fill(
            "modern_layout.html",
            head=head_html,
            body_class=body_class,
            cookie=esc(site.text("cookie")),
            site_title=attr(site.title),
            tagline=esc(site.tagline),
            nav=link_list([("/", "الرئيسية"), *sections]),
            main=main,
            sidebar=self.sidebar(current),
            newsletter=esc(site.text("newsletter")),
            tag_cloud=link_list([(f"/tag/{slug_path(t)}/", t) for t in tags], "tags"),
            footer_nav=link_list([*sections, ("/about/", "من نحن"), ("/privacy/", "الخصوصية")]),
            about=esc(site.about),
            copyright=esc(site.copyright),
        )

    def content(self, story: Story, read_also: list[Story]) -> str:
        lines: list[str] = []
        count = 0
        for block in story.blocks:
            if block.kind != "p":
                lines.append(f"<{block.kind}>{esc(block.text)}</{block.kind}>")
                continue
            count += 1
            text = esc(block.text)
            if count == 1 and story.dateline:
                text = f"<strong>{esc(story.dateline)}</strong> - {text}"
            lines.append(f"<p>{text}</p>")
            if count in READ_ALSO_AFTER and read_also:
                other = read_also.pop(0)
                lines.append(
                    f'<p class="read-also"><strong>{READ_ALSO}:</strong> '
                    f'<a href="{other.path}">{esc(other.headline)}</a></p>'
                )
        return "\n".join(lines)

    def comments(self, story: Story) -> tuple[int, str]:
        pool = self.site.records("comments")
        index = self.site.stories.index(story)
        chosen = [pool[(index + k) % len(pool)] for k in range(2)]
        self.chrome.update(c["text"] for c in chosen)
        items = "\n".join(
            f'<li class="comment"><article class="comment-body"><footer class="comment-meta">'
            f'<b class="fn">{esc(c["who"])}</b> <span class="comment-time">منذ {k + 2} ساعات'
            f'</span></footer><div class="comment-content"><p>{esc(c["text"])}</p></div>'
            f'<a class="comment-reply-link" href="#respond">رد</a></article></li>'
            for k, c in enumerate(chosen)
        )
        return len(chosen), items

    def article(self, story: Story) -> Page:
        site = self.site
        section = site.section(story.section)
        author = self.authors[story.author]
        others = site.others(story)
        index = site.stories.index(story)
        read_also = [others[(index + 1) % len(others)], others[(index + 2) % len(others)]]
        self.chrome.add(READ_ALSO)
        self.chrome.update(s.headline for s in read_also)
        self.chrome.update({"شارك المقال", "أضف تعليقك", "عن الكاتب", "وسوم شائعة", author["bio"]})
        meta = (
            f'<meta property="article:published_time" content="{utc_z(story.published)}">\n'
            f'<meta property="article:modified_time" content="{utc_z(story.modified)}">\n'
            f'<meta property="article:author" content="{attr(author["name"])}">\n'
            + "\n".join(f'<meta property="article:tag" content="{attr(t)}">' for t in story.tags)
            + f"\n{self.feed_link()}"
        )
        head_html = self.article_head(
            story,
            description=story.summary,
            published=utc_z(story.published),
            modified=utc_z(story.modified),
            author={"@type": "Person", "name": author["name"], "url": self.author_url(author)},
            meta=meta,
        )
        count, comments = self.comments(story)
        main = fill(
            "modern_article.html",
            key=story.key,
            section_href=f"/category/{section.slug}/",
            section_title=esc(section.title),
            headline=esc(story.headline),
            author_href=f"/author/{author['slug']}/",
            author=esc(author["name"]),
            author_slug=author["slug"],
            author_bio=esc(author["bio"]),
            published_iso=story.published.isoformat(),
            published_text=esc(arabic_date(story.published, levant=True)),
            comment_count=str(count),
            image=attr(self.image(story)),
            image_alt=attr(story.headline),
            caption=esc(story.summary),
            content=self.content(story, read_also),
            share_url=quote(self.url(story.path), safe=""),
            print_href=story.print_path,
            tags=" ".join(
                f'<a href="/tag/{slug_path(t)}/" rel="tag">{esc(t)}</a>' for t in story.tags
            ),
            comments=comments,
        )
        return self.page(head_html, main, "single", current=story)

    def author_url(self, author: dict[str, str]) -> str:
        return self.url(f"/author/{author['slug']}/")

    def print_version(self, story: Story) -> Page:
        """The print view robots.txt forbids (``Disallow: /*/print/``)."""
        body = "\n".join(f"<p>{esc(p)}</p>" for p in story.paragraphs)
        return self.print_page(
            story,
            head_extra='<meta name="robots" content="noindex,follow">',
            body_open='<body class="print-view">',
            content=f"<article><h1>{esc(story.headline)}</h1>\n{body}</article>",
        )

    def cards(self, stories: list[Story]) -> str:
        return "\n".join(
            f'<article class="card"><a href="{s.path}"><img src="{attr(self.image(s))}" alt=""'
            f' loading="lazy"></a><h3 class="card-title"><a href="{s.path}">{esc(s.headline)}'
            f'</a></h3><p class="card-excerpt">{esc(s.summary)}</p><time datetime="'
            f'{s.published.isoformat()}">{esc(arabic_date(s.published, levant=True))}</time>'
            "</article>"
            for s in stories
        )

    def listing(self, path: str, title: str, stories: list[Story]) -> Page:
        main = (
            f'<header class="archive-header"><h1 class="archive-title">{esc(title)}</h1></header>'
            f'\n<div class="cards">{self.cards(stories)}</div>'
        )
        description = f"{title} - {self.site.title}"
        head_html = self.listing_head(path, title, description, [s.path for s in stories])
        return self.page(head_html, main, "archive")

    def home(self) -> Page:
        site = self.site
        hero, rest = site.stories[0], list(site.stories[1:])
        main = (
            f'<section class="hero"><article class="hero-story"><a href="{hero.path}"><img src="'
            f'{attr(self.image(hero))}" alt=""></a><h2><a href="{hero.path}">{esc(hero.headline)}'
            f"</a></h2><p>{esc(hero.summary)}</p>"
            f'<a class="print" href="{hero.print_path}" rel="nofollow">نسخة للطباعة</a>'
            f'</article></section>\n<section class="latest"><h2 class="section-heading">'
            f'أحدث المقالات</h2><div class="cards">{self.cards(rest)}</div></section>'
        )
        head_html = self.home_head(extra=self.feed_link())
        return self.page(head_html, main, "home")

    def not_found(self) -> Page:
        main = (
            '<section class="error-404 not-found"><h1 class="page-title">عذرا، لم نعثر على هذه'
            " الصفحة</h1><p>ربما تغير الرابط أو حذفت الصفحة. جرب البحث أو عد إلى"
            ' <a href="/">الصفحة الرئيسية</a>.</p></section>'
        )
        head_html = self.not_found_head(f"الصفحة غير موجودة - {self.site.title}", "/404/")
        return self.page(head_html, main, "error404", status=404)

    def pages(self) -> dict[str, Page]:
        routes = self.story_pages()
        for section in self.site.sections:
            stories = [s for s in self.site.stories if s.section == section.slug]
            path = f"/category/{section.slug}/"
            routes[path] = self.listing(path, section.title, stories)
        for slug, author in self.authors.items():
            stories = [s for s in self.site.stories if s.author == slug]
            routes[f"/author/{slug}/"] = self.listing(f"/author/{slug}/", author["name"], stories)
        return routes
