"""Card texts for `ogservice bench render` that share no words, so no text layout is ever reused.

Words are made from syllables by a seeded generator (the same run after run), all distinct; each
card takes fresh ones for its title (exactly 70 characters), subtitle and site name.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

_ONSETS = ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
           "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "sk", "st", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "ou", "y")
_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "rk", "st", "x")
TITLE_CHARS = 70


def distinct_words(seed: int = 2026) -> Iterator[str]:
    """An endless stream of pronounceable words, none repeated."""
    rng, seen = random.Random(seed), set()
    while True:
        syllables = rng.choice((1, 1, 1, 2, 2, 2, 3))  # about 6 letters, as in English titles
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(syllables))
        if word not in seen:
            seen.add(word)
            yield word


def card_texts(seed: int = 2026) -> Iterator[tuple[str, str, str]]:
    """(title, subtitle, site) per card: a 70-character title, a ~45-character subtitle, a domain."""
    words = distinct_words(seed)
    while True:
        yield _phrase(words, TITLE_CHARS, exact=True), _phrase(words, 45), f"{next(words)}.dev"


def _phrase(words: Iterator[str], length: int, exact: bool = False) -> str:
    text = next(words).capitalize()
    while len(text) < length:
        text += " " + next(words)
    if exact:
        text = text[:length]
        text = text[:-1] + "s" if text.endswith(" ") else text  # never a trailing space
    return text
