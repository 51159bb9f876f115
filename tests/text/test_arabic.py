"""The Arabic folds: each rule on real words, the table pinned, and the cleaner, dedup and
search agreeing on every fold (hamza seats above all: they used to disagree)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from akhbar.cleaner.arabic_dates import parse_arabic_date
from akhbar.cleaner.boilerplate import BoilerplateModel, line_key
from akhbar.dedup import Deduplicator, Duplicate, Unique
from akhbar.dedup.normalize import normalize_text, reference_normalize, text_hash
from akhbar.read import search_articles
from akhbar.records import Article as ArticleRecord
from akhbar.records import DuplicateKind
from akhbar.settings import AkhbarSettings
from akhbar.storage import Repository, make_engine
from akhbar.storage.boilerplate import BoilerplateStore
from akhbar.storage.migrate import upgrade
from akhbar.storage.models import BoilerplateLine, BoilerplateSource
from akhbar.storage.search import query_tokens, search_document
from akhbar.text.arabic import FOLD_TABLE, fold_arabic, without_article, word_key


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("أسعار", "اسعار"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("آمال", "امال"),  # alef with madda
        ("ٱلله", "الله"),  # alef wasla
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("یوم", "يوم"),  # Farsi yeh
        ("کتاب", "كتاب"),  # keheh
        ("مدرسة", "مدرسه"),  # ta marbuta
        ("مسؤول", "مسءول"),  # hamza on waw (Levantine, Gulf spelling)
        ("مسئول", "مسءول"),  # hamza on yeh (Egyptian spelling): the same key
        ("إسرائيل", "اسراءيل"),  # both hamza rules in one word
        ("مَدْرَسَةٌ", "مدرسه"),  # harakat
        ("هٰذا", "هذا"),  # superscript alef
        ("محمدؐ", "محمد"),  # Quranic honorific mark
        ("عليهۖ", "عليه"),  # Quranic pause mark
        ("قطـــر", "قطر"),  # tatweel
        ("٢٠٢٦", "2026"),  # Arabic-Indic digits
        ("۱۴۰۵", "1405"),  # Persian digits
        ("Qatar, ء 2026!", "Qatar, ء 2026!"),  # everything else as it was
    ],
)
def test_each_rule_on_a_real_word(written: str, folded: str) -> None:
    assert fold_arabic(written) == folded
    assert fold_arabic(folded) == folded


def test_folding_twice_changes_nothing() -> None:
    outputs = {ch for repl in FOLD_TABLE.values() if repl for ch in repl}
    assert outputs and not outputs & {chr(cp) for cp in FOLD_TABLE}


def test_the_folding_is_pinned() -> None:
    """Stored text hashes, MinHash signatures and search rows were made with this table and
    carry no version of it: a change needs them rebuilt (docs/dedup.md), not just this digest
    updated."""
    digest = hashlib.sha256(
        json.dumps(sorted(FOLD_TABLE.items()), ensure_ascii=False).encode()
    ).hexdigest()
    assert digest == "db0cab4be04923c7c8533f75cc9765b286daa44a3613f802e8e7e2edb88dae7f"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("اقرأ أيضاً:", "اقرا ايضا"),
        ("  Read ALSO —", "read also"),
        ("تصريح المسؤول_الإعلامي!", "تصريح المسءول الاعلامي"),
        ("١٢ نوفمبر/تشرين", "12 نوفمبر تشرين"),
    ],
)
def test_word_key(text: str, key: str) -> None:
    assert word_key(text) == key


@pytest.mark.parametrize(
    ("word", "bare"),
    [
        ("المدرسه", "مدرسه"),
        ("والمدرسه", "مدرسه"),
        ("فالامر", "امر"),
        ("بالقلم", "قلم"),
        ("كالبحر", "بحر"),
        ("للبيت", "بيت"),
        ("الم", None),  # too little would be left
        ("والد", None),  # father, not و + ال + د
        ("مدرسه", None),
    ],
)
def test_without_article(word: str, bare: str | None) -> None:
    assert without_article(word) == bare


def test_every_fold_is_the_same_in_cleaner_dedup_and_search() -> None:
    for cp, repl in FOLD_TABLE.items():
        word, expected = f"ب{chr(cp)}ب", f"ب{repl or ''}ب"
        assert fold_arabic(word) == word_key(word) == expected, hex(cp)
        assert normalize_text(word) == reference_normalize(word) == expected, hex(cp)
        assert search_document(word) == expected and query_tokens(word) == [expected], hex(cp)


# One statement in two spelling conventions: Levantine hamza seats and the Egyptian ones.
LEVANTINE = (
    "قال المسؤول عن شؤون اللاجئين في مؤتمر صحفي إن الهيئة ستواصل عملها مع المسؤولين "
    "المحليين، وإن الرئيس سيزور المخيمات في ١٢ أيار ٢٠٢٦ للاطلاع على أوضاعها."
)
EGYPTIAN = (
    "قال المسئول عن شئون اللاجئين في مؤتمر صحفى إن الهيئة ستواصل عملها مع المسئولين "
    "المحليين، وإن الرئيس سيزور المخيمات في 12 ايار 2026 للاطلاع على اوضاعها."
)


def test_hamza_seats_are_one_spelling_for_the_cleaner() -> None:
    assert (
        parse_arabic_date(LEVANTINE)
        == parse_arabic_date(EGYPTIAN)
        == datetime(2026, 5, 12, tzinfo=UTC)
    )
    slogan_l, slogan_e = (
        "تابعوا تصريحات المسؤولين على موقعنا",
        "تابعوا تصريحات المسئولين على موقعنا",
    )
    assert line_key(slogan_l) == line_key(slogan_e) is not None
    model = BoilerplateModel("s", min_pages=3)
    for i in range(4):
        model.observe(f"فقرة رقم {i} من نص خبر مختلف في كل صفحة\n{slogan_l}", f"عنوان {i}")
    lead = "فقرة أولى من خبر جديد تماما عن موضوع لم تنشره الصفحات السابقة"
    assert model.strip(f"{lead}\n{slogan_e}") == lead


def test_a_hamza_seat_variant_is_the_same_story_and_the_same_search_hit(db_url: str) -> None:
    assert text_hash(LEVANTINE) == text_hash(EGYPTIAN)
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("alpha", "http://alpha.test/", ["ar"])
    dedup = Deduplicator(AkhbarSettings().dedup)
    fp = dedup.fingerprint(LEVANTINE)
    assert isinstance(dedup.check(fp), Unique)
    writer = repo.writer()
    record = ArticleRecord(
        url="http://alpha.test/1",
        canonical_url="http://alpha.test/1",
        title="المسؤول عن شؤون اللاجئين يزور المخيمات",
        text=LEVANTINE,
        language="ar",
    )
    article_id = writer.add_article("alpha", None, record, fp.text_hash, fp.signature_bytes())
    assert article_id is not None
    writer.commit()
    writer.close()
    dedup.add(article_id, fp)

    verdict = dedup.check(dedup.fingerprint(EGYPTIAN))
    assert isinstance(verdict, Duplicate)
    assert (verdict.of, verdict.kind) == (article_id, DuplicateKind.EXACT)
    for query in ("المسئول", "شئون", "مسئولين", "مسؤول", "شءون", "صحفى الرءيس"):
        hits = search_articles(engine, query)
        assert [h.article_id for h in hits] == [article_id], query
    assert search_articles(engine, "مسيول") == []  # a seat folded to its letter is not a match
    engine.dispose()


def test_boilerplate_lines_keyed_by_an_older_folding_are_rekeyed(db_url: str) -> None:
    """Before hamza seats were folded in the cleaner, a line with ؤ had a key of its own; on
    load it moves to the current key, adding up with the row the other spelling made since,
    and the next save leaves one row."""
    line_l, line_e = "تصريحات المسؤول الإعلامي للوزارة", "تصريحات المسئول الاعلامي للوزارة"
    older_key = hashlib.sha1("تصريحات المسؤول الاعلامي للوزاره".encode()).hexdigest()
    current = line_key(line_e)
    assert current is not None and current != older_key
    engine = make_engine(db_url)
    upgrade(engine)
    repo = Repository(engine)
    repo.sync_source("alpha", "http://alpha.test/", ["ar"])
    with repo.write_sessions.begin() as session:
        session.add(BoilerplateSource(source="alpha", pages_seen=10))
        session.add(BoilerplateLine(source="alpha", line_key=older_key, line=line_l, pages=3))
        session.add(BoilerplateLine(source="alpha", line_key=current, line=line_e, pages=2))
        session.add(
            BoilerplateLine(source="alpha", line_key="k" * 40, line="x" * 500, pages=2, titles=1)
        )
    store = BoilerplateStore(engine)
    model = store.load("alpha")
    assert sorted(model.lines) == sorted([current, "k" * 40])  # a cut sample keeps its key
    assert (model.lines[current].pages, model.forgotten) == (5, {older_key})
    assert model.is_chrome_key(line_key(line_l) or "")
    assert store.save(model) == 1
    with repo.sessions() as session:
        rows = session.scalars(select(BoilerplateLine).order_by(BoilerplateLine.line_key)).all()
        assert [(r.line_key, r.pages) for r in rows] == [(current, 5), ("k" * 40, 2)]
    reloaded = store.load("alpha")
    assert (reloaded.lines[current].pages, reloaded.forgotten) == (5, set())
    engine.dispose()
