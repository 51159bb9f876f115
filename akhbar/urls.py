"""URL normalisation shared by discovery and the crawler's memory (courlan does the work)."""

from __future__ import annotations

from courlan import normalize_url as _courlan_normalize


def normalize_url(url: str) -> str:
    """Lower-case scheme/host, drop fragments and tracking parameters (utm_*, fbclid, ...).

    The same article reached from a feed, a sitemap and a start page then has one URL, so it is
    fetched and stored once. Unparseable input is returned unchanged (it fails later, visibly).
    """
    try:
        return str(_courlan_normalize(url.strip(), strict=True))
    except (ValueError, AttributeError):
        return url
