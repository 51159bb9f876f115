"""The dashboard's canned queries: SQLite SQL over the tables of docs/schema.md.

Each is a page of ``akhbar serve`` (``/akhbar/<name>``) with a form for its parameters; an
empty parameter means "all". Timestamps are UTC text on SQLite, so ``datetime('now', ...)``
(UTC) compares with them as strings.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shares of the last 7 days' fetched pages that flag a source in ``source_health``. A quick
# signal on the dashboard; ``akhbar health`` judges each source against its own baseline.
BROKEN_SHARE = 0.9
DEGRADED_SHARE = 0.5


@dataclass(frozen=True)
class CannedQuery:
    """One datasette canned query (``title`` and ``description`` show on its page)."""

    name: str
    title: str
    description: str
    sql: str

    def metadata(self) -> dict[str, object]:
        return {
            "title": self.title,
            "description": self.description,
            "sql": self.sql.strip(),
            "hide_sql": True,  # the results first; "show" reveals the SQL
        }


# The cause of a page's outcome without its detail: "too_short: 812 chars" -> "too_short".
_REASON = (
    "CASE WHEN instr({col}, ':') > 0 THEN substr({col}, 1, instr({col}, ':') - 1) ELSE {col} END"
)

SOURCE_HEALTH = CannedQuery(
    name="source_health",
    title="Source health",
    description=(
        "Per source: articles stored in the last 24 hours and 7 days, the share of the last "
        "7 days' fetched pages that were rejected or failed, the top reasons, the last "
        "successful run and the last new article. flag: 'never run', 'broken' (last run "
        f"failed, or at least {BROKEN_SHARE:.0%} of the week's pages rejected or failed), "
        f"'degraded' (at least {DEGRADED_SHARE:.0%}), 'quiet' (no new article for 7 days), "
        "else 'ok'. akhbar health judges each source against its own baseline."
    ),
    sql=f"""
WITH week AS (
  SELECT source, sum(fetched) AS fetched, sum(rejected) AS rejected, sum(failed) AS failed
  FROM crawl_runs WHERE started_at >= datetime('now', '-7 days') GROUP BY source
), last_run AS (
  SELECT source, status, max(started_at) AS started_at FROM crawl_runs GROUP BY source
), stored AS (
  -- "+source": read the week's rows through the created_at index, not every article by source
  SELECT +source AS source, sum(created_at >= datetime('now', '-1 day')) AS articles_24h,
    count(*) AS articles_7d
  FROM articles WHERE created_at >= datetime('now', '-7 days') GROUP BY 1
), reasons AS (
  SELECT source, reason, count(*) AS pages FROM (
    SELECT source, {_REASON.format(col="reason")} AS reason FROM pages
    WHERE outcome IN ('rejected', 'error') AND last_fetched_at >= datetime('now', '-7 days')
  ) GROUP BY source, reason
), stats AS (
  SELECT
    s.name AS source,
    coalesce(st.articles_24h, 0) AS articles_24h,
    coalesce(st.articles_7d, 0) AS articles_7d,
    coalesce(w.fetched, 0) AS fetched_7d,
    round(100.0 * w.rejected / nullif(w.fetched, 0), 1) AS rejected_pct,
    round(100.0 * w.failed / nullif(w.fetched, 0), 1) AS failed_pct,
    (SELECT group_concat(reason || ' ' || pages, ', ') FROM (
      SELECT reason, pages FROM reasons r WHERE r.source = s.name
      ORDER BY pages DESC, reason LIMIT 3)) AS top_reasons,
    lr.status AS last_run_status,
    (SELECT max(finished_at) FROM crawl_runs c
      WHERE c.source = s.name AND c.status = 'ok') AS last_successful_run,
    -- ids grow in insertion order: the newest row, without reading the source's others
    (SELECT created_at FROM articles a WHERE a.source = s.name
      ORDER BY a.id DESC LIMIT 1) AS last_new_article,
    1.0 * (coalesce(w.rejected, 0) + coalesce(w.failed, 0)) / nullif(w.fetched, 0) AS bad_share
  FROM sources s
  LEFT JOIN week w ON w.source = s.name
  LEFT JOIN stored st ON st.source = s.name
  LEFT JOIN last_run lr ON lr.source = s.name
)
SELECT
  source,
  CASE
    WHEN last_run_status IS NULL THEN 'never run'
    WHEN last_run_status = 'failed' OR bad_share >= {BROKEN_SHARE} THEN 'broken'
    WHEN bad_share >= {DEGRADED_SHARE} THEN 'degraded'
    WHEN articles_7d = 0 THEN 'quiet'
    ELSE 'ok'
  END AS flag,
  articles_24h, articles_7d, fetched_7d, rejected_pct, failed_pct, top_reasons,
  last_run_status, last_successful_run, last_new_article
