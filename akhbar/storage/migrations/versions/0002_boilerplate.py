"""per-source boilerplate lines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "boilerplate_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("line_key", sa.String(length=40), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("titles", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name=op.f("fk_boilerplate_lines_source_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boilerplate_lines")),
        sa.UniqueConstraint(
            "source", "line_key", name=op.f("uq_boilerplate_lines_source_line_key")
        ),
    )
    op.create_index(
        op.f("ix_boilerplate_lines_source"), "boilerplate_lines", ["source"], unique=False
    )
    op.create_table(
        "boilerplate_sources",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("pages_seen", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name=op.f("fk_boilerplate_sources_source_sources")
        ),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_boilerplate_sources")),
    )


def downgrade() -> None:
    op.drop_table("boilerplate_sources")
    op.drop_index(op.f("ix_boilerplate_lines_source"), table_name="boilerplate_lines")
    op.drop_table("boilerplate_lines")
