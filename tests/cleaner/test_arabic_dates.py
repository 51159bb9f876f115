from __future__ import annotations

from datetime import UTC, datetime

import pytest

from akhbar.cleaner.arabic_dates import find_arabic_dates, parse_arabic_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الأحد 5 يونيو 2022", datetime(2022, 6, 5, tzinfo=UTC)),
        ("12 نوفمبر 2000", datetime(2000, 11, 12, tzinfo=UTC)),
        ("3 كانون الثاني 2021", datetime(2021, 1, 3, tzinfo=UTC)),
        ("٥ يونيو ٢٠٢٢", datetime(2022, 6, 5, tzinfo=UTC)),
        ("الأحد 12 نوفمبر/تشرين الثاني 2000", datetime(2000, 11, 12, tzinfo=UTC)),
        ("نشر في 1 أغسطس عام 1988", datetime(1988, 8, 1, tzinfo=UTC)),
        ("10 آب 2020", datetime(2020, 8, 10, tzinfo=UTC)),
        ("15 أيار، 2019", datetime(2019, 5, 15, tzinfo=UTC)),
        ("الثلاثاء 7 شتنبر 2021 - 10:15", datetime(2021, 9, 7, tzinfo=UTC)),
        ("24 تشرين الأول 2023", datetime(2023, 10, 24, tzinfo=UTC)),
        ("1 جانفي 2020", datetime(2020, 1, 1, tzinfo=UTC)),
    ],
)
def test_parses_arabic_dates(text: str, expected: datetime) -> None:
    parsed = parse_arabic_date(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    ["", "31 نوفمبر 2000", "كتاب في 5 أبواب 2000", "يونيو 2022", "5 يونيو", "12 نوفمبر 1200"],
)
def test_rejects_non_dates(text: str) -> None:
    assert parse_arabic_date(text) is None


def test_finds_every_date_in_order() -> None:
    text = "في 5 فبراير عام 2014، ثم في 17 يناير 2016 وأخيرا ٣ كانون الأول ٢٠٢١"
    assert find_arabic_dates(text) == [
        datetime(2014, 2, 5, tzinfo=UTC),
        datetime(2016, 1, 17, tzinfo=UTC),
        datetime(2021, 12, 3, tzinfo=UTC),
    ]
