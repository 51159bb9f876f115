"""Per-source boilerplate learning, on its own and on the local news web."""

from __future__ import annotations

import urllib.request
from typing import Any

import trafilatura

from akhbar.cleaner.boilerplate import BoilerplateModel

PARAS = [
    f"فقرة رقم {i} من نص المقال تتحدث عن موضوع مختلف تماما عن بقية الفقرات في هذا الخبر"
    for i in range(8)
]


def test_repeated_subheading_inside_one_article_is_not_chrome() -> None:
    model = BoilerplateModel("s")
    own = "\n\n".join([PARAS[0], "ردود الفعل", PARAS[1], "ردود الفعل", PARAS[2]])
    model.observe(own, "عنوان")
    for i in range(3):
        model.observe(f"{PARAS[i + 3]}\n\nنص آخر مختلف رقم {i} في صفحة أخرى", f"عنوان {i}")
    assert model.chrome_lines() == []
    assert model.strip(own) == own


def test_slogan_on_most_pages_is_chrome_but_first_line_and_half_are_kept() -> None:
    model = BoilerplateModel("s")
    slogan = "تابعونا على مدار الساعة"
    for i in range(6):
        model.observe(f"{PARAS[i]}\n\n{slogan}", f"عنوان {i}")
    assert slogan in model.chrome_lines()
    assert model.strip(f"{PARAS[7]}\n\n{slogan}") == PARAS[7]
    assert model.strip(f"{slogan}\n\n{PARAS[7]}").startswith(slogan)  # first line kept


def test_decay_follows_recent_pages() -> None:
    model = BoilerplateModel("s", window=4)
    for i in range(4):
        model.observe(f"{PARAS[i]}\n\nسطر قديم يتكرر", f"عنوان {i}")
    assert model.pages_seen == 2
    assert all(stat.pages <= 2 for stat in model.lines.values())


def test_local_web_teasers_left_by_trafilatura_are_learned(local_web: Any) -> None:
    """The portal site's in-article "قد يهمك أيضا" teasers (plain <p><a> headlines) survive
    bare trafilatura; the model learned from the source's pages strips every one of them and
    none of the articles' own lines."""
    truth = local_web.truth
    portal = [a for a in truth.articles if a.source == "wahanews"]
    assert len(portal) >= 5
    pages = []
    for article in portal:
        with urllib.request.urlopen(article.url, timeout=10) as response:
            body = response.read().decode("utf-8")
        pages.append((article, trafilatura.extract(body, url=article.url) or ""))
    left = {c for _, text in pages for c in truth.chrome_strings if c in text.splitlines()}
    assert "قد يهمك أيضا" in left and len(left) >= 4  # trafilatura alone keeps the block
    model = BoilerplateModel("wahanews")
    for article, text in pages:
        model.observe(text, article.title)
    for article, text in pages:
        stripped = model.strip(text, article.title)
        assert not [c for c in truth.chrome_strings if c in stripped.splitlines()], article.url
        assert article.snippet in stripped
        kept = set(stripped.splitlines())
        lost = [line for line in text.splitlines() if line not in kept and line.strip()]
        assert all(line in truth.chrome_strings for line in lost), lost
