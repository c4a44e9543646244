"""The implicit part of the Unicode bidi algorithm (UAX #9, rules P2-P3, W1-W7, N1-N2, I1-I2, L2).

Card titles carry no explicit embedding controls worth honouring (they are stripped as neutrals), so
the implicit rules are the whole job: resolve a level per character, then reorder runs per line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TypeVar

STRONG_RTL = frozenset({"R", "AL"})
NUMBERS = frozenset({"EN", "AN"})
NEUTRALS = frozenset({"B", "S", "WS", "ON", "BN"})
T = TypeVar("T")


def bidi_classes(text: str) -> list[str]:
    """Bidi class per character; explicit formatting controls count as neutral (see module docstring)."""
    return [_class(c) for c in text]


def _class(char: str) -> str:
    """The character's bidi class with explicit embeddings and isolates folded into ON."""
    cls = unicodedata.bidirectional(char) or "L"
    return "ON" if cls in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI") else cls


def paragraph_level(text: str) -> int:
    """P2-P3: 1 if the first strong character is right-to-left, else 0."""
    for char in text:  # stops at the first strong character
        cls = _class(char)
        if cls == "L":
            return 0
        if cls in STRONG_RTL:
            return 1
    return 0


def embedding_levels(text: str, base: int) -> list[int]:
    """Resolved embedding level of every character of a paragraph at base level `base`."""
    classes = _weak_types(bidi_classes(text), "R" if base else "L")
    _resolve_neutrals(classes, "R" if base else "L")
    return [_implicit_level(cls, base) for cls in classes]


def _weak_types(classes: list[str], sos: str) -> list[str]:
    """W1-W7 in one pass each over the class list."""
    out, last_strong, prev = list(classes), sos, sos
    for i, cls in enumerate(out):  # W1 NSM, W2 EN after AL, W3 AL -> R
        cls = prev if cls == "NSM" else cls
        if cls in ("L", "R", "AL"):
            last_strong = cls
        out[i] = "AN" if cls == "EN" and last_strong == "AL" else ("R" if cls == "AL" else cls)
        prev = out[i]
    _separators_and_terminators(out)
    last_strong = sos
    for i, cls in enumerate(out):  # W7 EN -> L after L
        last_strong = cls if cls in ("L", "R") else last_strong
        out[i] = "L" if cls == "EN" and last_strong == "L" else cls
    return out


def _separators_and_terminators(out: list[str]) -> None:
    """W4 single separators between numbers, W5 terminators next to EN, W6 the rest become ON."""
    for i in range(1, len(out) - 1):
        left, right = out[i - 1], out[i + 1]
        if out[i] == "ES" and left == right == "EN" or out[i] == "CS" and left == right and left in NUMBERS:
            out[i] = left
    for i, cls in enumerate(out):
        if cls == "ET" and _touches_en(out, i):
            out[i] = "EN"
    for i, cls in enumerate(out):
        out[i] = "ON" if cls in ("ES", "ET", "CS") else cls


def _touches_en(out: list[str], i: int) -> bool:
    """Whether the sequence of ET containing position i is adjacent to a European number."""
    j = i
    while j < len(out) and out[j] == "ET":
        j += 1
    k = i
    while k >= 0 and out[k] == "ET":
        k -= 1
    return (j < len(out) and out[j] == "EN") or (k >= 0 and out[k] == "EN")


def _resolve_neutrals(classes: list[str], embedding: str) -> None:
    """N1-N2: a neutral sequence takes its neighbours' direction when they agree, else the embedding's."""
    i = 0
    while i < len(classes):
        if classes[i] not in NEUTRALS:
            i += 1
            continue
        j = i
        while j < len(classes) and classes[j] in NEUTRALS:
            j += 1
        before = _as_strong(classes[i - 1]) if i else embedding
        after = _as_strong(classes[j]) if j < len(classes) else embedding
        classes[i:j] = [before if before == after else embedding] * (j - i)
        i = j


def _as_strong(cls: str) -> str:
    """Numbers count as right-to-left for neutral resolution (N1)."""
    return "R" if cls in NUMBERS or cls == "R" else "L"


def _implicit_level(cls: str, base: int) -> int:
    """I1-I2: raise R and numbers over an even level, L and numbers over an odd one."""
    if base % 2 == 0:
        return base + (1 if cls == "R" else 2 if cls in NUMBERS else 0)
    return base + (1 if cls in ("L", "EN", "AN") else 0)


def visual_order(items: Sequence[T], levels: Sequence[int]) -> list[T]:
    """L2: reverse every maximal sequence at or above each level, from the highest to the lowest odd."""
    order = list(range(len(items)))
    if not levels:
        return []
    lowest_odd = min(levels) | 1
    for level in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = reversed(order[i:j])
            i = j
    return [items[k] for k in order]
