"""The codec of stored raw HTML (``pages.raw_html``): what the writer stores and reprocess reads."""

from __future__ import annotations

import zlib


def compress_html(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)
