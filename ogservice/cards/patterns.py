"""Geometric patterns for the "geometric" background style: anti-aliased tiles added in place.

A pattern (dots, rings, triangles, stripes, plus) is drawn once per cell size at 4x and box-filtered
down, tiled into 256-pixel blocks and cached, then added block by block to the background with a
strength that fades with the distance from one corner: lighter on dark palettes, darker on light.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageChops, ImageDraw

PATTERN_DELTA = 10  # how much lighter (dark palettes) or darker the shapes are, at full strength


def add_pattern(full: Image.Image, rng: np.random.Generator, dark: bool) -> Image.Image:
    """Add a tiled low-contrast pattern fading from one corner: lighter on dark palettes, darker on light."""
    kind = PATTERNS[int(rng.integers(len(PATTERNS)))]
    # Few cell sizes and fade steps, so a worker's tile cache stays small and warm.
    cell = min(192, max(32, 16 * round(min(full.size) / (16 * (4 + 2 * int(rng.integers(2)))))))
    block = cell * max(1, TILE_SIDE // cell)  # whole periods per tile: fewer, larger pastes
    corner = (int(rng.integers(2)) * full.size[0], int(rng.integers(2)) * full.size[1])
    combine = ImageChops.add_modulo if dark else ImageChops.subtract_modulo
    for box in _blocks(full.size, block):
        far = math.dist((box[0] + block / 2, box[1] + block / 2), corner) / math.hypot(*full.size)
        tile = _tile(kind, cell, block, _FADE[min(len(_FADE) - 1, int(far * len(_FADE)))])
        # Block by block, in place: a full-size pattern layer would mean two more 3 MB allocations a
        # card, and with glibc's default heap trimming those page-fault (measured ~3x slower).
        region = full.crop(box)
        full.paste(
            combine(region, tile if region.size == tile.size else tile.crop((0, 0, *region.size))), box
        )
    return full


def _blocks(size: tuple[int, int], side: int) -> list[tuple[int, int, int, int]]:
    """Boxes of a grid of side x side squares covering the canvas, clipped at its right and bottom."""
    return [
        (x, y, min(x + side, size[0]), min(y + side, size[1]))
        for y in range(0, size[1], side)
        for x in range(0, size[0], side)
    ]


TILE_SIDE = 256  # target tile size in pixels (a whole number of pattern periods)
_FADE = tuple(round(PATTERN_DELTA * k) for k in (1.0, 0.85, 0.7, 0.55, 0.42, 0.3))  # strength by distance
PATTERNS = ("dots", "rings", "triangles", "stripes", "plus")
_SUPERSAMPLE = 4


@lru_cache(maxsize=64)
def _tile(kind: str, cell: int, block: int, level: int) -> Image.Image:
    """block x block pixels of a pattern valued 0..level, RGB (cached: callers paste it, never change it)."""
    period = _coverage(kind, cell).point(lambda v: round(v * level / 255))
    mask = Image.new("L", (block, block))
    for box in _blocks(mask.size, cell):
        mask.paste(period, box[:2])
    return Image.merge("RGB", (mask, mask, mask))


@lru_cache(maxsize=32)
def _coverage(kind: str, cell: int) -> Image.Image:
    """Anti-aliased coverage (0..255) of one pattern period, drawn 4x larger and box-filtered down."""
    big = cell * _SUPERSAMPLE
    mask = Image.new("L", (big, big))
    _SHAPES[kind](ImageDraw.Draw(mask), big)
    return mask.resize((cell, cell), Image.Resampling.BOX)


def _dots(draw: ImageDraw.ImageDraw, n: int) -> None:
    """A staggered dot: one in the middle, quarters in the corners."""
    r = n * 0.07
    for cx, cy in ((n / 2, n / 2), (0, 0), (n, 0), (0, n), (n, n)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)


def _rings(draw: ImageDraw.ImageDraw, n: int) -> None:
    """A thin circle outline centred in the cell."""
    r = n * 0.34
    draw.ellipse((n / 2 - r, n / 2 - r, n / 2 + r, n / 2 + r), outline=255, width=max(2, n // 40))


def _triangles(draw: ImageDraw.ImageDraw, n: int) -> None:
    """An upward triangle on the cell's base; neighbours leave downward gaps between them."""
    draw.polygon([(0, n), (n, n), (n / 2, 0)], fill=255)


def _stripes(draw: ImageDraw.ImageDraw, n: int) -> None:
    """A 45-degree band, drawn three times so it wraps seamlessly into the neighbouring cells."""
    band = n * 0.2
    for dx in (-n, 0, n):
        draw.polygon([(dx, 0), (dx + band, 0), (dx + band + n, n), (dx + n, n)], fill=255)


def _plus(draw: ImageDraw.ImageDraw, n: int) -> None:
    """A small plus sign in the middle of the cell."""
    arm, stroke = n * 0.09, max(2, n // 36)
    draw.rectangle((n / 2 - arm, n / 2 - stroke, n / 2 + arm, n / 2 + stroke), fill=255)
    draw.rectangle((n / 2 - stroke, n / 2 - arm, n / 2 + stroke, n / 2 + arm), fill=255)


_SHAPES: MappingProxyType[str, Callable[[ImageDraw.ImageDraw, int], None]] = MappingProxyType(
    {"dots": _dots, "rings": _rings, "triangles": _triangles, "stripes": _stripes, "plus": _plus}
)
