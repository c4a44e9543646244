"""Draw a laid-out text block onto an image: cached glyph bitmaps, colour emoji from their bitmap strike.

Every outline glyph of the block is blitted into one coverage mask (overlaps keep the larger
coverage, as FreeType's own string rendering does), and the colour is pasted through that
mask once: a single blend per block instead of one per run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

if TYPE_CHECKING:
    from ogservice.cards.text_block import Run, TextBlock

Placed = tuple[int, int, np.ndarray]  # left, top, coverage


@dataclass(frozen=True)
class Coverage:
    """A block's merged glyph coverage (read-only uint8) and its top-left relative to the block's."""

    left: int
    top: int
    mask: np.ndarray


def draw_text(
    image: Image.Image, block: TextBlock, origin: tuple[int, int], color: tuple[int, int, int]
) -> None:
    """Draw every run of `block` with its top-left at `origin` in `color` (emoji keep their colours)."""
    x, y = round(origin[0]), round(origin[1])
    coverage = block_coverage(block)
    if coverage is not None:
        _paint(image, coverage, (x, y), color)
    for line in block.lines:
        for run in line.runs:
            if run.face.bitmap_size:
                _draw_bitmap_run(image, run, (x + run.x, y + line.baseline), block.size)


def block_coverage(block: TextBlock) -> Coverage | None:
    """The block's outline glyphs merged into one mask (overlaps keep the larger coverage).

    Small masks are remembered per block: a site name, byline or tag is set on every card of a
    site, and the layout cache hands back the same block for it each time.
    """
    with _RECENT_LOCK:
        if block in _recent:
            _recent.move_to_end(block)
            return _recent[block]
    coverage = _merged(block)
    if coverage is None or coverage.mask.nbytes <= REMEMBER_MAX_BYTES:
        with _RECENT_LOCK:
            _recent[block] = coverage
            while len(_recent) > REMEMBER_BLOCKS:
                _recent.popitem(last=False)
    return coverage


REMEMBER_BLOCKS, REMEMBER_MAX_BYTES = 256, 64 * 1024  # at most 16 MB of masks
_recent: OrderedDict[TextBlock, Coverage | None] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _merged(block: TextBlock) -> Coverage | None:
    placed = [
        glyph
        for line in block.lines
        for run in line.runs
        if not run.face.bitmap_size
        for glyph in _placed_glyphs(block, run, (run.x, line.baseline))
    ]
    if not placed:
        return None
    x0, y0 = min(x for x, _, _ in placed), min(y for _, y, _ in placed)
    x1 = max(x + m.shape[1] for x, _, m in placed)
    y1 = max(y + m.shape[0] for _, y, m in placed)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for x, y, glyph in placed:
        target = mask[y - y0 : y - y0 + glyph.shape[0], x - x0 : x - x0 + glyph.shape[1]]
        np.maximum(target, glyph, out=target)
    mask.flags.writeable = False
    return Coverage(x0, y0, mask)


def _placed_glyphs(block: TextBlock, run: Run, pen: tuple[float, float]) -> list[Placed]:
    """Each inked glyph of a run with its whole-pixel top-left corner (pen positions rounded)."""
    assert block.glyphs is not None, "a block with runs carries its glyph engine"
    shaped = block.glyphs.shape(run.face, run.text, run.direction, block.lang)
    size, out = block.size, []
    for gid, x, y in zip(shaped.gids, shaped.x, shaped.y, strict=True):
        glyph = block.glyphs.glyph(run.face, size, gid)
        if glyph.mask is not None:
            left, top = round(pen[0] + x * size) + glyph.left, round(pen[1] - y * size) - glyph.top
            out.append((left, top, glyph.mask))
    return out


def _paint(
    image: Image.Image, coverage: Coverage, origin: tuple[int, int], color: tuple[int, int, int]
) -> None:
    """Paste `color` through the coverage mask placed at origin, clipped to the image."""
    left, top = origin[0] + coverage.left, origin[1] + coverage.top
    x0, y0 = max(0, left), max(0, top)
    x1 = min(image.width, left + coverage.mask.shape[1])
    y1 = min(image.height, top + coverage.mask.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    mask = coverage.mask[y0 - top : y1 - top, x0 - left : x1 - left]
    # Pasting a solid image through the mask gives the same pixels as pasting the colour, but
    # Pillow's image path blends ~2.4x faster than its fill path (0.5 vs 1.2 ms for a title).
    ink = Image.new(image.mode, (x1 - x0, y1 - y0), color)
    image.paste(ink, (x0, y0, x1, y1), Image.fromarray(np.ascontiguousarray(mask)))


def _draw_bitmap_run(image: Image.Image, run: Run, at: tuple[float, float], size: int) -> None:
    """Render a colour-bitmap run at its strike size, scale it to the line size, alpha-composite it."""
    assert run.font is not None, "colour-bitmap runs carry their Pillow font"
    strike = run.face.bitmap_size or size
    ascent, descent = run.font.getmetrics()
    width = max(1, round(run.font.getlength(run.text, direction=run.direction)))
    tile = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((0, ascent), run.text, font=run.font, anchor="ls", embedded_color=True)
    scale = size / strike
    tile = tile.resize(
        (max(1, round(width * scale)), max(1, round((ascent + descent) * scale))), Image.LANCZOS
    )
    box = (round(at[0]), round(at[1] - ascent * scale))
    if image.mode == "RGBA":
        image.alpha_composite(tile, box)
    else:
        image.paste(tile, box, tile)
