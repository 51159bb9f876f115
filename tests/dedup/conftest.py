"""Fixtures of the dedup tests: the two seed articles (see ``dedup_corpus``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dedup_corpus import article_000, article_003


@pytest.fixture(scope="session")
def text_003(shared_dir: Path) -> str:
    return article_003(shared_dir)


@pytest.fixture(scope="session")
def text_000(shared_dir: Path) -> str:
    return article_000(shared_dir)
