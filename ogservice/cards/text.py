"""Local typesetting: auto-fit, balanced wrapping, clamp, bidi, font fallback; returns a laid-out block.

Everything is measured once in em (HarfBuzz shaping with kerning and ligatures, see `glyphs`), so
the auto-fit binary search costs arithmetic, not shaping. The block it returns is defined in
`text_block`, drawing lives in `text_draw` (both re-exported here).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ogservice.cards.fonts import FontFace, FontRegistry
from ogservice.cards.text_bidi import paragraph_level, visual_order
from ogservice.cards.text_block import Line, Run, TextBlock, TextStyle
from ogservice.cards.text_break import (
    Lines,
    Measure,
    Piece,
    balanced_lines,
    clamp_lines,
    greedy_lines,
    make_pieces,
)
from ogservice.cards.text_draw import draw_text
from ogservice.cards.text_hyphen import FALLBACK_HYPHEN, HYPHEN, hyphen_pieces
from ogservice.cards.text_itemize import Cluster, MissingPolicy, itemize, pick_face
from ogservice.cards.text_segment import BREAKING_SPACES

__all__ = ["Line", "Run", "TextBlock", "TextStyle", "draw_text", "layout_text"]

ELLIPSIS = "\u2026"
# Runs of breaking whitespace collapse to one space; no-break spaces are kept (they glue words).
BREAKING_WHITESPACE = "".join(sorted(BREAKING_SPACES))
WHITESPACE = re.compile(f"[{re.escape(BREAKING_WHITESPACE)}]+")


@dataclass(frozen=True)
class _Setting:
    """The size-independent analysis of a paragraph: clusters, pieces and vertical metrics in em."""

    clusters: tuple[Cluster, ...]
    pieces: tuple[Piece, ...]
    chain: tuple[FontFace, ...]
    base: int
    ascent: float
    descent: float
    missing: tuple[str, ...]
    lang: str | None
    ink: float  # the paragraph's ink height in em: its highest outline above the baseline + its deepest below


def layout_text(
    registry: FontRegistry,
    text: str,
    width: int,
    height: int,
    style: TextStyle,
    missing: MissingPolicy = "placeholder",
) -> TextBlock:
    """Fit `text` into a width x height box: largest size in range, balanced lines, clamp at min size.

    Blocks are immutable, so each registry remembers its recent ones: a site name, byline or
    button label that every card repeats is laid out once.
    """
    memo = _LAYOUTS.get(registry)
    if memo is None:
        with _LAYOUTS_LOCK:
            memo = _LAYOUTS.get(registry) or _layout_memo(registry)
            _LAYOUTS[registry] = memo
    return memo(text, width, height, style, missing)


LAYOUT_CACHE_SIZE = 1024  # a block is a few KB
_LAYOUTS: weakref.WeakKeyDictionary[FontRegistry, Callable[..., TextBlock]] = weakref.WeakKeyDictionary()
_LAYOUTS_LOCK = threading.Lock()


def _layout_memo(registry: FontRegistry) -> Callable[..., TextBlock]:
    """An LRU of `_layout` for one registry (a weak reference, so the cache never keeps it alive)."""
    owner = weakref.ref(registry)
    return lru_cache(maxsize=LAYOUT_CACHE_SIZE)(lambda *args: _layout(owner(), *args))  # type: ignore[arg-type]


def _layout(
    registry: FontRegistry, text: str, width: int, height: int, style: TextStyle, missing: MissingPolicy
) -> TextBlock:
    """Uncached `layout_text`."""
    setting = _analyse(registry, text, style, missing)
    if not setting.pieces:
        direction = _direction(setting.base)
        return TextBlock(style.max_size, (), 0, 0, False, direction, setting.missing, setting.lang)
    size = _fitted_size(setting, width, height, style)
    if size is None:
        return _clamped(registry, setting, style, width, height)
    count = len(greedy_lines(setting.pieces, width / size))
    lines = _cluster_lines(setting.pieces, balanced_lines(setting.pieces, width / size, count))
    return _block(registry, setting, style, (width, size), lines, clamped=False)


def _analyse(registry: FontRegistry, text: str, style: TextStyle, missing: MissingPolicy) -> _Setting:
    """Normalise, itemize and measure a paragraph once (sizes only scale these em widths)."""
    text = WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip(" ")
    text = text.upper() if style.uppercase else text
    lang = style.lang or _guess_lang(text)
    base = paragraph_level(text)
    chain = registry.chain(style.family, style.weight, lang)
    items = itemize(text, chain, base, missing)
    measure = _measurer(registry, items.clusters, lang)
    pieces = make_pieces([c.text for c in items.clusters], measure, lang)
    faces = {c.face for c in items.clusters} or {chain[0]}
    above, below = _ink_extent(registry, items.clusters, lang)
    asc = _line_metric(max(f.ascent for f in faces), chain[0].ascent, above + INK_ROUNDING_EM)
    desc = _line_metric(max(f.descent for f in faces), chain[0].descent, below + INK_ROUNDING_EM)
    return _Setting(items.clusters, tuple(pieces), chain, base, asc, desc, items.missing, lang, above + below)


# An outline's extreme lands inside a pixel that anti-aliasing inks partly (and hinting may move it
# by a pixel): a line measured by its ink keeps this much room beyond it.
INK_ROUNDING_EM = 0.05


def _line_metric(fonts: float, primary: float, ink: float) -> float:
    """A line's ascent (or descent) in em: the fonts' own, except that a fallback face with tall
    metrics only counts as far as its glyphs reach in this text, and never below the primary
    face's. Noto Sans Arabic reserves 1.37 + 0.74 em for its tallest mark stacks: taken whole,
    a one-line Arabic price needs twice the height of a Latin one and is set at half the size, or
    overflows its box. Latin text keeps its font's metrics, so its baselines never depend on
    which letters it holds."""
    return min(fonts, max(primary, ink))


def _ink_extent(registry: FontRegistry, clusters: Sequence[Cluster], lang: str | None) -> tuple[float, float]:
    """How far the paragraph's ink reaches, in em: its highest outline above the baseline (accents,
    Arabic marks above, Devanagari vowel signs) and its deepest below (descenders, marks below),
    as shaped in the fonts actually used. Colour-bitmap emoji count by their face's line metrics."""
    above = below = 0.0
    for text, face, level in _runs(clusters):
        if face.bitmap_size:
            up, down = face.ascent, face.descent
        else:
            up, down = registry.glyphs.ink(face, text, _direction(level), lang)
        above, below = max(above, up), max(below, down)
    return above, below


