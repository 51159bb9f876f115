"""Shared fixtures: paths to the read-only shared inputs, databases, the local news web."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the clone (read-only; CI has it too)."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared inputs not found at {SHARED_DIR}")
    return SHARED_DIR
