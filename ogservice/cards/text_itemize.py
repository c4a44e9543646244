"""Split text into clusters and give each a font and a bidi level (the input of line breaking).

A cluster is a base character with everything that must stay with it: combining marks, variation
selectors, emoji modifiers and tags, ZWJ plus the next character, the second of a flag pair.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, NamedTuple

from ogservice.cards.fonts import FontFace
from ogservice.cards.text_bidi import embedding_levels
from ogservice.cards.text_segment import is_breaking_space
from ogservice.errors import UnprocessableField

MissingPolicy = Literal["placeholder", "skip", "error"]
ZWJ = "\u200d"
VS16 = "\ufe0f"
PLACEHOLDER = "\ufffd"
# Default-ignorable format characters: drawn as nothing by the shaper, so no font need map them
# (zero-width space, ZWNJ, ZWJ, word joiner, BOM as ZWNBSP, variation selectors).
IGNORABLE = frozenset(
    {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
)
EXTENDERS = frozenset(
    {0x200D, 0x20E3, *range(0xFE00, 0xFE10), *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)}
)


class Cluster(NamedTuple):
    """A grapheme-like cluster with its resolved font face and bidi embedding level (a cheap tuple)."""

    text: str
    face: FontFace
    level: int


@dataclass(frozen=True)
class Itemized:
    """A paragraph as clusters, plus the characters no font could draw (in order of appearance)."""

    clusters: tuple[Cluster, ...]
    missing: tuple[str, ...]


def split_clusters(text: str) -> list[str]:
    """Group characters into clusters that must never be split across fonts or lines."""
    out: list[str] = []
    for char in text:
        if out and _extends(out[-1], char):
            out[-1] += char
        else:
            out.append(char)
    return out


def _extends(cluster: str, char: str) -> bool:
    """Whether `char` belongs to the cluster before it."""
    cp = ord(char)
    if cp in EXTENDERS or unicodedata.category(char) in ("Mn", "Me", "Mc") or cluster[-1] == ZWJ:
        return True
    return _is_regional(cp) and len(cluster) == 1 and _is_regional(ord(cluster))


def _is_regional(cp: int) -> bool:
    """Regional indicator symbols pair up into flags."""
    return 0x1F1E6 <= cp <= 0x1F1FF


def is_emoji(cluster: str) -> bool:
    """Clusters asking for emoji presentation: pictographs, VS16, ZWJ sequences, keycaps, flags."""
    cp = ord(cluster[0])
    if 0x1F000 <= cp <= 0x1FAFF:  # pictographs, flags (regional indicators) and their neighbours
        return True
    return len(cluster) > 1 and (VS16 in cluster or "\u20e3" in cluster or ZWJ in cluster)


def _face_covers(face: FontFace, cluster: str) -> bool:
    """A face serves a cluster when it maps every character except default-ignorables."""
    if len(cluster) == 1 and ord(cluster) not in IGNORABLE:
        return ord(cluster) in face.coverage
    return all(ord(c) in IGNORABLE or ord(c) in face.coverage for c in cluster)


def _common(cluster: str) -> bool:
    """Spaces, punctuation, symbols and digits: script-neutral, they may stay in the previous font."""
    return unicodedata.category(cluster[0])[0] in "ZPSN"


def pick_face(chain: tuple[FontFace, ...], cluster: str, previous: FontFace | None) -> FontFace | None:
    """The face for a cluster: the emoji font for emoji, the previous font for neutrals, else the chain."""
    if is_emoji(cluster):
        emoji = [f for f in chain if f.role == "emoji" and _face_covers(f, cluster)]
        if emoji:
            return emoji[0]
    sticky = previous is not None and previous.role != "emoji" and _common(cluster)
    if sticky and previous is not None and _face_covers(previous, cluster):
        return previous
    return next((f for f in chain if _face_covers(f, cluster)), None)


def itemize(text: str, chain: tuple[FontFace, ...], base: int, missing: MissingPolicy) -> Itemized:
    """Clusters of `text` with faces and levels; uncovered clusters handled by the missing policy."""
    if _one_face_left_to_right(text, chain[0], base):  # most titles: skip the per-character walk
        return Itemized(_collapse_spaces([Cluster(c, chain[0], 0) for c in text]), ())
    return _walk(text, chain, base, missing)


def _walk(text: str, chain: tuple[FontFace, ...], base: int, missing: MissingPolicy) -> Itemized:
    """The general case: cluster by cluster, bidi levels, face fallback and the missing policy."""
    levels = embedding_levels(text, base)
    out: list[Cluster] = []
    lost: list[str] = []
    pos, previous = 0, None
    for cluster in split_clusters(text):
        level, pos = levels[pos], pos + len(cluster)
        face = pick_face(chain, cluster, previous)
        if face is None:
            lost += [c for c in cluster if ord(c) not in IGNORABLE and c not in lost]
            replacement = _replacement(chain, cluster, missing)
            if replacement is None:
                continue
            cluster, face = replacement
        out.append(Cluster(cluster, face, level))
        previous = face
    return Itemized(_collapse_spaces(out), tuple(dict.fromkeys(lost)))


def _one_face_left_to_right(text: str, face: FontFace, base: int) -> bool:
    """Whether every character is its own cluster, at level 0, in `face`: text below U+0590 (Latin,
    Greek, Cyrillic, Armenian: no right-to-left letters, no emoji) without combining marks, in a
    left-to-right paragraph, all covered by the face. The general walk gives the same result."""
    return (
        base == 0
        and face.role != "emoji"
        and (not text or max(text) < "\u0590")
        and not _COMBINING.search(text)
        and {ord(c) for c in text} <= face.coverage
    )


_COMBINING = re.compile("[\u0300-\u036f\u0483-\u0489]")


def _collapse_spaces(clusters: list[Cluster]) -> tuple[Cluster, ...]:
    """Drop the doubled or edge spaces a skipped character leaves behind."""
    out: list[Cluster] = []
    for c in clusters:
        if not (is_breaking_space(c.text) and (not out or is_breaking_space(out[-1].text))):
            out.append(c)
    return tuple(out[:-1] if out and is_breaking_space(out[-1].text) else out)


def _replacement(
    chain: tuple[FontFace, ...], cluster: str, missing: MissingPolicy
) -> tuple[str, FontFace] | None:
    """What to draw for an uncovered cluster: U+FFFD (placeholder), nothing (skip), or raise (error)."""
    if missing == "error":
        names = ", ".join(f"U+{ord(c):04X}" for c in cluster if ord(c) not in IGNORABLE)
        raise UnprocessableField(f"no available font can draw {names}", field="text")
    if missing == "skip":
        return None
    face = next((f for f in chain if _face_covers(f, PLACEHOLDER)), None)
    face = face or next(f for f in chain if _face_covers(f, "?"))
    return (PLACEHOLDER if face.covers(PLACEHOLDER) else "?"), face
