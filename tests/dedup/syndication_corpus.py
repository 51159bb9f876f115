"""A synthetic, labelled syndication corpus for measuring dedup verdicts.

Raw material: the words and word sequences of the local web's stories
(``akhbar/localweb/content/*.toml``) and of the seed pages. Stories are *recombined* from that
material, never copied: each story gets its own actors (two- and three-word names made of
material words), its own topic vocabulary, and sentences mixing function words, stock phrases
(short real word sequences every newsroom repeats, which give unrelated stories their
realistic background overlap), the story's actors and topic words.

Each story is then republished the way wire copy really travels, every copy labelled with its
story:

* ``dateline``  — another dateline and a byline, same body;
* ``dropped``   — one or two paragraphs left out;
* ``added``     — a paragraph of the site's own context added;
* ``edited``    — light re-editing: a few words replaced, other spellings (hamza, ta marbuta,
  alef maqsura), diacritics and other punctuation;
* ``truncated`` — only the first 60–80% of the words (often with a new dateline too);
* ``retyped``   — the same words in other typography (an exact duplicate after normalisation).

and hard negatives, labelled as stories of their own:

* ``same_actors``  — a different story about the same people and topic;
* ``follow_up``    — a different story about the same people that reuses one paragraph of the
  original verbatim;
* ``brief``        — one-line items about the same people sharing most of their words.

Deterministic for a given seed. Shared by ``benchmarks/dedup.py`` and the test that gates
precision and recall; the story composer itself is :mod:`akhbar.localweb.synthtext`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from akhbar.localweb.synthtext import CITIES as CITIES
from akhbar.localweb.synthtext import Composer as _Composer
from akhbar.localweb.synthtext import Material as Material
from akhbar.localweb.synthtext import dateline as _dateline
from akhbar.localweb.synthtext import load_material as _load_package_material

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "tests" / "fixtures" / "seed-pages"

BYLINES = ["تحرير: فريق الموقع", "إعداد: القسم السياسي", "ترجمة وتحرير: هيئة التحرير"]
SPELLINGS = [("أ", "ا"), ("إ", "ا"), ("ة ", "ه "), ("ى ", "ي ")]
DIACRITIC = "\u064e"  # fatha, added on a few words of an edited copy


@dataclass(frozen=True, slots=True)
class Doc:
    """One document of the corpus: ``story`` is the label (copies share it)."""

    doc_id: int
    story: int
    kind: str
    text: str


def _seed_texts() -> Iterator[str]:
    if SEED_DIR.is_dir():
        for path in sorted(SEED_DIR.glob("*.txt")):
            yield path.read_text(encoding="utf-8")


def load_material() -> Material:
    """Vocabulary and stock phrases of the local web's and the seed pages' texts (the
    composer lives in :mod:`akhbar.localweb.synthtext`, shared with the scaled local web)."""
    return _load_package_material(_seed_texts())


def _join(paras: list[str]) -> str:
    return "\n\n".join(paras)


def _edit_lightly(text: str, rng: random.Random, material: Material) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 60)):  # a few words replaced by the editor
        words[rng.randrange(len(words))] = rng.choice(material.content_words)
    for _ in range(max(1, len(words) // 40)):  # a few words with a haraka
        i = rng.randrange(len(words))
        if len(words[i]) > 2:
            words[i] = words[i][:2] + DIACRITIC + words[i][2:]
    out = " ".join(words)
    for src, dst in rng.sample(SPELLINGS, 2):
        out = out.replace(src, dst)
    return out.replace("،", ",").replace(".", " .")


def _truncate(paras: list[str], fraction: float) -> list[str]:
    total = sum(len(p.split()) for p in paras)
    keep, out = int(total * fraction), []
    for p in paras:
        words = p.split()
        if keep <= 0:
            break
        out.append(" ".join(words[:keep]))
        keep -= len(words)
    return out


def _copy(paras: list[str], kind: str, rng: random.Random, composer: _Composer) -> str:
    """One republication of a story (``paras[0]`` is its dateline)."""
    body = list(paras[1:])
    if kind == "dropped" and len(body) < 4:
        kind = "dateline"  # too short to lose a paragraph and stay the same story
    if kind == "dateline":
        return _join([_dateline(rng), *body, rng.choice(BYLINES)])
    if kind == "dropped":
        for _ in range(rng.choice((1, 2)) if len(body) > 6 else 1):
            del body[rng.randrange(1, len(body))]
        return _join([_dateline(rng), *body])
    if kind == "added":
        body.insert(rng.randrange(1, len(body) + 1), composer.paragraph())
        return _join([paras[0], *body])
    if kind == "edited":
        return _edit_lightly(_join([_dateline(rng), *body]), rng, composer.m)
    if kind == "truncated":
        head = _truncate(body, rng.uniform(0.6, 0.8))
        return _join([_dateline(rng) if rng.random() < 0.5 else paras[0], *head])
    if kind == "retyped":
        return _join(paras).replace("،", " ,").replace(".", "…").replace("ة", "ه")
    raise ValueError(kind)


COPY_KINDS = ("dateline", "dropped", "added", "edited", "truncated", "retyped")


def generate(
    stories: int, *, seed: int = 7, words: int = 400, material: Material | None = None
) -> list[Doc]:
    """``stories`` originals with 0–4 copies each, plus hard negatives, in arrival order
    (shuffled: a copy may arrive before its original)."""
    m = material or load_material()
    rng = random.Random(seed)
    docs: list[tuple[int, str, str]] = []
    story_ids = iter(range(10**9))
    for _ in range(stories):
        actors = [" ".join(rng.sample(m.content_words, rng.choice((2, 3)))) for _ in range(3)]
        composer = _Composer(m, rng, actors)
        story = next(story_ids)
        length = max(60, int(rng.gauss(words, words * 0.25)))
        paras = [_dateline(rng), *composer.body(length)]
        docs.append((story, "original", _join(paras)))
        for kind in rng.sample(COPY_KINDS, rng.randint(0, 4)):
            docs.append((story, kind, _copy(paras, kind, rng, composer)))
        roll = rng.random()
        if roll < 0.25:  # same people, same topic, another story
            other = _Composer(m, rng, actors)
            other.topic = composer.topic
            docs.append(
                (next(story_ids), "same_actors", _join([_dateline(rng), *other.body(length)]))
            )
        elif roll < 0.45:  # a follow-up reusing one paragraph verbatim
            other = _Composer(m, rng, actors)
            new = [_dateline(rng), *other.body(length)]
            new.insert(rng.randint(2, len(new)), rng.choice(paras[1:]))
            docs.append((next(story_ids), "follow_up", _join(new)))
        elif roll < 0.55:  # two one-line briefs about the same people
            base = composer.sentence().split()
            for position in (0, len(base) - 1):  # each brief has another first/last word
                brief = list(base)
                brief[position] = f"{rng.choice(m.content_words)}{position}"
                docs.append((next(story_ids), "brief", " ".join(brief)))
    rng.shuffle(docs)
    return [Doc(i, story, kind, text) for i, (story, kind, text) in enumerate(docs)]
