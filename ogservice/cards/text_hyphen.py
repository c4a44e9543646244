"""Hyphenation of a word too long for its line, by the language's patterns (pyphen's dictionaries).

Only a word wider than the box at the smallest size gets here: it is cut at the hyphenation point
the language's rules allow (LibreOffice's pattern dictionaries, shipped in the pyphen wheel) and
the line that ends inside it gets a hyphen. Whatever is still too wide (no pattern applies, or a
single syllable wider than the box) falls back to a cut between characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import pyphen

from ogservice.cards.text_break import Measure, Piece, split_piece
from ogservice.cards.text_segment import is_breaking_space, line_starts

HYPHEN = "\u2010"  # the typographic hyphen; '-' where the face lacks it
FALLBACK_HYPHEN = "-"
GERMAN_LETTERS = frozenset("äöüßÄÖÜ")


def hyphen_pieces(
    piece: Piece, clusters: Sequence[str], measure: Measure, lang: str | None, hyphen: float, max_width: float
) -> list[Piece]:
    """A too-wide piece cut at hyphenation points into pieces that each fit `max_width` when
    possible; a piece ending at a hyphenation point carries the hyphen's width when a line ends
    there (width + hyphen, space - hyphen: mid-line the two cancel)."""
    cuts = _hyphenation_points(clusters[piece.start : piece.end], lang)
    if not cuts:
        return _split_at_opportunities(piece, clusters, measure, lang, max_width)
    bounds = [piece.start, *(piece.start + c for c in cuts), piece.end]
    out: list[Piece] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        last = b == piece.end
        width = measure(a, b)
        if last:
            part = Piece(a, b, piece.stop, width, piece.space)
        else:
            part = Piece(a, b, b, width + hyphen, -hyphen)
        if part.width > max_width:  # a syllable wider than the box: between characters after all
            out += split_piece(part if last else Piece(a, b, b, width, 0.0), measure)
        else:
            out.append(part)
    return out


def _split_at_opportunities(
    piece: Piece, clusters: Sequence[str], measure: Measure, lang: str | None, max_width: float
) -> list[Piece]:
    """A piece with no hyphenation point (a long CJK phrase, say) cut at its UAX #14 opportunities,
    so kinsoku still holds; anything still too wide is cut between characters."""
    inner = line_starts(clusters[piece.start : piece.end], lang, preferred=False)
    bounds = [piece.start, *(piece.start + i for i in inner), piece.end]
    out: list[Piece] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b == piece.end:
            part = Piece(a, b, piece.stop, measure(a, b), piece.space)
        else:  # a glued space ("iPhone 16") becomes this part's trailing space
            end = b
            while end > a + 1 and is_breaking_space(clusters[end - 1]):
                end -= 1
            part = Piece(a, end, b, measure(a, end), measure(end, b) if b > end else 0.0)
        out += split_piece(part, measure) if part.width > max_width else [part]
    return out


def _hyphenation_points(clusters: Sequence[str], lang: str | None) -> list[int]:
    """Cluster offsets inside the word where the language's patterns allow a hyphen."""
    word = "".join(clusters)
    if not word.isalpha():
        return []
    dictionary = _dictionary(_pattern_language(word, lang))
    if dictionary is None:
        return []
    starts, at = {}, 0
    for i, cluster in enumerate(clusters):
        starts[at] = i
        at += len(cluster)
    return [starts[p] for p in dictionary.positions(word) if p in starts]


def _pattern_language(word: str, lang: str | None) -> str:
    """The text's language hint; without one, German when the word has German letters, else English
    (the patterns of the two most common long-compound cases in our titles)."""
    if lang:
        return lang
    return "de" if GERMAN_LETTERS.intersection(word) else "en"


@lru_cache(maxsize=16)
def _dictionary(lang: str) -> pyphen.Pyphen | None:
    """The pattern dictionary for a BCP 47 tag, or None when pyphen has none for it."""
    name = pyphen.language_fallback(lang.replace("-", "_"))
    return pyphen.Pyphen(lang=name) if name else None
