"""Synthetic Arabic news text recombined from the local web's own words: one generator, two users.

The dedup benchmark's syndication corpus (``tests/dedup/syndication_corpus.py``) and the scaled
local web (``benchmarks/scaledweb.py``) both need many distinct, realistic-looking Arabic
stories; they share this composer so both measure the same kind of text.

Raw material: the words and word sequences of the local web's stories
(``akhbar/localweb/content/*.toml``, plus any extra texts the caller passes). Stories are
*recombined* from that material, never copied: each story gets its own actors (two- and
three-word names made of material words), its own topic vocabulary, and sentences mixing
function words, stock phrases (short real word sequences every newsroom repeats, which give
unrelated stories their realistic background overlap), the story's actors and topic words.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["AGENCIES", "CITIES", "Composer", "Material", "dateline", "load_material"]

_ARABIC_WORD = re.compile(r"^[\u0621-\u064A]{2,}$")
_PUNCT = '،.؛:؟!«»"()'

CITIES = ["الرباط", "الدوحة", "القاهرة", "تونس", "الجزائر", "عمان", "بيروت", "نواكشوط", "دبي"]
AGENCIES = ["وكالات", "رويترز", "الأناضول", "وكالة الأنباء", "مراسلنا", "فرانس برس"]


@dataclass(frozen=True, slots=True)
class Material:
    """Words and stock phrases to compose stories from."""

    function_words: list[str]
    content_words: list[str]
    phrases: list[list[str]]


def _content_texts() -> Iterator[str]:
    folder = resources.files("akhbar.localweb") / "content"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for article in data.get("articles", []):
            for key in ("headline", "summary", "body"):
                value = article.get(key)
                if isinstance(value, str):
                    yield value


def load_material(extra_texts: Iterable[str] = ()) -> Material:
    """Vocabulary and stock phrases of the local web's texts (and ``extra_texts``)."""
    tokens: list[str] = []
    for text in (*_content_texts(), *extra_texts):
        tokens.extend(w.strip(_PUNCT) for w in text.split())
    counts = Counter(w for w in tokens if _ARABIC_WORD.match(w))
    ranked = [w for w, _ in counts.most_common()]
    function_words = ranked[:120]
    content_words = ranked[120:]
    phrases: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for i in range(0, len(tokens) - 4, 7):
        window = tokens[i : i + 3 + (i % 3)]
        if all(_ARABIC_WORD.match(w) for w in window) and tuple(window) not in seen:
            seen.add(tuple(window))
            phrases.append(window)
    return Material(function_words, content_words, phrases)


@cache
def package_material() -> Material:
    """The material of the package's own texts only (the same on every machine)."""
    return load_material()


class Composer:
    """Writes the sentences of one story (its actors, topic words and stock phrases)."""

    def __init__(self, material: Material, rng: random.Random, actors: list[str]) -> None:
        self.m = material
        self.rng = rng
        self.actors = actors
        self.topic = rng.sample(material.content_words, 90)
        self.phrases = rng.sample(material.phrases, 40)

    def sentence(self) -> str:
        rng = self.rng
        words: list[str] = []
        target = rng.randint(12, 24)
        while len(words) < target:
            roll = rng.random()
            if roll < 0.12:
                words.extend(rng.choice(self.phrases))
            elif roll < 0.22:
                words.append(rng.choice(self.actors))
            elif roll < 0.50:
                words.append(rng.choice(self.m.function_words))
            elif roll < 0.85:
                words.append(rng.choice(self.topic))
            else:
                words.append(rng.choice(self.m.content_words))
        if rng.random() < 0.4:
            words.insert(rng.randint(1, len(words) - 1), "،")
        return " ".join(words).replace(" ،", "،") + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def body(self, words: int) -> list[str]:
        paras: list[str] = []
        while sum(len(p.split()) for p in paras) < words:
            paras.append(self.paragraph())
        return paras


def dateline(rng: random.Random) -> str:
    """``city - agency``, the first line of a wire story."""
    return f"{rng.choice(CITIES)} - {rng.choice(AGENCIES)}"
