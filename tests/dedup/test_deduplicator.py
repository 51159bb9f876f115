"""Verdicts on the real seed articles and the copies a republishing site would make."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dedup_corpus import (
    SHORT_A,
    SHORT_B,
    follow_up,
    republish,
    retypeset,
    truncate,
)

from akhbar.dedup import Deduplicator, Duplicate, Fingerprint, Unique, Verdict
from akhbar.dedup.minhash import signature_from_bytes, signature_to_bytes
from akhbar.records import DuplicateKind
from akhbar.settings import DedupSettings

ID_000, ID_003 = 10, 11


def make_index(text_000: str, text_003: str, settings: DedupSettings | None = None) -> Deduplicator:
    dedup = Deduplicator(settings or DedupSettings())
    for article_id, text in ((ID_000, text_000), (ID_003, text_003)):
        fp = dedup.fingerprint(text)
        assert isinstance(dedup.check(fp), Unique)
        dedup.add(article_id, fp)
    return dedup


def near_of(verdict: Verdict, article_id: int) -> Duplicate:
    assert isinstance(verdict, Duplicate), verdict
    assert verdict.of == article_id
    assert verdict.kind is DuplicateKind.NEAR
    return verdict


def test_the_two_seed_stories_are_not_duplicates(text_000: str, text_003: str) -> None:
    """Same actors, shared names and phrases, 22 years apart: both are kept."""
    for first, second in ((text_000, text_003), (text_003, text_000)):
        dedup = Deduplicator(DedupSettings())
        dedup.add(1, dedup.fingerprint(first))
        assert isinstance(dedup.check(dedup.fingerprint(second)), Unique)


@pytest.mark.parametrize("drop", [2, 6])
def test_republished_copy_is_a_near_duplicate_of_the_right_article(
    text_000: str, text_003: str, drop: int
) -> None:
    settings = DedupSettings()
    dedup = make_index(text_000, text_003, settings)
    copy_003 = republish(text_003, dateline="الدوحة - وكالات", drop=drop)
    copy_000 = republish(text_000, dateline="موسكو (وكالات)", drop=drop)
    assert "بوتن" in copy_003 and "بوتين" not in copy_003
    for copy, original in ((copy_003, ID_003), (copy_000, ID_000)):
        verdict = near_of(dedup.check(dedup.fingerprint(copy)), original)
        assert settings.verify_jaccard <= verdict.similarity < 1.0
        assert verdict.containment is not None and verdict.containment > verdict.similarity


def test_same_words_other_typography_is_an_exact_copy(text_000: str, text_003: str) -> None:
    dedup = make_index(text_000, text_003)
    for text, original in ((text_000, ID_000), (text_003, ID_003)):
        copy = retypeset(text)
        assert copy != text
        verdict = dedup.check(dedup.fingerprint(copy))
        assert isinstance(verdict, Duplicate)
        assert (verdict.of, verdict.kind, verdict.similarity) == (
            original,
            DuplicateKind.EXACT,
            1.0,
        )


def test_truncated_copy_is_a_near_duplicate_through_containment(
    text_000: str, text_003: str
) -> None:
    # a Jaccard bar no truncated copy can reach: only the containment rule can match it
    settings = DedupSettings(verify_jaccard=0.95)
    dedup = make_index(text_000, text_003, settings)
    for text, original in ((text_000, ID_000), (text_003, ID_003)):
        verdict = near_of(dedup.check(dedup.fingerprint(truncate(text, 0.65))), original)
        assert verdict.similarity < settings.verify_jaccard
        assert verdict.containment is not None
        assert verdict.containment >= settings.containment_threshold


def test_truncated_and_edited_copy_is_found_with_the_defaults(text_000: str, text_003: str) -> None:
    settings = DedupSettings()
    dedup = make_index(text_000, text_003, settings)
    copy = truncate(republish(text_003, dateline="الدوحة - وكالات", drop=4), 0.65)
    verdict = near_of(dedup.check(dedup.fingerprint(copy)), ID_003)
    assert verdict.containment is not None
    assert verdict.containment >= settings.containment_threshold


def test_follow_up_story_reusing_one_paragraph_is_not_a_duplicate(
    text_000: str, text_003: str
) -> None:
    dedup = make_index(text_000, text_003)
    assert isinstance(dedup.check(dedup.fingerprint(follow_up(text_003))), Unique)


def test_short_texts_are_never_near_merged() -> None:
    settings = DedupSettings()
    dedup = Deduplicator(settings)
    fp_a, fp_b = dedup.fingerprint(SHORT_A), dedup.fingerprint(SHORT_B)
    assert fp_a.word_count is not None and fp_a.word_count < settings.min_words_for_near
    dedup.add(1, fp_a)
    assert isinstance(dedup.check(fp_b), Unique)
    # ...but an exact copy of a short text is still an exact duplicate
    verdict = dedup.check(dedup.fingerprint(SHORT_A.replace("،", "").rstrip(".") + " !"))
    assert isinstance(verdict, Duplicate) and verdict.kind is DuplicateKind.EXACT


def _verdicts(dedup: Deduplicator, probes: list[str]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for probe in probes:
        verdict = dedup.check(dedup.fingerprint(probe))
        if isinstance(verdict, Duplicate):
            out.append((verdict.of, verdict.kind, verdict.similarity, verdict.containment))
        else:
            out.append(("unique",))
    return out


def test_load_from_storage_rows_gives_the_same_verdicts(text_000: str, text_003: str) -> None:
    settings = DedupSettings()
    live = make_index(text_000, text_003, settings)
    live.add(12, live.fingerprint(SHORT_A))
    rows = [
        (article_id, fp.text_hash, fp.signature_bytes())
        for article_id, fp in (
            (ID_000, live.fingerprint(text_000)),
            (ID_003, live.fingerprint(text_003)),
            (12, live.fingerprint(SHORT_A)),
        )
    ]
    reloaded = Deduplicator(settings)
    assert reloaded.load(iter(rows)) == 3
    assert len(reloaded) == len(live) == 3
    probes = [
        text_000,
        retypeset(text_003),
        republish(text_003, dateline="الدوحة - وكالات", drop=3),
        republish(text_000, dateline="موسكو - وكالات", drop=8),
        truncate(text_000, 0.6),
        follow_up(text_003),
        SHORT_A,
        SHORT_B,
    ]
    expected = _verdicts(live, probes)
    assert _verdicts(reloaded, probes) == expected
    assert [v[0] for v in expected] == [
        ID_000,
        ID_003,
        ID_003,
        ID_000,
        ID_000,
        "unique",
        12,
        "unique",
    ]


def test_remove_forgets_an_article(text_000: str, text_003: str) -> None:
    dedup = make_index(text_000, text_003)
    copy = republish(text_003, dateline="الدوحة - وكالات", drop=2)
    near_of(dedup.check(dedup.fingerprint(copy)), ID_003)
    dedup.remove(ID_003)
    dedup.remove(ID_003)  # unknown ids are ignored (a rollback may repeat itself)
    dedup.remove(999)
    assert len(dedup) == 1 and ID_003 not in dedup
    assert isinstance(dedup.check(dedup.fingerprint(copy)), Unique)
    assert isinstance(dedup.check(dedup.fingerprint(text_003)), Unique)
    dedup.add(ID_003, dedup.fingerprint(text_003))
    near_of(dedup.check(dedup.fingerprint(copy)), ID_003)


def test_add_is_idempotent_and_replaces_a_changed_fingerprint(text_000: str, text_003: str) -> None:
    dedup = Deduplicator(DedupSettings())
    fp_000, fp_003 = dedup.fingerprint(text_000), dedup.fingerprint(text_003)
    dedup.add(1, fp_000)
    dedup.add(1, fp_000)
    assert len(dedup) == 1
    assert dedup.check(fp_000) == Duplicate(1, DuplicateKind.EXACT, 1.0, 1.0, fp_000)
    dedup.add(1, fp_003)  # same id, new text: the old one is forgotten
    assert len(dedup) == 1
    assert isinstance(dedup.check(fp_000), Unique)
    assert isinstance(dedup.check(fp_003), Duplicate)


def test_best_candidate_wins_and_ties_go_to_the_first_stored(text_003: str) -> None:
    dedup = Deduplicator(DedupSettings())
    full, shorter = dedup.fingerprint(text_003), dedup.fingerprint(truncate(text_003, 0.8))
    dedup.add(7, shorter)
    dedup.add(9, full)
    copy = dedup.fingerprint(republish(text_003, dateline="الدوحة - وكالات", drop=1))
    verdict = near_of(dedup.check(copy), 9)  # more similar to the full text
    assert verdict.similarity > copy.minhash.jaccard(shorter.minhash)
    dedup.add(5, full)  # the same story stored twice (e.g. loaded from an older database)
    assert near_of(dedup.check(copy), 5).similarity == verdict.similarity
    exact = dedup.check(dedup.fingerprint(text_003))
    assert isinstance(exact, Duplicate) and (exact.of, exact.kind) == (5, DuplicateKind.EXACT)


def test_signature_bytes_carry_the_word_count(text_003: str) -> None:
    dedup = Deduplicator(DedupSettings())
    fp = dedup.fingerprint(text_003)
    data = fp.signature_bytes()
    assert Fingerprint.from_bytes(fp.text_hash, data) == fp
    assert signature_from_bytes(data) == fp.minhash  # what the pipeline reads back
    bare = Fingerprint.from_bytes(fp.text_hash, signature_to_bytes(fp.minhash))
    assert bare.word_count is None and bare.minhash == fp.minhash
    with pytest.raises(ValueError, match="bytes"):
        Fingerprint.from_bytes(fp.text_hash, data + b"\x00")


def test_signatures_without_word_count_still_match_on_jaccard(text_000: str, text_003: str) -> None:
    dedup = Deduplicator(DedupSettings())
    fp = dedup.fingerprint(text_003)
    dedup.load([(ID_003, fp.text_hash, signature_to_bytes(fp.minhash))])
    verdict = dedup.check(dedup.fingerprint(republish(text_003, dateline="وكالات", drop=2)))
    assert near_of(verdict, ID_003).containment is None


def test_signatures_made_with_other_settings_are_refused(text_003: str) -> None:
    old = Deduplicator(DedupSettings(num_perm=64))
    fp = old.fingerprint(text_003)
    with pytest.raises(ValueError, match="num_perm=64"):
        Deduplicator(DedupSettings()).load([(1, fp.text_hash, fp.signature_bytes())])
    with pytest.raises(ValueError, match="seed=1"):
        Deduplicator(DedupSettings(num_perm=64, seed=2)).add(1, fp)


def test_dedup_imports_neither_scrapy_nor_sql() -> None:
    code = (
        "import sys, akhbar.dedup;"
        "bad = {m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'sqlalchemy'};"
        "print(sorted(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
