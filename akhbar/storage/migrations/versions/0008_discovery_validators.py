"""discovery validators: conditional GET of feeds, sitemaps and start pages

``discovery_urls`` keeps, per source and discovery URL, the ``ETag`` and ``Last-Modified`` of
its last complete reading (sent back as ``If-None-Match``/``If-Modified-Since``), when it was
read (a sitemap index's child whose ``lastmod`` is older is not fetched again) and when it was
last checked.

Revision ID: 0008c
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008c"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discovery_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name=op.f("fk_discovery_urls_source_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_urls")),
        sa.UniqueConstraint("source", "url", name="uq_discovery_urls_source_url"),
    )
    with op.batch_alter_table("discovery_urls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discovery_urls_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("discovery_urls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discovery_urls_source"))
    op.drop_table("discovery_urls")
