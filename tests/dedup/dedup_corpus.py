"""Real article texts from the seed pages and the copies a republishing site would make.

Plain functions shared by the tests (through ``conftest.py`` fixtures and imports) and by
``benchmarks/dedup_quick.py``. Paragraphs are separated by blank lines, as in the cleaner's
output.
"""

from __future__ import annotations

import math
from pathlib import Path

# Our own seed pages, kept in the repository (tests/fixtures/seed-pages/README.md).
SEED_PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "seed-pages"
SEED_000 = "000_181bf0773d9abf8b.txt"
SEED_003 = "003_d3412222f1c9d057.txt"

# A follow-up story on the same subject, written for these tests, that reuses one background
# paragraph of seed 003 (inserted at REUSED_AT).
FOLLOW_UP_PARAGRAPHS = [
    "الدوحة - وكالات",
    "وقّعت قطر وروسيا اليوم الإثنين في الدوحة مذكرة تفاهم للتعاون في مجال الطاقة والاستثمار، "
    "وذلك خلال زيارة يقوم بها وفد حكومي روسي رفيع المستوى إلى العاصمة القطرية لبحث تنفيذ "
    "التفاهمات التي توصل إليها قادة البلدين خلال لقائهم الأخير في أستانا.",
    "وقال وزير الطاقة القطري في مؤتمر صحفي مشترك مع نظيره الروسي إن المذكرة تشمل تبادل الخبرات "
    "في صناعة الغاز الطبيعي المسال، وتشجيع الشركات في البلدين على إقامة مشروعات مشتركة في قطاعي "
    "النفط والبتروكيماويات، إضافة إلى برامج لتدريب الكوادر الفنية.",
    "من جانبه، أوضح الوزير الروسي أن موسكو تنظر إلى الدوحة بوصفها شريكا موثوقا في أسواق الطاقة "
    "العالمية، مشيرا إلى أن حجم التبادل التجاري بين البلدين ما زال دون المستوى المأمول رغم نموه "
    "الملحوظ خلال السنوات الأخيرة.",
    "وتطرق الجانبان كذلك إلى التحضيرات الجارية لاستضافة بطولة كأس العالم، إذ أكد الوزير الروسي "
    "استعداد بلاده لتقديم خبراتها في مجالي الأمن والنقل التي اكتسبتها خلال تنظيم نسخة 2018.",
    "ومن المقرر أن يعقد مجلس الأعمال القطري الروسي اجتماعه المقبل في موسكو قبل نهاية العام "
    "الجاري، لبحث فرص الاستثمار في قطاعات الزراعة والتكنولوجيا والسياحة والخدمات المالية.",
]
REUSED_AT = 5
REUSED_PARAGRAPH_STARTS = "وقد بدأت العلاقات الدبلوماسية"

# One-sentence items (e.g. breaking-news tickers) that share most of their words.
SHORT_A = "أكد الرئيس الروسي فلاديمير بوتين وأمير قطر الشيخ تميم بن حمد عمق العلاقات بين البلدين."
SHORT_B = "أكد الرئيس الروسي فلاديمير بوتين وأمير قطر الشيخ تميم بن حمد قوة العلاقات بين البلدين."

# A few words get harakat in a republished copy (they must not matter).
DIACRITICS = {
    "الرئيس": "الرَّئِيسُ",
    "قطر": "قَطَرَ",
    "العلاقات": "العَلَاقَاتِ",
    "موسكو": "مُوسْكُو",
}


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def join(paras: list[str]) -> str:
    return "\n\n".join(paras)


def article_003(seed_dir: Path = SEED_PAGES) -> str:
    """The article part of seed 003: headline, dateline, body (no breadcrumb, no chrome)."""
    raw = (seed_dir / SEED_003).read_text(encoding="utf-8")
    start = raw.index("الرئيس الروسي فلاديمير بوتين")
    end_marker = "ثم كانت زيارة العمل التالية له في مارس 2022."
    end = raw.index(end_marker) + len(end_marker)
    return join(paragraphs(raw[start:end]))


def article_000(seed_dir: Path = SEED_PAGES) -> str:
    """The body of seed 000: standfirst to the last paragraph (no headline, tags, sources)."""
    raw = (seed_dir / SEED_000).read_text(encoding="utf-8")
    start = raw.index("بوتين يبعث رسالة تهنئة إلى أمير قطر ويعرب")
    end = raw.index("مصادر الخبر:")
    return join(paragraphs(raw[start:end]))


def republish(text: str, *, dateline: str, drop: int) -> str:
    """A copy as another site would run it: new dateline, paragraph ``drop`` left out,
    بوتين spelled بوتن, other quotation marks, a few words with diacritics."""
    paras = [p for p in paragraphs(text) if not p.endswith("- المغرب اليوم")]
    del paras[drop]
    paras.insert(1, dateline)
    copy = join(paras).replace("بوتين", "بوتن")
    copy = copy.replace("“", "«").replace("”", "»").replace('"', "«")
    for plain, marked in DIACRITICS.items():
        copy = copy.replace(plain, marked)
    return copy


def retypeset(text: str) -> str:
    """Same words, other typography: punctuation, harakat, hamza and ta marbuta spellings."""
    out = text.replace("،", ",").replace("“", '"').replace("”", '"').replace(".", " .")
    out = out.replace("الإسلامي", "الاسلامي").replace("أمير", "امير").replace("الرئيس", "الرَّئِيس")
    out = out.replace("قطر", "قطـــر").replace("2000", "٢٠٠٠").replace("منظمة", "منظمه")
    return out


def truncate(text: str, fraction: float = 0.65) -> str:
    """The first ``fraction`` of the paragraphs (a site that cut the story short)."""
    paras = paragraphs(text)
    return join(paras[: math.ceil(len(paras) * fraction)])


def follow_up(article_003_text: str) -> str:
    """A different story that reuses one background paragraph of seed 003."""
    reused = next(p for p in paragraphs(article_003_text) if p.startswith(REUSED_PARAGRAPH_STARTS))
    paras = list(FOLLOW_UP_PARAGRAPHS)
    paras.insert(REUSED_AT, reused)
    return join(paras)
