"""Property tests of the cleaner on hostile input: never raise, always a record.

Arbitrary bytes, arbitrary Unicode and random HTML (nested and broken markup, huge attribute
values, deep nesting, real and bogus encoding labels) must each give an :class:`Article` with
text (and timezone-aware dates) or a :class:`Rejection` with a reason. On HTML that parses, a
``parse_error`` would be a crash the cleaner caught: those are failures too.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akhbar.cleaner import extract
from akhbar.records import Article, Rejection, RejectReason

pytestmark = pytest.mark.slow  # hundreds of generated pages through the cleaner

URL = "http://127.0.0.1:9/2024/01/31/story.html"
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

ENCODINGS = [
    "utf-8",
    "UTF8",
    "windows-1256",
    "cp1256",
    "iso-8859-6",
    "utf-16",
    "utf-16-be",
    "utf-32",
    "latin-1",
    "cp1252",
    "x-mac-arabic",
    "utf-7",
    "utf_8_sig",
    "ascii",
    "rot13",
    "base64",
    "zlib",
    "hex",
    "idna",
    "bogus-charset",
    "",
    " utf-8 ",
    "utf-8; foo",
    "\u0639\u0631\u0628\u064a",
]
REAL_ENCODINGS = ["utf-8", "windows-1256", "iso-8859-6", "utf-16", "utf-32", "cp1252", "mac_arabic"]
SENTENCE = (
    "قال وزير الاقتصاد إن الحكومة ستعلن خطة جديدة لدعم الصناعة المحلية وخفض البطالة "
    "في المدن الكبرى خلال العام المقبل بعد مشاورات مع النقابات والغرف التجارية"
)
WORDS = SENTENCE.split()
paragraph = st.lists(st.sampled_from(WORDS), min_size=20, max_size=70).map(" ".join)
anything = st.text(max_size=40)
huge = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1000, 50_000))
DATES = [
    "2024-01-31T10:00:00+03:00",
    "2024-01-31",
    "2024-01-31T10:00:00",
    "31/01/2024",
    "0000-00-00",
    "9999-99-99T99:99",
    "1970-01-01T00:00:00Z",
    "٢٠٢٤-٠١-٣١",
    "31 يناير 2024",
    "-1",
    "1e308",
    "",
]
TAGS = [
    "div",
    "p",
    "span",
    "article",
    "section",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "h1",
    "h2",
    "a",
    "ul",
    "li",
    "table",
    "tr",
    "td",
    "blockquote",
    "figure",
    "figcaption",
    "time",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "form",
    "select",
    "textarea",
    "pre",
    "b",
    "br",
    "img",
    "meta",
    "x-custom",
    "",
]
ATTRS = [
    "class",
    "id",
    "href",
    "src",
    "datetime",
    "content",
    "property",
    "name",
    "itemprop",
    "lang",
    "dir",
    "charset",
    "style",
    "hidden",
    "onclick",
    "data-x",
]
attr_value = st.one_of(
    anything, st.sampled_from(DATES), st.sampled_from(["article:published_time", "ar", "rtl"]), huge
)
attributes = st.lists(st.tuples(st.sampled_from(ATTRS), attr_value), max_size=3)


def _element(tag: str, attrs: list[tuple[str, str]], children: list[str], close: bool) -> str:
    rendered = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs)
    return f"<{tag}{rendered}>{''.join(children)}" + (f"</{tag}>" if close else "")


leaf = st.one_of(
    paragraph,
    anything,
    st.sampled_from(["<", ">", "&", "&#0;", "&#xD800;", "&#1114112;", "<!--", "]]>", "<![CDATA["]),
)
html_tree = st.recursive(
    leaf,
    lambda children: st.builds(
        _element, st.sampled_from(TAGS), attributes, st.lists(children, max_size=4), st.booleans()
    ),
    max_leaves=25,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A page: maybe a doctype and head with metadata, then a random body."""
    head = "".join(
        f'<meta property="{p}" content="{draw(st.sampled_from(DATES) | anything)}">'
        for p in draw(
            st.lists(
                st.sampled_from(
                    ["article:published_time", "article:modified_time", "og:title", "og:url"]
                ),
                max_size=3,
            )
        )
    )
    charset = draw(st.sampled_from(ENCODINGS))
    body = draw(st.lists(html_tree, min_size=1, max_size=5))
    prefix = draw(st.sampled_from(["<!DOCTYPE html>", "", "<?xml version='1.0'?>", "\ufeff"]))
    return (
        f'{prefix}<html lang="ar"><head><meta charset="{charset}"><title>{draw(anything)}</title>'
        f"{head}</head><body>{''.join(body)}</body></html>"
    )


def _check(result: Article | Rejection) -> None:
    """The cleaner's contract on any input."""
    if isinstance(result, Rejection):
        assert isinstance(result.reason, RejectReason)
        assert isinstance(result.detail, str)
        return
    assert isinstance(result, Article)
    assert result.text.strip()
    assert isinstance(result.title, str)
    for value in (result.text, result.title, result.url, result.canonical_url):
        value.encode("utf-8")  # storable: no lone surrogates
    for moment in (result.published_at, result.modified_at):
        assert moment is None or moment.utcoffset() is not None


def _no_caught_crash(result: Article | Rejection) -> None:
    """On parseable HTML a parse_error can only be an exception the cleaner swallowed."""
    if isinstance(result, Rejection):
        assert result.reason is not RejectReason.PARSE_ERROR, result.detail


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from([None, *ENCODINGS]))
def test_arbitrary_bytes(data: bytes, encoding: str | None) -> None:
    _check(extract(data, URL, encoding=encoding))
    # the same bytes inside markup, so that they reach decoding, parsing and extraction
    page = b"<html><head><title>" + data[:64] + b"</title></head><body><p>" + data + b"</p>"
    _check(extract(page, URL, encoding=encoding))
    _no_caught_crash(extract(page, URL, encoding=encoding))


@FUZZ
@given(
    st.text(max_size=2000)
    | st.lists(st.text(max_size=80) | st.characters(categories=["Cs"]), max_size=30).map("".join)
)
def test_arbitrary_unicode(text: str) -> None:
    _check(extract(text, URL))
    wrapped = extract("<html><body><p>" + text + "</p></body></html>", URL)
    _check(wrapped)
    _no_caught_crash(wrapped)


@FUZZ
@given(documents(), st.sampled_from([None, *ENCODINGS]), st.sampled_from(REAL_ENCODINGS))
def test_random_html(doc: str, label: str | None, real: str) -> None:
    as_text = extract(doc, URL)
    _check(as_text)
    _no_caught_crash(as_text)
    data = doc.encode(real, errors="replace")  # bytes in some encoding, maybe mislabelled
    as_bytes = extract(data, URL, encoding=label)
    _check(as_bytes)
    _no_caught_crash(as_bytes)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.sampled_from([300, 2_000, 10_000]), st.sampled_from(["div", "span", "b", "p"]))
def test_deep_nesting(depth: int, tag: str) -> None:
    text = " ".join(random.Random(depth).choices(WORDS, k=120))
    page = (
        f"<html><body>{f'<{tag}>' * depth}<p>{text}</p>{f'</{tag}>' * depth}"
        f"<article><p>{text}</p></article></body></html>"
    )
    _check(extract(page, URL))
    unclosed = f"<html><body><p>{text}</p>{f'<{tag}>x' * depth}</body></html>"
    _check(extract(unclosed.encode(), URL, encoding="utf-8"))
