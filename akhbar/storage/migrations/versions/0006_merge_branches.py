"""Merge the cleaner (boilerplate), scheduler (run lease) and reader (feed, search) branches.

The three were developed in parallel from 0001; this revision joins them so the schema has
one head again. It changes nothing by itself.

Revision ID: 0006
Revises: 0002, 0004, 0005
Create Date: 2026-11-23 13:29:05.996643
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: tuple[str, ...] = ("0002", "0004", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: the parent revisions hold the changes."""


def downgrade() -> None:
    """Nothing to undo."""