# Clear space between the deepest ink of a line and the highest of the next, so no glyph touches
# the next line: a fraction of the size, and never less than 4 px (one clear row, plus up to a row
# and a half each side that hinting, anti-aliasing and whole-pixel glyph placement may add).
LINE_GAP_EM = 0.06
LINE_GAP_MIN_PX = 4.0


def _pitch(setting: _Setting, style: TextStyle, size: int) -> float:
    """Baseline-to-baseline distance in px: the style's line height, opened up when the
    paragraph's ink (every line may hold its highest and its deepest glyph) would otherwise touch."""
    clear = setting.ink * size + max(LINE_GAP_MIN_PX, LINE_GAP_EM * size)
    return max(style.line_height * size, clear)


def _guess_lang(text: str) -> str | None:
    """Language hint from the text itself: kana means Japanese, Hangul Korean (picks the CJK face)."""
    if any("\u3040" <= c <= "\u30ff" for c in text):
        return "ja"
    if any("\uac00" <= c <= "\ud7af" for c in text):
        return "ko"
    return None


def _direction(level: int) -> Literal["ltr", "rtl"]:
    """Direction of an embedding level: odd levels are right-to-left."""
    return "rtl" if level % 2 else "ltr"


def _runs(clusters: Sequence[Cluster]) -> list[tuple[str, FontFace, int]]:
    """Group consecutive clusters sharing a face and a bidi level into (text, face, level) runs."""
    # One join per run: growing a run's string cluster by cluster copied it each time (a title
    # in one face is a single 70-cluster run). Faces compare by identity: they are unique.
    runs: list[tuple[str, FontFace, int]] = []
    start, count = 0, len(clusters)
    for i in range(1, count + 1):
        head = clusters[start]
        if i == count or clusters[i].face is not head.face or clusters[i].level != head.level:
            runs.append(("".join([c.text for c in clusters[start:i]]), head.face, head.level))
            start = i
    return runs


