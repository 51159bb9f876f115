"""readers: the article_feed view and the full-text search index

``article_feed`` is the stable read-only interface for consumers (docs/schema.md): articles
without the MinHash blob, with their source's home page, how many copies were seen and when the
article's page was first and last fetched. The search index holds the dedup normalisation of
title and text (hamza, ta marbuta, diacritics... folded), so queries match whatever spelling
the page used: an FTS5 table ``articles_fts`` on SQLite, a ``tsvector`` table
``article_search`` with a GIN index on PostgreSQL. Both are filled here for the articles
already stored and kept in sync by akhbar's storage layer afterwards.

A later migration that recreates ``articles``, ``sources``, ``pages`` or ``duplicates`` on
SQLite (batch mode "recreate"), or changes the type of a column the view reads on PostgreSQL,
must drop ``article_feed`` first and create it again afterwards.

Revision ID: 0005
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from akhbar.storage.search import search_document

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARTICLE_FEED_SQL = """
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
        WHERE p.article_id = a.id AND p.outcome = 'article') AS last_fetched_at
FROM articles a
JOIN sources s ON s.name = a.source
"""

_CHUNK = 2000


def _fill_search_index(conn: sa.Connection, dialect: str) -> None:
    """Index the articles already stored (the storage layer indexes new ones)."""
    last_id = 0
    select_chunk = sa.text(
        "SELECT id, title, text FROM articles WHERE id > :last ORDER BY id LIMIT :n"
    )
    if dialect == "sqlite":
        insert = sa.text("INSERT INTO articles_fts (rowid, title, body) VALUES (:id, :t, :b)")
    else:
        insert = sa.text(
            "INSERT INTO article_search (article_id, document) VALUES (:id, "
            "setweight(to_tsvector('simple', :t), 'A') || "
            "setweight(to_tsvector('simple', :b), 'B'))"
        )
    while True:
        rows = conn.execute(select_chunk, {"last": last_id, "n": _CHUNK}).all()
        if not rows:
            return
        conn.execute(
            insert,
            [
                {"id": row.id, "t": search_document(row.title), "b": search_document(row.text)}
                for row in rows
            ],
        )
        last_id = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    op.execute(ARTICLE_FEED_SQL)
    if dialect == "sqlite":
        # the text is normalised by akhbar before it is indexed: the tokenizer only splits words
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE article_search ("
            "article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE, "
            "document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX article_search_document ON article_search USING gin (document)")
    _fill_search_index(conn, dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS article_feed")
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS articles_fts")
    else:
        op.execute("DROP TABLE IF EXISTS article_search")
