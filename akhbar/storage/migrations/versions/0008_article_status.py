"""article status: withdrawn articles are marked, never deleted; ids are never reused

``articles.status`` is ``active`` or ``withdrawn``; ``withdrawn_at`` and ``withdrawn_reason``
say when and why (``akhbar reprocess`` withdraws an article the current cleaner rejects, or
whose new text copies another article, and restores it under the same id when a later
reprocess accepts it again). ``article_feed`` shows the three columns.

The text hash stays unique among *active* articles only (a partial unique index): a withdrawn
article keeps the text readers saw, and a new page with that text can still become an article.

On SQLite the ``articles`` table is rebuilt with ``AUTOINCREMENT``, so the id of the newest
article is never handed out again even if a row were ever deleted by hand (PostgreSQL's
sequences never go back). ``article_feed`` depends on ``articles`` and is dropped and created
again around the rebuild (see migration 0005). The rebuild drops the old table while pages and
duplicates still point at its ids: akhbar runs migrations with SQLite's foreign keys off and
checks them before the commit (``akhbar.storage.migrate.schema_change``).

Revision ID: 0008
Revises: 0007w
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from akhbar.storage.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007w"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status = 'active'"

_FEED_HEAD = """
CREATE VIEW article_feed AS
SELECT
    a.id AS id,
    a.source AS source,
    s.home_url AS source_home_url,
    a.url AS url,
    a.canonical_url AS canonical_url,
    a.title AS title,
    a.text AS text,
    a.description AS description,
    a.authors AS authors,
    a.published_at AS published_at,
    a.modified_at AS modified_at,
    a.language AS language,
    a.sitename AS sitename,
    a.categories AS categories,
    a.tags AS tags,
    a.image_url AS image_url,
    a.word_count AS word_count,
    a.text_hash AS text_hash,
    a.created_at AS created_at,
    a.crawl_run_id AS crawl_run_id,
    (SELECT count(*) FROM duplicates d WHERE d.article_id = a.id) AS duplicate_count,
    (SELECT min(p.first_fetched_at) FROM pages p
        WHERE p.article_id = a.id AND p.outcome = 'article') AS first_fetched_at,
    (SELECT max(p.last_fetched_at) FROM pages p
        WHERE p.article_id = a.id AND p.outcome = 'article') AS last_fetched_at"""

_FEED_TAIL = """
FROM articles a
JOIN sources s ON s.name = a.source
"""

ARTICLE_FEED_SQL = (
    _FEED_HEAD
    + """,
    a.status AS status,
    a.withdrawn_at AS withdrawn_at,
    a.withdrawn_reason AS withdrawn_reason"""
    + _FEED_TAIL
)
ARTICLE_FEED_SQL_0005 = _FEED_HEAD + _FEED_TAIL


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DROP VIEW IF EXISTS article_feed")
    with op.batch_alter_table(
        "articles",
        schema=None,
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True} if sqlite else {},
    ) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_articles_text_hash", type_="unique")
        batch_op.create_index(
            "uq_articles_text_hash",
            ["text_hash"],
            unique=True,
            sqlite_where=sa.text(_ACTIVE),
            postgresql_where=sa.text(_ACTIVE),
        )
        batch_op.create_index("ix_articles_status", ["status"], unique=False)
    op.execute(ARTICLE_FEED_SQL)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DROP VIEW IF EXISTS article_feed")
    # the schema before 0008 knows no withdrawn articles: their rows stay (ids are never
    # reused), but a withdrawn text hash that an active article shares cannot be unique again
    op.execute(
        "UPDATE articles SET text_hash = 'withdrawn:' || id "
        "WHERE status <> 'active' AND text_hash IN "
        "(SELECT text_hash FROM articles WHERE status = 'active')"
    )
    with op.batch_alter_table(
        "articles",
        schema=None,
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": False} if sqlite else {},
    ) as batch_op:
        batch_op.drop_index("ix_articles_status")
        batch_op.drop_index("uq_articles_text_hash")
        batch_op.create_unique_constraint("uq_articles_text_hash", ["text_hash"])
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("status")
    op.execute(ARTICLE_FEED_SQL_0005)
