"""The local news web: three fictional Arabic news sites served over real HTTP on loopback.

Used by ``make demo``, the end-to-end tests and benchmarks; it never contacts the internet.

- ``wahanews`` (أخبار الواحة, 127.0.0.11): a portal modelled on seed 003 (breadcrumb, in-body
  ``قد يهمك أيضا``, ``View on …``, teaser lists); RSS 2.0 feed; hosts the seed-003 story.
- ``najmagency`` (وكالة النجم للأنباء, 127.0.0.12): an agency wire site modelled on seed 000;
  sitemap index (a Google News sitemap and a plain urlset); hosts the seed-000 story, the
  original of the syndicated wire story and a listing page that matches its article URLs.
- ``sahilgate`` (بوابة الساحل, 127.0.0.13): an HTML5 portal (``اقرأ أيضا`` links in the body,
  author box, comments, cookie banner, newsletter); Atom feed and start page; republishes the
  wire story with small edits.

:class:`LocalNewsWeb` serves them; its :attr:`~LocalNewsWeb.truth` says what a correct crawl
stores (articles, the one duplicate, the rejected listing, the 404s, robots-forbidden URLs and
the chrome strings no stored text may contain).

For load and throughput a checkout has the scaled web, ``benchmarks/scaledweb.py`` (``akhbar
localweb --scale N``): five generated sites with thousands of 50–150 KiB pages each and their
known truth.
"""

from akhbar.localweb.server import LocalNewsWeb
from akhbar.localweb.truth import ExpectedArticle, KnownTruth, SiteInfo

__all__ = ["ExpectedArticle", "KnownTruth", "LocalNewsWeb", "SiteInfo"]
