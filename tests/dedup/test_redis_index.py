"""The shared dedup index on the real Redis (``AKHBAR_DEDUP__INDEX=redis``).

It must give the verdicts of the in-memory index on the same arrivals, keep its articles
across Deduplicator instances (a new worker does not rebuild it), forget removed articles,
load only what the database has beyond its ``loaded`` mark, and keep databases apart.
Concurrent workers on one Redis + PostgreSQL are in ``test_multiprocess.py``.
"""

from __future__ import annotations

import pytest
from dedup_corpus import SHORT_A, SHORT_B, follow_up, republish, retypeset, truncate
from syndication_corpus import generate

from akhbar.dedup import Deduplicator, Duplicate, Unique, open_deduplicator
from akhbar.records import DuplicateKind
from akhbar.settings import AkhbarSettings, DedupSettings


def shared(
    redis_url: str, prefix: str, settings: DedupSettings | None = None, db: str = "db-1"
) -> Deduplicator:
    base = settings or DedupSettings()
    return Deduplicator(
        base.model_copy(update={"index": "redis"}),
        redis_url=redis_url,
        database_url=db,
        redis_key_prefix=prefix,
    )


def stream(dedup: Deduplicator, texts: list[str], first_id: int = 1) -> list[tuple[object, ...]]:
    """Check every text in turn, adding the unique ones (as the pipeline does)."""
    out: list[tuple[object, ...]] = []
    for article_id, text in enumerate(texts, first_id):
        fp = dedup.fingerprint(text)
        verdict = dedup.check(fp)
        if isinstance(verdict, Duplicate):
            out.append((verdict.of, verdict.kind, verdict.similarity, verdict.containment))
        else:
            dedup.add(article_id, fp)
            out.append(("unique", article_id))
    return out


def probes(text_000: str, text_003: str) -> list[str]:
    return [
        text_000,
        text_003,
        retypeset(text_003),  # exact
        republish(text_003, dateline="الدوحة - وكالات", drop=3),  # near, Jaccard
        truncate(text_000, 0.65),  # near through containment only (verify_jaccard 0.95)
        follow_up(text_003),  # a new story
        SHORT_A,
        SHORT_B,  # short: never a near copy of SHORT_A
        SHORT_A.rstrip(".") + " !",  # ...but an exact one
    ]


def test_verdicts_equal_the_memory_index(
    redis_server_url: str, redis_prefix: str, text_000: str, text_003: str
) -> None:
    settings = DedupSettings(verify_jaccard=0.95)
    texts = probes(text_000, text_003)
    texts += [d.text for d in generate(40, seed=21)]
    memory = stream(Deduplicator(settings), texts)
    redis_verdicts = stream(shared(redis_server_url, redis_prefix, settings), texts)
    assert redis_verdicts == memory
    kinds = [v[1] for v in memory if v[0] != "unique"]
    assert DuplicateKind.EXACT in kinds and DuplicateKind.NEAR in kinds
    assert memory[:9] == [
        ("unique", 1),
        ("unique", 2),
        (2, DuplicateKind.EXACT, 1.0, 1.0),
        memory[3],
        memory[4],
        ("unique", 6),
        ("unique", 7),
        ("unique", 8),
        (7, DuplicateKind.EXACT, 1.0, 1.0),
    ]
    near, truncated = memory[3], memory[4]
    assert near[:2] == (2, DuplicateKind.NEAR)
    assert truncated[:2] == (1, DuplicateKind.NEAR)
    assert isinstance(truncated[2], float) and truncated[2] < 0.95  # containment decided it
    assert isinstance(truncated[3], float) and truncated[3] >= settings.containment_threshold


def test_a_second_instance_sees_the_first_ones_articles_without_loading(
    redis_server_url: str, redis_prefix: str, text_000: str, text_003: str
) -> None:
    first = shared(redis_server_url, redis_prefix)
    first.add(10, first.fingerprint(text_000))
    first.add(11, first.fingerprint(text_003))
    first.add(11, first.fingerprint(text_003))  # idempotent
    second = shared(redis_server_url, redis_prefix)
    assert len(second) == 2 and 10 in second and 11 in second and 12 not in second
    copy = second.fingerprint(republish(text_003, dateline="الدوحة - وكالات", drop=2))
    verdict = second.check(copy)
    assert isinstance(verdict, Duplicate) and (verdict.of, verdict.kind) == (11, DuplicateKind.NEAR)
    # another database (or incompatible signature parameters) is another index
    assert len(shared(redis_server_url, redis_prefix, db="db-2")) == 0
    assert len(shared(redis_server_url, redis_prefix, DedupSettings(num_perm=64))) == 0


def test_remove_and_replace(
    redis_server_url: str, redis_prefix: str, text_000: str, text_003: str
) -> None:
    first = shared(redis_server_url, redis_prefix)
    fp_000, fp_003 = first.fingerprint(text_000), first.fingerprint(text_003)
    first.add(10, fp_000)
    first.add(11, fp_003)
    copy = first.fingerprint(republish(text_003, dateline="الدوحة - وكالات", drop=2))
    second = shared(redis_server_url, redis_prefix)
    second.remove(11)
    second.remove(11)  # unknown ids are ignored
    assert 11 not in first and len(first) == 1
    assert isinstance(first.check(copy), Unique)
    assert isinstance(first.check(fp_003), Unique)
    first.add(10, fp_003)  # same id, new text: the old one is forgotten everywhere
    assert isinstance(second.check(fp_000), Unique)
    verdict = second.check(copy)
    assert isinstance(verdict, Duplicate) and verdict.of == 10


def test_load_fills_in_only_what_the_index_lacks(
    redis_server_url: str, redis_prefix: str, text_000: str, text_003: str
) -> None:
    maker = Deduplicator(DedupSettings())
    texts = [text_000, text_003, SHORT_A, *(d.text for d in generate(6, seed=4))]
    rows = [
        (i, fp.text_hash, fp.signature_bytes())
        for i, fp in enumerate((maker.fingerprint(t) for t in texts), 1)
    ]
    settings = AkhbarSettings(
        database_url="db-load",
        redis_url=redis_server_url,
        redis_key_prefix=redis_prefix,
        dedup=DedupSettings(index="redis"),
    )
    asked: list[int] = []

    def rows_after(after: int) -> list[tuple[int, str, bytes]]:
        asked.append(after)
        return [r for r in rows if r[0] > after]

    first, read = open_deduplicator(settings, rows_after)
    assert (read, len(first), first.high_water, asked) == (len(rows), len(rows), len(rows), [0])
    # a later worker: the database has grown by two articles since
    extra = [maker.fingerprint(d.text) for d in generate(2, seed=9)[:2]]
    rows += [(len(rows) + 1 + n, fp.text_hash, fp.signature_bytes()) for n, fp in enumerate(extra)]
    second, read = open_deduplicator(settings, rows_after)
    assert (read, len(second), asked[-1]) == (2, len(rows), len(rows) - 2)
    assert second.high_water == len(rows)
    exact = second.check(maker.fingerprint(text_003))
    assert isinstance(exact, Duplicate) and exact.of == 2
    memory, _ = open_deduplicator(AkhbarSettings(database_url="db-load"), rows_after)
    assert asked[-1] == 0 and len(memory) == len(rows)  # a memory index always reads all


def test_redis_index_needs_a_url() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        Deduplicator(DedupSettings(index="redis"))
