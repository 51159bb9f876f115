"""The codec of stored raw HTML (``pages.raw_html``): what the writer stores and reprocess reads."""

from __future__ import annotations

import zlib

# zlib level of the stored raw HTML: level 3 takes much less CPU than the default 6 for a few
# more bytes (docs/benchmarks.md, "Pipeline and load"), and the pages are compressed on the
# crawl's busiest path (any level reads back with the same zlib.decompress)
HTML_COMPRESSION_LEVEL = 3


def compress_html(body: bytes) -> bytes:
    return zlib.compress(body, HTML_COMPRESSION_LEVEL)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)
