"""distributed workers: one running crawl_runs row per (source, worker)

``crawl_runs.worker`` names the worker process of a distributed crawl (``akhbar crawl
--distributed``), NULL for a single-process run. The run lease of migration 0004 keeps holding
for single-process runs (at most one running row per source with no worker); the workers of a
distributed crawl each hold their own lease, unique per (source, worker).

Revision ID: 0007w
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007w"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SINGLE = "status = 'running' AND worker IS NULL"
_WORKER = "status = 'running' AND worker IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=64), nullable=True))
        batch_op.drop_index("uq_crawl_runs_running_source")
        batch_op.create_index(
            "uq_crawl_runs_running_source",
            ["source"],
            unique=True,
            sqlite_where=sa.text(_SINGLE),
            postgresql_where=sa.text(_SINGLE),
        )
        batch_op.create_index(
            "uq_crawl_runs_running_worker",
            ["source", "worker"],
            unique=True,
            sqlite_where=sa.text(_WORKER),
            postgresql_where=sa.text(_WORKER),
        )


def downgrade() -> None:
    # several running worker rows of one source cannot all keep the single lease: close them
    op.execute(
        "UPDATE crawl_runs SET status = 'interrupted', "
        "error = 'closed by downgrade of migration 0007w (distributed worker)' "
        "WHERE status = 'running' AND worker IS NOT NULL"
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_crawl_runs_running_worker")
        batch_op.drop_index("uq_crawl_runs_running_source")
        batch_op.create_index(
            "uq_crawl_runs_running_source",
            ["source"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
        batch_op.drop_column("worker")