FROM stats
WHERE :source = '' OR source = :source
ORDER BY source
""",
)

RECENT_RUNS = CannedQuery(
    name="recent_runs",
    title="Recent runs",
    description=(
        "The latest runs, newest first, with their counters and the reasons of the pages "
        "they rejected or could not fetch (pages whose latest fetch was that run)."
    ),
    sql=f"""
SELECT
  r.id, r.source, r.kind, r.status, r.started_at, r.finished_at,
  round((julianday(coalesce(r.finished_at, r.heartbeat_at, r.started_at))
         - julianday(r.started_at)) * 86400, 1) AS seconds,
  r.fetched, r.new, r.duplicate, r.rejected, r.failed,
  (SELECT group_concat(reason || ' ' || pages, ', ') FROM (
    SELECT {_REASON.format(col="p.reason")} AS reason, count(*) AS pages FROM pages p
    WHERE p.crawl_run_id = r.id AND p.outcome IN ('rejected', 'error')
    GROUP BY 1 ORDER BY pages DESC, reason)) AS failures_by_reason,
  r.error
FROM crawl_runs r
WHERE :source = '' OR r.source = :source
ORDER BY r.id DESC
LIMIT 200
""",
)

FAILURES_BY_REASON = CannedQuery(
    name="failures_by_reason",
    title="Failures by reason",
    description=(
        "Pages rejected or not fetched, grouped by source, outcome and reason (the latest "
        "fetch of each URL), with the last time each was seen."
    ),
    sql=f"""
SELECT source, outcome, {_REASON.format(col="reason")} AS reason, count(*) AS pages,
  max(last_fetched_at) AS last_seen
FROM pages
WHERE outcome IN ('rejected', 'error') AND (:source = '' OR source = :source)
GROUP BY 1, 2, 3
ORDER BY pages DESC, source, reason
""",
)

DUPLICATE_CLUSTERS = CannedQuery(
    name="duplicate_clusters",
    title="Largest duplicate clusters",
    description=(
        "Stories copied most often: each stored article (the first copy seen) with the "
        "number of its copies and the sources that republished it."
    ),
    sql="""
SELECT a.id AS article_id, a.source AS first_source, a.title, a.published_at,
  count(d.id) AS copies, count(DISTINCT d.source) AS republishing_sources,
  group_concat(DISTINCT d.source) AS republished_by,
  round(min(d.similarity), 3) AS min_similarity
FROM articles a JOIN duplicates d ON d.article_id = a.id
GROUP BY a.id
ORDER BY copies DESC, a.id
LIMIT 100
""",
)

REPUBLISHING = CannedQuery(
    name="republishing",
    title="Who republishes whom",
    description=(
        "Pairs of sources: how many stories first stored from one source were found again "
        "on another, and how (url, exact or near copy)."
    ),
    sql="""
SELECT a.source AS original_source, d.source AS republished_by, count(*) AS copies,
  sum(d.kind = 'exact') AS exact, sum(d.kind = 'near') AS near, sum(d.kind = 'url') AS url,
  max(d.detected_at) AS last_detected
FROM duplicates d JOIN articles a ON a.id = d.article_id
WHERE d.source != a.source
GROUP BY 1, 2
ORDER BY copies DESC, 1, 2
""",
)

SEARCH = CannedQuery(
    name="search",
    title="Search articles",
    description=(
        "Full-text search of active articles' titles and texts through akhbar's Arabic "
        "normaliser, as akhbar search does: hamza forms of alef, alef maqsura and yaa, "
        "ta marbuta, diacritics and tatweel all match; every word must match."
    ),
    sql="""
SELECT a.id, a.source, a.published_at, a.title, akhbar_snippet(a.text, :q) AS snippet, a.url
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH akhbar_match(:q) AND a.status = 'active'
ORDER BY bm25(articles_fts, 3.0, 1.0), a.id
LIMIT 100
""",
)

CANNED_QUERIES = (
    SOURCE_HEALTH,
    RECENT_RUNS,
    FAILURES_BY_REASON,
    DUPLICATE_CLUSTERS,
    REPUBLISHING,
    SEARCH,
)