def _measurer(registry: FontRegistry, clusters: Sequence[Cluster], lang: str | None) -> Measure:
    """Em width of a cluster range, shaped run by run (cached in the registry)."""
    faces = {(c.face, c.level) for c in clusters}
    if len(faces) == 1:  # one face, one direction (most titles): the range is a single run
        ((face, level),) = faces
        texts, direction = [c.text for c in clusters], _direction(level)

        def measure_one_run(start: int, end: int) -> float:
            return registry.advance(face, "".join(texts[start:end]), direction, lang)

        return measure_one_run

    def measure(start: int, end: int) -> float:
        runs = _runs(clusters[start:end])
        return sum(registry.advance(face, text, _direction(level), lang) for text, face, level in runs)

    return measure


def _lines_allowed(setting: _Setting, height: int, size: int, style: TextStyle) -> int:
    """How many lines fit the box height at this size, capped by max_lines (0: not even one)."""
    spare = height - (setting.ascent + setting.descent) * size
    if spare < 0:
        return 0
    return min(style.max_lines, 1 + int(spare // _pitch(setting, style, size)))


def _fits(setting: _Setting, width: int, height: int, size: int, style: TextStyle) -> bool:
    """No piece wider than the box, and the greedy line count within what the height allows (a
    single line taller than its box does not fit: its ink would run into what lies below)."""
    max_width = width / size
    if any(p.width > max_width for p in setting.pieces):
        return False
    return len(greedy_lines(setting.pieces, max_width)) <= _lines_allowed(setting, height, size, style)


def _fitted_size(setting: _Setting, width: int, height: int, style: TextStyle) -> int | None:
    """Largest integer size in [min_size, max_size] that fits (binary search), or None."""
    lo, hi, best = style.min_size, style.max_size, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if _fits(setting, width, height, mid, style):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


def _cluster_lines(pieces: Sequence[Piece], lines: Lines) -> Lines:
    """Piece ranges to cluster ranges (trailing spaces of each line dropped)."""
    return [(pieces[i].start, pieces[j - 1].end) for i, j in lines]


def _clamped(
    registry: FontRegistry, setting: _Setting, style: TextStyle, width: int, height: int
) -> TextBlock:
    """At min size: hyphenate overlong words (by the language's rules, else between characters),
    then clamp to the allowed lines with an ellipsis."""
    size = style.min_size
    measure = _measurer(registry, setting.clusters, setting.lang)
    texts = [c.text for c in setting.clusters]
    pieces: list[Piece] = []
    for p in setting.pieces:
        if p.width * size <= width:
            pieces.append(p)
            continue
        hyphen = registry.advance(_hyphen(setting, p.end - 1).face, _hyphen(setting, p.end - 1).text)
        pieces += hyphen_pieces(p, texts, measure, setting.lang, hyphen, width / size)
    hyphenated = frozenset(p.end for p in pieces if p.space < 0)
    limit = max(1, _lines_allowed(setting, height, size, style))  # at min size, one line is drawn anyway
    count = len(greedy_lines(pieces, width / size))
    if count <= limit:
        lines = _cluster_lines(pieces, balanced_lines(pieces, width / size, count))
        return _block(registry, setting, style, (width, size), lines, clamped=False, hyphenated=hyphenated)
    ellipsis = _ellipsis(setting, pieces[greedy_lines(pieces, width / size)[limit - 1][0]].start)
    lines = clamp_lines(pieces, width / size, limit, registry.advance(ellipsis.face, ELLIPSIS), measure)
    return _block(registry, setting, style, (width, size), lines, clamped=True, hyphenated=hyphenated)


def _hyphen(setting: _Setting, near: int) -> Cluster:
    """The hyphen that ends a line inside a word, in that word's face, at the word's level."""
    word = setting.clusters[near]
    text = HYPHEN if word.face.covers(HYPHEN) else FALLBACK_HYPHEN
    return Cluster(text, word.face, word.level)


def _ellipsis(setting: _Setting, near: int) -> Cluster:
    """The '…' cluster, in the font of the text it ends when that font has one, at paragraph level."""
    face = pick_face(setting.chain, ELLIPSIS, setting.clusters[near].face) or setting.chain[0]
    return Cluster(ELLIPSIS, face, setting.base)


def _block(
    registry: FontRegistry,
    setting: _Setting,
    style: TextStyle,
    box: tuple[int, int],
    lines: Lines,
    clamped: bool,
    hyphenated: frozenset[int] = frozenset(),
) -> TextBlock:
    """Position runs line by line: visual order, alignment within the block, baselines, ink extent.
    A line ending at a hyphenation point (a cluster index in `hyphenated`) gets its hyphen."""
    size = box[1]
    visual = []
    for n, (start, end) in enumerate(lines):
        clusters = list(setting.clusters[start:end])
        if clamped and n == len(lines) - 1:
            clusters.append(_ellipsis(setting, max(start, end - 1)))
        elif end in hyphenated and n < len(lines) - 1:
            clusters.append(_hyphen(setting, end - 1))
        visual.append(_visual_runs(registry, clusters, setting.lang, size))
    block_width = max(sum(w for *_, w in runs) for runs in visual)
    pitch = _pitch(setting, style, size)
    built = tuple(
        _line(registry, runs, setting, style, (block_width, size), setting.ascent * size + n * pitch)
        for n, runs in enumerate(visual)
    )
    height = (setting.ascent + setting.descent) * size + (len(lines) - 1) * pitch
    return TextBlock(
        size,
        built,
        math.ceil(block_width),
        math.ceil(height),
        clamped,
        _direction(setting.base),
        setting.missing,
        setting.lang,
        registry.glyphs,
    )


VisualRun = tuple[str, FontFace, int, float]  # text, face, level, width in px


def _visual_runs(
    registry: FontRegistry, clusters: Sequence[Cluster], lang: str | None, size: int
) -> list[VisualRun]:
    """A line's runs in visual order with their shaped widths at `size`."""
    logical = _runs(clusters)
    ordered = visual_order(logical, [level for _, _, level in logical])
    return [(t, f, lv, registry.advance(f, t, _direction(lv), lang) * size) for t, f, lv in ordered]


def _line(
    registry: FontRegistry,
    runs: Sequence[VisualRun],
    setting: _Setting,
    style: TextStyle,
    box: tuple[float, int],
    baseline: float,
) -> Line:
    """One line, shifted inside the block by the alignment (start means right for RTL paragraphs)."""
    block_width, size = box
    width = sum(w for *_, w in runs)
    offset = _align_offset(style.align, setting.base, block_width - width)
    placed, x = [], offset
    for text, face, level, w in runs:
        font = registry.font(face, size) if face.bitmap_size else None
        placed.append(Run(text, face.id, x, w, _direction(level), face, font))
        x += w
    return Line(tuple(placed), offset, width, baseline)


def _align_offset(align: str, base: int, slack: float) -> float:
    """Left offset of a line: start/end flip for right-to-left paragraphs."""
    if align == "center":
        return slack / 2
    right = (align == "end") != (base % 2 == 1)
    return slack if right else 0.0
