"""`akhbar extract` on the seed-like portal page (seed 003's story in portal chrome), over HTTP."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from akhbar.cli import cli


def test_extract_prints_the_article_without_chrome(local_web: Any) -> None:
    truth = local_web.truth
    url = truth.seed_pair[1]  # the 003 story on the portal modelled on almaghribtoday
    expected = next(a for a in truth.articles if a.url == url)

    plain = CliRunner().invoke(cli, ["extract", url])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith(expected.title + "\n")
    assert "ثم كانت زيارة العمل التالية له في مارس 2022." in plain.output

    result = CliRunner().invoke(cli, ["extract", url, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    text = record["text"]
    assert text.startswith("موسكو - ")
    assert expected.snippet in text
    leaked = [c for c in truth.chrome_strings if c in text]
    assert leaked == []
    for chrome in ("الرئيسية »", "قد يهمك أيضا", "View on", "أخبار ذات صلة", "الأكثر قراءة"):
        assert chrome not in text
    assert record["title"] == expected.title
    assert record["published_at"] and record["language"] == "ar"
    assert record["canonical_url"] == url


def test_extract_rejects_the_section_page(local_web: Any) -> None:
    (section,) = local_web.truth.rejected
    result = CliRunner().invoke(cli, ["extract", section])
    assert result.exit_code == 2
    assert "not_article" in result.output
