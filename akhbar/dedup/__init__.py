"""Dedup stage: exact (normalised-text hash) and near (MinHash + LSH, verified) duplicates.

Pure Python on top of datasketch: it knows neither scrapy nor SQL. The crawler's pipeline
asks :meth:`Deduplicator.check` for a :data:`Verdict` and registers stored articles with
:meth:`Deduplicator.add`; storage keeps :meth:`Fingerprint.signature_bytes` so that
:meth:`Deduplicator.load` can rebuild the index after a restart.
"""

from akhbar.dedup.deduplicator import (
    Deduplicator,
    Duplicate,
    Fingerprint,
    Unique,
    Verdict,
    estimate_containment,
    open_deduplicator,
)
from akhbar.dedup.normalize import normalize_text, text_hash, words

__all__ = [
    "Deduplicator",
    "Duplicate",
    "Fingerprint",
    "Unique",
    "Verdict",
    "estimate_containment",
    "normalize_text",
    "open_deduplicator",
    "text_hash",
    "words",
]
