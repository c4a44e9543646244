"""Shaping (HarfBuzz) and glyph rasterisation (FreeType), both cached: the text engine's two hot paths.

One shaper serves measuring and drawing, so the widths the line breaker fits are exactly the pen
positions the glyphs are drawn at. A run is shaped once in font units (kerning and ligatures on)
and scaled to any size; a glyph is rasterised once per face, pixel size and glyph id, then only
blitted. Pillow's `draw.text` re-shapes and re-rasterises every glyph on every call (~17 us a glyph,
~3.5 ms a card); a cached glyph costs a dictionary lookup and one numpy maximum.

Glyphs sit on whole pixels (pen positions rounded, as Pillow does) with FreeType's default hinting,
so a letter looks the same wherever it lands and PNG's deflate finds the repeats.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import freetype
import numpy as np
import uharfbuzz as hb

if TYPE_CHECKING:
    from ogservice.cards.fonts import FontFace

FEATURES = {"kern": True, "liga": True}
SHAPE_CACHE_SIZE = 8192  # shaped runs (words and lines); a few hundred bytes each
GLYPH_CACHE_SIZE = 4096  # rasterised glyphs; a 76 px bold Latin glyph is ~2.5 KB
COVERAGE_LEVELS = 12  # edge coverage in 12 steps, not 256: the same look, far fewer distinct edge pixels


@dataclass(frozen=True)
class Shaped:
    """A shaped run in em: glyph ids in visual order, each glyph's pen origin, and the total advance."""

    gids: tuple[int, ...]
    x: tuple[float, ...]  # origin of each glyph from the run's left edge (offsets included)
    y: tuple[float, ...]  # vertical offset of each glyph, upward positive (marks, matras)
    advance: float
    rise: float = 0.0  # the largest upward offset (>= 0)
    drop: float = 0.0  # the largest downward offset (>= 0)


@dataclass(frozen=True)
class Glyph:
    """A glyph's coverage bitmap (read-only uint8, None when blank) and its offset from the pen origin."""

    mask: np.ndarray | None
    left: int
    top: int


class _Face:
    """The HarfBuzz font and FreeType face of one FontFace (FreeType faces are not thread-safe: lock)."""

    def __init__(self, face: FontFace) -> None:
        blob = hb.Blob.from_file_path(str(face.path))
        hb_face = hb.Face(blob, face.index)
        self.upem = hb_face.upem
        self.font = hb.Font(hb_face)
        self.ft = freetype.Face(str(face.path), face.index)
        self.lock = threading.Lock()
        self._extents: dict[int, tuple[float, float]] = {}

    def extents(self, gid: int) -> tuple[float, float]:
        """A glyph's outline top and bottom (yMax, yMin) in em, upward positive; (0, 0) when blank."""
        known = self._extents.get(gid)
        if known is None:
            box = self.font.get_glyph_extents(gid)
            top, bottom = (0, 0) if box is None else (box.y_bearing, box.y_bearing + box.height)
            known = (top / self.upem, bottom / self.upem)
            self._extents[gid] = known
        return known


class GlyphEngine:
    """Per-process shaping and raster caches, keyed by face, text or glyph id, and size."""

    def __init__(self) -> None:
        self._faces: dict[str, _Face] = {}
        self._faces_lock = threading.Lock()
        self.shape = lru_cache(maxsize=SHAPE_CACHE_SIZE)(self._shape)
        self.glyph = lru_cache(maxsize=GLYPH_CACHE_SIZE)(self._glyph)
        self.ink = lru_cache(maxsize=SHAPE_CACHE_SIZE)(self._ink)

    def _face(self, face: FontFace) -> _Face:
        handle = self._faces.get(face.id)
        if handle is None:
            with self._faces_lock:
                handle = self._faces.get(face.id) or _Face(face)
                self._faces[face.id] = handle
        return handle

    def _shape(self, face: FontFace, text: str, direction: str, lang: str | None) -> Shaped:
        """Shape `text` in one face and direction (the shaper guesses the script from the text)."""
        handle = self._face(face)
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        buf.direction = direction
        if lang:
            buf.language = lang
        hb.shape(handle.font, buf, FEATURES)
        scale, pen, xs, ys = 1.0 / handle.upem, 0, [], []
        for pos in buf.glyph_positions:
            xs.append((pen + pos.x_offset) * scale)
            ys.append(pos.y_offset * scale)
            pen += pos.x_advance
        gids = tuple(info.codepoint for info in buf.glyph_infos)
        rise, drop = max(0.0, max(ys, default=0.0)), max(0.0, -min(ys, default=0.0))
        return Shaped(gids, tuple(xs), tuple(ys), pen * scale, rise, drop)

    def _ink(self, face: FontFace, text: str, direction: str, lang: str | None) -> tuple[float, float]:
        """How far the shaped run's outlines reach above and below the baseline, in em (>= 0): each
        glyph's own bounding box moved by its offset, so marks stacked by the shaper count."""
        shaped = self.shape(face, text, direction, lang)
        handle = self._face(face)
        if not shaped.rise and not shaped.drop:  # no glyph moved up or down (most text): the
            # reach is the extreme outline among the distinct glyphs, each looked up once
            boxes = [handle.extents(gid) for gid in set(shaped.gids)]
            top = max((top for top, _ in boxes), default=0.0)
            bottom = max((-bottom for _, bottom in boxes), default=0.0)
            return max(0.0, top), max(0.0, bottom)
        above = below = 0.0
        for gid, y in zip(shaped.gids, shaped.y, strict=True):
            top, bottom = handle.extents(gid)
            above, below = max(above, top + y), max(below, -(bottom + y))
        return above, below

    def _glyph(self, face: FontFace, size: int, gid: int) -> Glyph:
        """Rasterise one glyph at a pixel size with FreeType's default hinting, coverage rounded to
        COVERAGE_LEVELS steps (see `quantized`)."""
        handle = self._face(face)
        with handle.lock:
            handle.ft.set_pixel_sizes(0, size)
            handle.ft.load_glyph(gid, freetype.FT_LOAD_DEFAULT)
            slot = handle.ft.glyph
            slot.render(freetype.FT_RENDER_MODE_NORMAL)
            bitmap = slot.bitmap._FT_Bitmap
            rows, width, pitch = bitmap.rows, bitmap.width, bitmap.pitch
            left, top = slot.bitmap_left, slot.bitmap_top
            raw = ctypes.string_at(bitmap.buffer, rows * pitch) if rows and width and pitch > 0 else b""
        if not raw:
            return Glyph(None, left, top)
        return Glyph(quantized(np.frombuffer(raw, np.uint8).reshape(rows, pitch)[:, :width]), left, top)


def quantized(coverage: np.ndarray) -> np.ndarray:
    """8-bit coverage rounded to the nearest of COVERAGE_LEVELS evenly spaced values (0 and 255 kept).

    With 12 levels an edge pixel is at most 12/255 off, as if the outline moved by 0.05 px, which
    no zoom a card is seen at shows; but edges repeat far more often, so a title's rows come out
    ~17% smaller in PNG, which is what lets the encoder give them its fast deflate (see encode.py).
    """
    mask = _coverage_table(COVERAGE_LEVELS).take(coverage)
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=4)
def _coverage_table(levels: int) -> np.ndarray:
    """The 256-entry lookup from 8-bit coverage to its nearest of `levels` evenly spaced values."""
    step = 255 / (levels - 1)
    return np.round(np.round(np.arange(256) / step) * step).astype(np.uint8)
