"""The datasette plugin of ``akhbar serve``: akhbar's Arabic search as SQL functions.

Registered on every connection datasette opens, so canned queries (and anyone typing SQL in
the dashboard) search the way ``akhbar search`` does: the query goes through the same
normaliser as the ``articles_fts`` index (hamza forms, alef maqsura, ta marbuta, diacritics...).

* ``akhbar_match(q)``: the FTS5 ``MATCH`` expression of a query (an empty phrase, which
  matches nothing, for a query without a word: the search form opens with an empty one);
* ``akhbar_normalize(text)``: the dedup normalisation of a text;
* ``akhbar_snippet(text, q)``: the words of ``text`` around the first match of ``q``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from datasette import hookimpl as _hookimpl

from akhbar.dedup.normalize import normalize_text
from akhbar.storage.search import fts5_match, query_tokens, snippet

_F = TypeVar("_F", bound=Callable[..., Any])
hookimpl = cast(Callable[[_F], _F], _hookimpl)


def akhbar_match(query: str | None) -> str:
    """FTS5 expression for ``query``; ``""`` (matches nothing) when it has no word."""
    tokens = query_tokens(query or "")
    return fts5_match(tokens) if tokens else '""'


def akhbar_normalize(text: str | None) -> str | None:
    return None if text is None else normalize_text(text)


def akhbar_snippet(text: str | None, query: str | None) -> str | None:
    if text is None:
        return None
    return snippet(text, query_tokens(query or ""))


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("akhbar_match", 1, akhbar_match, deterministic=True)
    conn.create_function("akhbar_normalize", 1, akhbar_normalize, deterministic=True)
    conn.create_function("akhbar_snippet", 2, akhbar_snippet, deterministic=True)
