from __future__ import annotations

import pytest

from akhbar.cleaner import extract
from akhbar.cleaner.decode import decode_html, not_html_reason
from akhbar.records import Article

PARAGRAPH = (
    "أكد الرئيس الروسي وأمير قطر خلال لقائهما اليوم الخميس في أستانا على عمق وقوة العلاقات "
    "التاريخية بين البلدين وتطورها بنجاح، وتطرقت المحادثات إلى الوضع في الشرق الأوسط."
)
TEMPLATE = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
<title>لقاء في أستانا - جريدة الخليج</title></head>
<body><div class="content"><h1>لقاء في أستانا</h1>
<p>{p}</p><p>وقال الأمير إن التنسيق بين البلدين سيستمر في مجالات الطاقة والاستثمار والرياضة،
مشيرا إلى أن الزيارة المقبلة ستشهد توقيع اتفاقيات جديدة.</p>
<p>وتأتي هذه الزيارة بعد سنوات من الحوار السياسي المستقر بين الجانبين، بحسب بيان رسمي.</p>
</div></body></html>"""


@pytest.fixture
def cp1256_page() -> bytes:
    return TEMPLATE.format(p=PARAGRAPH).encode("windows-1256")


@pytest.mark.parametrize("header", [None, "windows-1256", "utf-8", "iso-8859-1", "windows-1252"])
def test_windows_1256_decodes_whatever_the_header_says(
    cp1256_page: bytes, header: str | None
) -> None:
    text = decode_html(cp1256_page, header)
    assert PARAGRAPH in text


@pytest.mark.parametrize("header", [None, "utf-8", "ISO-8859-1"])
def test_windows_1256_article_is_correct_arabic(cp1256_page: bytes, header: str | None) -> None:
    result = extract(cp1256_page, "https://khaleej.example/a/1", encoding=header)
    assert isinstance(result, Article), result
    assert PARAGRAPH in result.text
    assert result.title == "لقاء في أستانا"
    assert result.language == "ar"


def test_cp1256_without_any_declaration_is_detected() -> None:
    page = TEMPLATE.format(p=PARAGRAPH).replace("charset=windows-1256", "")
    assert PARAGRAPH in decode_html(page.encode("windows-1256"))


def test_utf8_wins_over_a_wrong_single_byte_header() -> None:
    page = TEMPLATE.format(p=PARAGRAPH).encode("utf-8")
    assert PARAGRAPH in decode_html(page, "windows-1256")


def test_bom_is_honoured() -> None:
    page = "\ufeff" + TEMPLATE.format(p=PARAGRAPH)
    assert PARAGRAPH in decode_html(page.encode("utf-16"))
    assert not_html_reason(page.encode("utf-16")) is None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip archive"),
        (b"\x00\x01abc" * 400, "binary data (NUL bytes)"),
        (bytes(range(1, 256)) * 8, "binary data (control bytes)"),
    ],
)
def test_binary_signatures(data: bytes, kind: str) -> None:
    assert not_html_reason(data) == kind


def test_html_is_not_binary(cp1256_page: bytes) -> None:
    assert not_html_reason(cp1256_page) is None


@pytest.mark.parametrize("header", [None, "iso-8859-6", "utf-8", "iso-8859-1"])
def test_iso_8859_6_is_correct_arabic(header: str | None) -> None:
    page = TEMPLATE.format(p=PARAGRAPH).replace("windows-1256", "iso-8859-6")
    body = page.encode("iso-8859-6")
    assert PARAGRAPH in decode_html(body, header)
    result = extract(body, "https://khaleej.example/a/2", encoding=header)
    assert isinstance(result, Article), result
    assert PARAGRAPH in result.text
    assert result.title == "لقاء في أستانا"


def test_iso_8859_6_without_any_declaration() -> None:
    page = TEMPLATE.format(p=PARAGRAPH).replace("; charset=windows-1256", "")
    assert PARAGRAPH in decode_html(page.encode("iso-8859-6"))


def test_double_encoded_utf8_stays_utf8() -> None:
    """Valid UTF-8 holding a site's own mojibake (a right quote encoded twice) is still read
    as UTF-8: no other codec reads it better, and a statistical guess turned the whole page
    into another script's characters."""
    story = "Doctors’ Day is on March 30. " * 40
    broken = "Honor your physician on Doctors’ Day.".replace("’", "’".encode().decode("cp1252"))
    page = (
        f"<html><head><title>x</title></head><body><p>{broken * 10}</p><p>{story}</p></body></html>"
    )
    text = decode_html(page.encode("utf-8") * 3)
    assert story in text
    assert broken in text
