"""Dates written in Arabic: ``12 نوفمبر 2000``, ``الأحد 5 يونيو 2022``, ``3 كانون الثاني 2021``.

News sites that print no machine-readable date still print one for readers, with a month name
from one of three traditions (Egyptian/Gulf transliterations, Maghrebi ones, Levantine/Iraqi
Syriac names) and with Western or Arabic-Indic digits. The text is folded first
(:func:`akhbar.text.arabic.fold_arabic`), so month names are listed in folded spelling.
Results are midnight UTC, timezone-aware.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from akhbar.text.arabic import fold_arabic

__all__ = ["find_arabic_dates", "parse_arabic_date"]

_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني"),
    2: ("فبراير", "فيفري", "شباط"),
    3: ("مارس", "اذار"),
    4: ("ابريل", "افريل", "نيسان"),
    5: ("مايو", "ماي", "ايار"),
    6: ("يونيو", "يونيه", "جوان", "حزيران"),
    7: ("يوليو", "يوليه", "يوليوز", "جويليه", "تموز"),
    8: ("اغسطس", "غشت", "اوت", "اب"),
    9: ("سبتمبر", "شتنبر", "ايلول"),
    10: ("اكتوبر", "تشرين الاول", "تشرين اول"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني"),
    12: ("ديسمبر", "دجنبر", "كانون الاول", "كانون اول"),
}
_MONTH_BY_NAME = {name: number for number, names in _MONTHS.items() for name in names}
_MONTH_ALT = "|".join(
    re.escape(name).replace(r"\ ", r"\s+") for name in sorted(_MONTH_BY_NAME, key=len, reverse=True)
)

# day, month name (optionally "نوفمبر/تشرين الثاني" or "نوفمبر (تشرين الثاني)"), year
_DATE = re.compile(
    r"(?<![\d])(?P<day>\d{1,2})\s*(?:من\s+)?"
    rf"(?P<month>{_MONTH_ALT})(?![\w])"
    rf"(?:\s*[/\-(]\s*(?:{_MONTH_ALT})\s*\)?)?"
    r"\s*[,،]?\s*(?:(?:من\s+)?(?:سنة|عام)\s+)?(?P<year>\d{4})(?![\d])"
)


def find_arabic_dates(text: str) -> list[datetime]:
    """All valid dates written with an Arabic month name in ``text``, in order of appearance."""
    found: list[datetime] = []
    for match in _DATE.finditer(fold_arabic(text)):
        month = _MONTH_BY_NAME.get(re.sub(r"\s+", " ", match["month"]))
        if month is None:
            continue
        year, day = int(match["year"]), int(match["day"])
        if not 1900 <= year <= 2100:
            continue
        try:
            found.append(datetime(year, month, day, tzinfo=UTC))
        except ValueError:  # 31 نوفمبر
            continue
    return found


def parse_arabic_date(text: str) -> datetime | None:
    """The first date written in Arabic in ``text`` (midnight UTC), or None."""
    dates = find_arabic_dates(text)
    return dates[0] if dates else None
