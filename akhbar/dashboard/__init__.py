"""``akhbar serve``: a read-only web dashboard on the database, built on datasette.

datasette does the web work (tables, facets, SQL, JSON); akhbar contributes its metadata
(descriptions from docs/schema.md, canned queries, a datasette-dashboards chart page) and a
small plugin that registers its Arabic search normaliser as SQL functions.
"""
