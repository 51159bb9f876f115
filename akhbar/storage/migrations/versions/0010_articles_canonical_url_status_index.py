"""articles (canonical_url, status) index: the writer's canonical-URL lookup per page

Every page stored looks up the first active article with its canonical URL. With one index on
``canonical_url`` and one on ``status``, SQLite (no statistics) took the ``status`` index,
which also yields ``ORDER BY id``, and scanned every active article per page. One index on
both columns serves that lookup and every lookup by canonical URL alone.

Revision ID: 0010a
Revises: 0009h
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010a"
down_revision: str | None = "0009h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_articles_canonical_url_status", ["canonical_url", "status"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_articles_canonical_url"))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_articles_canonical_url"), ["canonical_url"], unique=False
        )
        batch_op.drop_index("ix_articles_canonical_url_status")
