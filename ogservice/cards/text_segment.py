"""Where a line may break: Unicode line breaking (UAX #14, ICU), phrases for Japanese and Chinese
(BudouX), and a few typographer's rules on top.

ICU (through the icu4py wheel, which bundles ICU 78 and its dictionaries) gives the standard
opportunities: none at a no-break space or word joiner, one at a zero-width space, Thai, Lao, Khmer
and Burmese by dictionary words, kinsoku for CJK (strict: no small kana or prolonged sound mark at a
line start). ICU breaks between any two ideographs or kana, which splits words ("小さ|な",
"レーショ|ン"), so between two CJK characters a break is kept only at a BudouX phrase boundary.
Finally a short number-bearing token stays with the word before it ("iPhone 16", "Galaxy S24").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import budoux
from icu4py.breakers import LineBreaker

CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x31C0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF60),
    (0x20000, 0x3FFFF),
)
# Spaces a line may break at (and drops at its end); no-break spaces (U+00A0, U+2007, U+202F) are not.
BREAKING_SPACES = frozenset(
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a"
    "\u2028\u2029\u205f\u3000"
)
NUMBERED = re.compile(r"(?=.*\d)\w{1,4}")  # "16", "S24", "15", "M3": a model number, a version
DIGIT = re.compile(r"\d")
# Plain text: ASCII letters, digits, apostrophes and spaces. UAX #14 breaks it exactly after each run
# of spaces (LB18; letters, digits and quotes never break among themselves), so line_starts needs
# no ICU call for it (most titles). tests/cards/test_breaks.py checks this against ICU.
PLAIN = re.compile(r"[A-Za-z0-9' ]*")
PHRASE_TEXT_MAX = 2000  # BudouX is linear, but a card title is short: cap the work on odd input


def is_cjk(cluster: str) -> bool:
    """Ideographs, kana and CJK punctuation: each is its own break unit (Hangul keeps word spaces)."""
    cp = ord(cluster[0])
    return cp >= 0x2E80 and any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def is_breaking_space(cluster: str) -> bool:
    """A space a line may end at (a no-break space is part of its word)."""
    return cluster in BREAKING_SPACES


def line_starts(clusters: Sequence[str], lang: str | None, preferred: bool = True) -> list[int]:
    """Cluster indices (ascending, > 0) where a new line may start; `preferred=False` gives every
    UAX #14 opportunity (no phrase or name+number glue), for a stretch too long for any line."""
    text = "".join(clusters)
    if len(text) == len(clusters) and PLAIN.fullmatch(text):  # one character a cluster: see PLAIN
        starts = plain_starts(text)
        return starts if not preferred or DIGIT.search(text) is None else _glued(clusters, starts)
    offsets, at = [], 0
    for cluster in clusters:
        offsets.append(at)
        at += len(cluster)
    index_of = {offset: i for i, offset in enumerate(offsets)}  # a break inside a cluster is ignored
    starts = sorted(index_of[offset] for offset in _icu_breaks(text, lang) if offset in index_of)
    if not preferred:
        return starts
    if max(text, default="") >= "\u2e80" and any(is_cjk(c) for c in clusters):  # cheap test first
        phrase_starts = _phrase_starts(text, lang)
        starts = [
            i
            for i in starts
            if offsets[i] in phrase_starts or not (is_cjk(clusters[i - 1]) and is_cjk(clusters[i]))
        ]
    if DIGIT.search(text) is None:  # glue needs a token with a digit (NUMBERED's \d): none here
        return starts
    return _glued(clusters, starts)


def plain_starts(text: str) -> list[int]:
    """Where ICU would start a line in PLAIN text: after each run of spaces."""
    return [i for i in range(1, len(text)) if text[i - 1] == " " and text[i] != " "]


def _glued(clusters: Sequence[str], starts: list[int]) -> list[int]:
    """`starts` without those that would part a word from its number (see _keeps_number_with_word)."""
    return [i for i in starts if not _keeps_number_with_word(clusters, i)]


@lru_cache(maxsize=1024)
def _icu_breaks(text: str, lang: str | None) -> frozenset[int]:
    """Character offsets (not UTF-16 units: segments are counted as Python strings) ICU breaks at."""
    locale = f"{(lang or 'und').replace('-', '_')}@lb=strict"
    breaks, offset = set(), 0
    for segment in LineBreaker(text, locale):
        offset += len(segment)
        breaks.add(offset)
    breaks.discard(len(text))
    return frozenset(breaks)


def _phrase_starts(text: str, lang: str | None) -> frozenset[int]:
    """Character offsets where a BudouX phrase starts (Japanese when there is kana, else Chinese)."""
    parser = _parser(_phrase_model(text, lang))
    starts, offset = set(), 0
    for phrase in parser.parse(text[:PHRASE_TEXT_MAX]):
        starts.add(offset)
        offset += len(phrase)
    return frozenset(starts | set(range(PHRASE_TEXT_MAX, len(text))))


def _phrase_model(text: str, lang: str | None) -> str:
    """Which BudouX model reads the text: its language hint, else kana means Japanese."""
    tag = (lang or "").lower()
    if tag.startswith("ja") or any("\u3040" <= c <= "\u30ff" for c in text):
        return "ja"
    if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return "zh-hant"
    return "zh-hans"


@lru_cache(maxsize=4)
def _parser(model: str) -> budoux.Parser:
    """A BudouX parser, loaded once per model (its weights ship in the wheel)."""
    if model == "ja":
        return budoux.load_default_japanese_parser()
    if model == "zh-hant":
        return budoux.load_default_traditional_chinese_parser()
    return budoux.load_default_simplified_chinese_parser()


def _keeps_number_with_word(clusters: Sequence[str], i: int) -> bool:
    """No break at the space between a word and a short number-bearing token ("iPhone 16",
    "Galaxy S24", "Next.js 15"): a typographer keeps a name with its model or version number."""
    if not is_breaking_space(clusters[i - 1]) or i < 2 or not clusters[i - 2][-1].isalnum():
        return False
    end = i
    while end < len(clusters) and not is_breaking_space(clusters[end]):
        end += 1
    token = "".join(clusters[i:end]).rstrip(".,:;!?)")
    return NUMBERED.fullmatch(token) is not None
