"""pages.last_fetched_at index: the time-window reads of ``akhbar health``

Health reads the pages of the last weeks by ``last_fetched_at``; without an index that is a
scan of every page, and on SQLite each row's compressed HTML sits before the column read.

Revision ID: 0009h
Revises: 0008c
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009h"
down_revision: str | None = "0008c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pages_last_fetched_at"), ["last_fetched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pages_last_fetched_at"))
