"""What the three site kinds share: base URL, chrome set, ``<head>`` elements and routes.

Each kind (:mod:`~akhbar.localweb.portal`, :mod:`~akhbar.localweb.agency`,
:mod:`~akhbar.localweb.modern`) has its own markup; the metadata around it (canonical link,
Open Graph, JSON-LD) and the pages every site serves (home, one article and one print view per
story) are built here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from akhbar.localweb.content import SiteContent, Story
from akhbar.localweb.markup import Page, collection_ld, esc, head, html_page, news_article_ld

NOT_FOUND = "الصفحة غير موجودة"


class SiteRenderer(ABC):
    """Renders every HTML page of one site under ``base``; pages that carry chrome add its
    strings to ``chrome`` (what no stored article text may contain)."""

    share_image: str  # the og:image path of the pages that are not articles

    def __init__(self, site: SiteContent, base: str, chrome: set[str]) -> None:
        self.site = site
        self.base = base
        self.chrome = chrome

    def url(self, path: str) -> str:
        return self.base + path

    @abstractmethod
    def image(self, story: Story) -> str: ...

    @abstractmethod
    def layout(self, *, head_html: str, main: str, body_class: str, current: Story | None) -> str:
        """The whole page around ``main``: header, navigation, footer and, where the kind has
        one, a sidebar (which leaves out ``current``, the story shown, if any)."""

    @abstractmethod
    def home(self) -> Page: ...

    @abstractmethod
    def article(self, story: Story) -> Page: ...

    @abstractmethod
    def print_version(self, story: Story) -> Page: ...

    @abstractmethod
    def not_found(self) -> Page: ...

    @abstractmethod
    def pages(self) -> dict[str, Page]:
        """Every HTML page of the site by path (:meth:`story_pages` and the listings)."""

    def page(
        self,
        head_html: str,
        main: str,
        body_class: str,
        *,
        current: Story | None = None,
        status: int = 200,
    ) -> Page:
        """``main`` in the kind's layout; a story's page carries the story's modification date."""
        html = self.layout(head_html=head_html, main=main, body_class=body_class, current=current)
        modified = None if current is None else current.modified
        return html_page(html, status=status, modified=modified)

    def print_page(self, story: Story, *, head_extra: str, body_open: str, content: str) -> Page:
        """The story's bare print view (robots.txt forbids it): no chrome, and a canonical link
        to the article."""
        html = (
            '<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
            f"<title>{esc(story.headline)}</title>{head_extra}"
            f'<link rel="canonical" href="{self.url(story.path)}"></head>{body_open}'
            f"{content}</body></html>"
        )
        return html_page(html)

    def story_pages(self) -> dict[str, Page]:
        """The home page, and every story's article and print view."""
        routes = {"/": self.home()}
        for story in self.site.stories:
            routes[story.path] = self.article(story)
            routes[story.print_path] = self.print_version(story)
        return routes

    def related(self, story: Story) -> list[Story]:
        """The other stories, those of the story's section first."""
        others = self.site.others(story)
        return [s for s in others if s.section == story.section] + [
            s for s in others if s.section != story.section
        ]

    # -- <head> ---------------------------------------------------------------------------
    def article_head(
        self,
        story: Story,
        *,
        description: str,
        published: str,
        modified: str,
        author: dict[str, str],
        meta: str,
    ) -> str:
        """The ``<head>`` of a story's page, with its NewsArticle JSON-LD."""
        site = self.site
        ld = news_article_ld(
            url=self.url(story.path),
            headline=story.headline,
            description=description,
            image=self.image(story),
            published=published,
            modified=modified,
            author=author,
            section=site.section(story.section).title,
            keywords=list(story.keywords),
            publisher=site.title,
        )
        return head(
            title=f"{story.headline} - {site.title}",
            description=description,
            canonical=self.url(story.path),
            site_title=site.title,
            og_type="article",
            og_title=story.headline,
            image=self.image(story),
            ld=ld,
            extra=meta,
        )

    def website_head(
        self, *, title: str, description: str, path: str, og_title: str, ld: str, extra: str = ""
    ) -> str:
        """The ``<head>`` of a page that is not an article (``og:type`` website)."""
        return head(
            title=title,
            description=description,
            canonical=self.url(path),
            site_title=self.site.title,
            og_type="website",
            og_title=og_title,
            image=self.url(self.share_image),
            ld=ld,
            extra=extra,
        )

    def home_head(self, extra: str = "") -> str:
        """The home page's ``<head>``: every story listed in its JSON-LD."""
        site = self.site
        return self.website_head(
            title=f"{site.title} - {site.tagline}",
            description=site.about,
            path="/",
            og_title=site.title,
            ld=collection_ld(self.url("/"), site.title, [self.url(s.path) for s in site.stories]),
            extra=extra,
        )

    def listing_head(self, path: str, title: str, description: str, paths: list[str]) -> str:
        """A listing page's ``<head>``: the listed pages in its JSON-LD."""
        return self.website_head(
            title=f"{title} - {self.site.title}",
            description=description,
            path=path,
            og_title=title,
            ld=collection_ld(self.url(path), title, [self.url(p) for p in paths]),
        )

    def not_found_head(self, title: str, path: str) -> str:
        """The ``<head>`` of the site's 404 page."""
        return self.website_head(
            title=title, description=NOT_FOUND, path=path, og_title=NOT_FOUND, ld="{}"
        )
