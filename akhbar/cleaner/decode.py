"""Bytes to text: is this HTML at all, and which encoding does it really use.

Order of trust: a byte-order mark, then strict UTF-8 (valid UTF-8 is practically never an
accident), then the HTTP header's encoding, then the page's own ``<meta charset>``, then a
statistical guess. A declared encoding is only used
when the bytes decode cleanly with it and do not come out as mojibake (Arabic pages served as
ISO-8859-1/windows-1252 by a misconfigured server are common).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["decode_html", "not_html_reason"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png image"),
    (b"\xff\xd8\xff", "jpeg image"),
    (b"GIF87a", "gif image"),
    (b"GIF89a", "gif image"),
    (b"RIFF", "riff media"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BM", "bmp image"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"ID3", "mp3 audio"),
    (b"OggS", "ogg media"),
    (b"\x1aE\xdf\xa3", "webm/mkv video"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\xd0\xcf\x11\xe0", "ms office document"),
    (b"{\\rtf", "rtf document"),
)
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|meta|title|div|p|article|script)\b", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:\-]+)""", re.I | re.S
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""", re.I)
# runs of Latin-1 supplement characters: UTF-8 or windows-1256 bytes read as a Latin codepage
_MOJIBAKE = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]{3,}"
)


_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def not_html_reason(data: bytes) -> str | None:
    """Why ``data`` is not an HTML document (binary signature, NUL bytes), or None."""
    head = data[:16]
    if any(data.startswith(bom) for bom, _ in _BOMS[1:]):
        return None  # UTF-16/32 text legitimately holds NUL bytes
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            if kind.startswith("bmp") and _MARKUP.search(data[:1024]):
                continue  # "BM" could begin an odd text page
            return kind
    sample = data[:4096]
    if sample.count(b"\x00") > max(2, len(sample) // 100):
        return "binary data (NUL bytes)"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls / len(sample) > 0.1 and not _MARKUP.search(sample):
        return "binary data (control bytes)"
    return None


def _lookup(name: str | None) -> str | None:
    """Canonical Python codec name for a declared encoding, or None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    # WHATWG: these labels mean windows-1252 in every browser
    if name in {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}:
        name = "windows-1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The encoding a page declares in its ``<meta>`` or XML declaration."""
    head = data[:8192]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


# UTF-8's lead bytes (0xC2-0xF4) read through a Latin codepage: every mojibake run holds one
_UTF8_LEAD = re.compile("[\u00c2-\u00f4]")


def _plausible(text: str) -> bool:
    """False when the text looks like mojibake (Arabic/UTF-8 read through a Latin codepage)."""
    if text.isascii() or _UTF8_LEAD.search(text) is None:
        return True  # no lead byte, no mojibake: the full scan below is the costly part
    suspicious = sum(len(m) for m in _MOJIBAKE.findall(text))
    if suspicious < 20:
        return True
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return suspicious < 0.3 * non_ascii


def _try(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    if codec == "utf-8":
        # mojibake that is valid UTF-8 was double-encoded by the site: no other codec would
        # decode it any better, so the (costly) scan is for single-byte codecs only
        return text
    return text if _plausible(text) else None


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode a page's bytes; never fails (falls back to UTF-8 with replacement characters)."""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(bom_codec)
            except UnicodeDecodeError:
                break
    # valid UTF-8 with non-ASCII bytes is practically never an accident: it beats declarations
    for codec in ("utf-8", _lookup(encoding), _lookup(declared_charset(data))):
        text = _try(data, codec)
        if text is not None:
            return text
    best = from_bytes(data[:100_000]).best()
    guessed = _try(data, _lookup(best.encoding)) if best is not None else None
    if guessed is not None:
        return guessed
    return data.decode("utf-8", errors="replace")
