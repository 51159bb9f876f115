"""Site kind "portal": a classic Arabic news portal, markup modelled on the page of seed 003.

Div soup with Bootstrap-like classes: top bar, header with menu, breadcrumb ``الرئيسية » …``,
the article with an in-body ``قد يهمك أيضا`` block and a ``View on …`` line, then related,
latest, per-section and most-read lists of truncated teaser headlines, and a footer.
"""

from __future__ import annotations

from akhbar.localweb.content import Story
from akhbar.localweb.markup import Page, arabic_date, attr, esc, fill, link_list, teaser
from akhbar.localweb.renderer import SiteRenderer

TEASER_WORDS = 7
SIDEBAR_SECTIONS = ("sport", "health", "culture")


class PortalSite(SiteRenderer):
    """Renders every HTML page of one portal-kind site under ``base``."""

    share_image = "/assets/img/share.png"

    # -- shared pieces --------------------------------------------------------------------
    def feed_link(self) -> str:
        href = self.url("/rss.xml")
        return f'<link rel="alternate" type="application/rss+xml" href="{href}">'

    def image(self, story: Story) -> str:
        return self.url(f"/uploads/{story.published:%Y/%m}/{story.key}.jpg")

    def nav(self) -> str:
        items = [("/", "الرئيسية")] + [(f"/section/{s.slug}", s.title) for s in self.site.sections]
        return link_list(items, "menu")

    def teasers(self, heading: str, stories: list[Story], css: str, *, record: bool) -> str:
        """A titled list of truncated teaser headlines; article pages record them as chrome."""
        if not stories:
            return ""
        shown = [teaser(s.headline, TEASER_WORDS) for s in stories]
        if record:
            if len(heading.split()) > 1:  # one-word headings ("رياضة") are ordinary words
                self.chrome.add(heading)
            self.chrome.update(shown)
        items = link_list([(s.path, t) for s, t in zip(stories, shown, strict=True)], "teasers")
        return f'<div class="block {css}"><h2 class="block-title">{esc(heading)}</h2>{items}</div>'

    def sidebar(self, current: Story | None) -> str:
        record = current is not None
        others = [s for s in self.site.stories if current is None or s.key != current.key]
        blocks = [self.teasers("اخر الاخبار", others[:4], "latest-news", record=record)]
        for slug in SIDEBAR_SECTIONS:
            in_section = [s for s in others if s.section == slug]
            title = self.site.section(slug).title
            blocks.append(self.teasers(title, in_section, f"section-{slug}", record=record))
        # "most read": a fixed popularity order, not the date order
        popular = sorted(others, key=lambda s: int(s.key) % 7)[:5]
        blocks.append(self.teasers("الأخبار الأكثر قراءة", popular, "most-read", record=record))
        return "\n".join(b for b in blocks if b)

    def layout(self, *, head_html: str, main: str, body_class: str, current: Story | None) -> str:
        site = self.site
        self.chrome.add(site.copyright)
        self.chrome.add(site.about)
        today = max(s.published for s in site.stories)
        return fill(
            "portal_layout.html",
            head=head_html,
            body_class=body_class,
            today=esc(arabic_date(today)),
            site_title=attr(site.title),
            tagline=esc(site.tagline),
            nav=self.nav(),
            main=main,
            sidebar=self.sidebar(current),
            about=esc(site.about),
            footer_nav=link_list([(f"/section/{s.slug}", s.title) for s in site.sections]),
            copyright=esc(site.copyright),
        )

    # -- pages ----------------------------------------------------------------------------
    def article(self, story: Story) -> Page:
        site = self.site
        section = site.section(story.section)
        breadcrumb = f"الرئيسية » {section.title}"
        view_on = f"View on {site.domain}"
        others = site.others(story)
        index = site.stories.index(story)
        interest = [others[index % len(others)], others[(index + 3) % len(others)]]
        self.chrome.update({breadcrumb, view_on, "قد يهمك أيضا"})
        self.chrome.update(s.headline for s in interest)
        related = self.related(story)
        published = story.published.isoformat()
        meta = (
            f'<meta property="article:published_time" content="{published}">\n'
            f'<meta property="article:section" content="{attr(section.title)}">\n'
            f'<meta name="keywords" content="{attr(", ".join(story.keywords))}">\n'
            + self.feed_link()
        )
        head_html = self.article_head(
            story,
            description=story.summary,
            published=published,
            modified=story.modified.isoformat(),
            author={"@type": "Person", "name": story.author},
            meta=meta,
        )
        main = fill(
            "portal_article.html",
            section_href=f"/section/{section.slug}",
            section_title=esc(section.title),
            key=story.key,
            headline=esc(story.headline),
            visible_date=esc(f"{arabic_date(story.published)} - {story.published:%H:%M}"),
            author=esc(story.author),
            print_href=story.print_path,
            image=attr(self.image(story)),
            image_alt=attr(story.headline),
            caption=esc(story.image_caption),
            dateline=esc(story.dateline),
            paragraphs="\n".join(f"  <p>{esc(p)}</p>" for p in story.paragraphs),
            may_interest="\n&nbsp;\n".join(
                f'  <p><a href="{s.path}">{esc(s.headline)}</a></p>' for s in interest
            ),
            home=self.url("/"),
            domain=esc(site.domain),
            related="\n".join(
                f'<div class="item"><a class="thumb" href="{s.path}"><img src="'
                f'{attr(self.image(s))}" alt=""></a><h3 class="item-title"><a href="{s.path}">'
                f"{esc(teaser(s.headline, TEASER_WORDS))}</a></h3></div>"
                for s in related[:5]
            ),
        )
        self.chrome.update(teaser(s.headline, TEASER_WORDS) for s in related[:5])
        self.chrome.add("أخبار ذات صلة")
        return self.page(head_html, main, "article", current=story)

    def print_version(self, story: Story) -> Page:
        """The print page robots.txt forbids: the bare story, no chrome."""
        body = "\n".join(f"<p>{esc(p)}</p>" for p in story.paragraphs)
        return self.print_page(
            story,
            head_extra='<meta name="robots" content="noindex">',
            body_open='<body onload="window.print()">',
            content=f"<h1>{esc(story.headline)}</h1><p>{esc(story.dateline)}</p>\n{body}",
        )

    def listing(self, path: str, title: str, stories: list[Story], intro: str) -> Page:
        cards = "\n".join(
            f'<div class="news-card"><a href="{s.path}"><img src="{attr(self.image(s))}" alt="">'
            f'</a><h3><a href="{s.path}">{esc(s.headline)}</a></h3>'
            f'<p class="summary">{esc(s.summary)}</p>'
            f'<span class="date">{esc(arabic_date(s.published))}</span></div>'
            for s in stories
        )
        main = (
            f'<div class="breadcrumb"><a href="/">الرئيسية</a> » {esc(title)}</div>\n'
            f'<h1 class="section-title">{esc(title)}</h1>\n<p class="section-intro">{esc(intro)}'
            f'</p>\n<div class="news-list">{cards}</div>'
        )
        head_html = self.listing_head(path, title, intro, [s.path for s in stories])
        return self.page(head_html, main, "section")

    def home(self) -> Page:
        site = self.site
        featured = next((s for s in site.stories if s.seed), site.stories[0])
        cards = [s for s in site.stories if s is not featured]
        grid = "\n".join(
            f'<div class="news-card"><h3><a href="{s.path}">{esc(s.headline)}</a></h3>'
            f'<p class="summary">{esc(s.summary)}</p></div>'
            for s in cards
        )
        main = (
            f'<div class="featured"><a href="{featured.path}"><img src="'
            f'{attr(self.image(featured))}" alt=""></a><h2><a href="{featured.path}">'
            f"{esc(featured.headline)}</a></h2><p>{esc(featured.summary)}</p>"
            f'<a class="print-link" href="{featured.print_path}" rel="nofollow">طباعة</a></div>\n'
            f'<div class="home-grid">{grid}</div>'
        )
        head_html = self.home_head(extra=self.feed_link())
        return self.page(head_html, main, "home")

    def not_found(self) -> Page:
        main = (
            '<div class="error-page"><h1>404</h1><p>عذرا، الصفحة التي تبحث عنها غير موجودة أو'
            ' تم حذفها.</p><p><a href="/">العودة إلى الصفحة الرئيسية</a></p></div>'
        )
        head_html = self.not_found_head(f"الصفحة غير موجودة - {self.site.title}", "/404")
        return self.page(head_html, main, "error", status=404)

    def pages(self) -> dict[str, Page]:
        routes = self.story_pages()
        for section in self.site.sections:
            stories = [s for s in self.site.stories if s.section == section.slug]
            intro = f"تابع آخر {section.title} على موقع {self.site.title}"
            routes[f"/section/{section.slug}"] = self.listing(
                f"/section/{section.slug}", section.title, stories, intro
            )
        return routes
