"""The cleaner stage: fetched HTML → one clean :class:`~akhbar.records.Article` or a rejection.

Knows nothing of scrapy or SQL; see :func:`extract`.
"""

from akhbar.cleaner.extract import extract

__all__ = ["extract"]
