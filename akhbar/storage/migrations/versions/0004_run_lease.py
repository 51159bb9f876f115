"""run lease: at most one running crawl_runs row per source

A partial unique index on ``crawl_runs(source) WHERE status = 'running'``: the database itself
refuses a second running run of one source, so the scheduler and a manual ``akhbar crawl`` can
never crawl the same source at once. Running rows left by dead processes are closed first.

Revision ID: 0004
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # rows still 'running' from before the lease existed cannot all be live: keep the newest
    op.execute(
        "UPDATE crawl_runs SET status = 'interrupted', "
        "error = 'closed by migration 0004 (duplicate running row)' "
        "WHERE status = 'running' AND id NOT IN "
        "(SELECT max(id) FROM crawl_runs WHERE status = 'running' GROUP BY source)"
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_crawl_runs_running_source",
            ["source"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_crawl_runs_running_source")
