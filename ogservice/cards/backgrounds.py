"""Procedural backgrounds: the built-in "model" — unique per seed, deterministic, free, about a millisecond.

Speed comes from never touching full-resolution pixels with numpy: each style computes an OKLab
colour field at 1/8 scale (float, quantised once), and a nearest-neighbour resize makes the full
canvas. On these smooth fields neighbouring 8x8 blocks differ by about one 8-bit step, which is
invisible, and the blocks compress far better as PNG than per-pixel gradients (Pillow's bilinear
upscale alone costs ~6 ms at 1200x630 here; nearest ~0.6 ms). Grain is added at 1/4 scale, which
social sites' own downscaling turns into fine grain. The geometric pattern is the one full-size
layer: cached anti-aliased tiles, added as a flat offset so shapes follow the gradient's colour.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageChops

from ..errors import UnprocessableField
from .color import THEMES, Palette, oklab_array, oklab_to_srgb8_array, palette_from_brand, theme
from .patterns import PATTERN_DELTA, add_pattern

__all__ = ["STYLES", "THEMES", "Palette", "palette_from_brand", "procedural", "seed_from", "theme"]

FIELD_SCALE, GRAIN_SCALE = 8, 4  # the colour field and the grain are computed at 1/8 and 1/4 scale
MIN_FIELD_ROWS = 32  # thin banners get a finer field, so 8-pixel blocks never span a steep change
MAX_SIDE = 8192
STYLES = ("gradient", "mesh", "grain", "geometric", "aurora")
GRAIN_LEVELS = 2  # grain amplitude in 8-bit steps either side: felt, not seen
GRAIN_PERIOD = 32  # grain columns (at grain scale) before the pattern repeats along a row
BLOCK_STEP = 2  # largest 8-bit step between neighbouring field cells that may stay a hard block edge


def seed_from(*parts: str) -> int:
    """A stable 63-bit seed from content (e.g. template, title, URL), so each post keeps its image."""
    digest = hashlib.sha256()
    for part in parts:  # length-prefixed: ("ab", "c") and ("a", "bc") must differ
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big") + data)
    return int.from_bytes(digest.digest()[:8], "big") >> 1


@dataclass(frozen=True)
class Field:
    """Coordinates of the field's grid in units of the longer canvas side; `cell` is one grid step."""

    x: np.ndarray
    y: np.ndarray
    w: float
    h: float
    cell: float

    @classmethod
    def of(cls, width: int, height: int) -> Field:
        side, scale = max(width, height), max(1, min(FIELD_SCALE, min(width, height) // MIN_FIELD_ROWS))
        tw, th = max(2, math.ceil(width / scale)), max(2, math.ceil(height / scale))
        x = ((np.arange(tw) + 0.5) / tw * (width / side)).astype(np.float32)
        y = ((np.arange(th) + 0.5) / th * (height / side)).astype(np.float32)
        return cls(x[None, :], y[:, None], width / side, height / side, scale / side)


def _ramp(t: np.ndarray, palette: Palette) -> np.ndarray:
    """OKLab colour of each t in [0, 1] along the palette's stops (evenly spaced)."""
    return _ramp_table(palette.stops).take((t * (_RAMP_STEPS - 1) + 0.5).astype(np.intp), axis=0)


def _ramp_srgb(t: np.ndarray, palette: Palette) -> np.ndarray:
    """uint8 sRGB of each t along the stops: interpolated in OKLab once per palette, then looked up."""
    return _srgb_table(palette.stops).take((t * (_RAMP_STEPS - 1) + 0.5).astype(np.intp), axis=0)


@lru_cache(maxsize=64)
def _srgb_table(stops: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """Read-only (steps, 3) uint8 sRGB of the OKLab ramp: gradients skip per-pixel colour conversion."""
    table = oklab_to_srgb8_array(_ramp_table(stops))
    table.flags.writeable = False
    return table


_RAMP_STEPS = 1024


@lru_cache(maxsize=64)
def _ramp_table(stops: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """Read-only (steps, 3) OKLab samples along the stops: a lookup instead of three np.interp a pixel."""
    lab = _stops_lab(stops)
    t, pos = np.linspace(0.0, 1.0, _RAMP_STEPS), np.linspace(0.0, 1.0, len(lab))
    table = np.stack([np.interp(t, pos, lab[:, k]) for k in range(3)], axis=-1).astype(np.float32)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=64)
def _stops_lab(stops: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """Read-only (n, 3) float32 OKLab of palette stops, converted once per palette."""
    lab = oklab_array(stops).astype(np.float32)
    lab.flags.writeable = False
    return lab


def _linear_t(rng: np.random.Generator, f: Field) -> np.ndarray:
    """Position along a random direction, 0 at one canvas corner and 1 at the opposite one."""
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(angle), math.sin(angle)
    corners = [cx * dx + cy * dy for cx in (0, f.w) for cy in (0, f.h)]
    t = (f.x * dx + f.y * dy - min(corners)) / (max(corners) - min(corners))
    return t * t * (3 - 2 * t)  # smoothstep: no hard start or end to the ramp


def _blob(f: Field, cx: float, cy: float, radius: float) -> np.ndarray:
    """exp(-d²/r²) around (cx, cy), computed separably: two 1-D exps and an outer product."""
    return np.exp(-((f.y - cy) ** 2) / radius**2) * np.exp(-((f.x - cx) ** 2) / radius**2)


def _glow(rng: np.random.Generator, f: Field, srgb: np.ndarray, strength: float) -> np.ndarray:
    """A soft pool of light (strength > 0: toward white) or shade (< 0: toward black), for depth."""
    pool = _blob(f, rng.uniform(0, f.w), rng.uniform(0, f.h), rng.uniform(0.3, 0.6))[..., None] * abs(
        strength
    )
    values = srgb.astype(np.float32)
    values += (255 - values) * pool if strength > 0 else -values * pool
    return (values + 0.5).astype(np.uint8)


def _gradient(rng: np.random.Generator, f: Field, palette: Palette) -> np.ndarray:
    """Multi-stop linear gradient at a random angle with a faint glow."""
    return _glow(rng, f, _ramp_srgb(_linear_t(rng, f), palette), 0.07 if palette.dark else -0.03)


def _mesh(rng: np.random.Generator, f: Field, palette: Palette) -> np.ndarray:
    """Mesh gradient: a few large soft colour blobs melting into a gradient base."""
    lab = _ramp(_linear_t(rng, f), palette) * np.float32(0.35)
    weight = np.full(lab.shape[:2], 0.35, np.float32)
    colors = _stops_lab(palette.stops)
    for _ in range(int(rng.integers(3, 6))):
        centre = (rng.uniform(-0.1, f.w + 0.1), rng.uniform(-0.1, f.h + 0.1))
        blob = _blob(f, *centre, rng.uniform(0.17, 0.42))
        weight += blob
        for channel, value in enumerate(colors[rng.integers(len(colors))]):
            lab[..., channel] += blob * value
    lab /= weight[..., None]
    return oklab_to_srgb8_array(lab)


def _soft(rng: np.random.Generator, f: Field, palette: Palette) -> np.ndarray:
    """A calm two-tone gradient between neighbouring stops, for patterns and grain to sit on."""
    first = int(rng.integers(len(palette.stops) - 1))
    pair = Palette(palette.name, palette.stops[first : first + 2])
    return _glow(rng, f, _ramp_srgb(_linear_t(rng, f), pair), 0.05 if palette.dark else -0.03)


def _vertical(rng: np.random.Generator, f: Field, palette: Palette) -> np.ndarray:
    """A top-to-bottom (or bottom-to-top) gradient: rows of one colour, which keeps grain cheap as PNG."""
    t = np.broadcast_to(f.y / f.h, (f.y.shape[0], f.x.shape[1]))
    return _ramp_srgb(1 - t if rng.random() < 0.5 else t, palette)


def _aurora(rng: np.random.Generator, f: Field, palette: Palette) -> np.ndarray:
    """Northern-lights ribbons: wavy luminous bands over the palette's first stop."""
    colors = _stops_lab(palette.stops)
    planes = [np.full((f.y.shape[0], f.x.shape[1]), value, np.float32) for value in colors[0]]
    below = np.float32(1 / max(0.045, 7 * f.cell))  # a sharp lower edge, but spread over 7+ cells
    for k in range(int(rng.integers(2, 4))):
        centre = rng.uniform(0.25, 0.75) * f.h + 0.045 * np.sin(rng.uniform(3, 6) * f.x + rng.uniform(0, 6.3))
        d = f.y - centre
        band = _bump(d * np.where(d > 0, below, np.float32(1 / rng.uniform(0.12, 0.22))))  # long glow upward
        band *= np.float32(rng.uniform(0.5, 0.85))
        for plane, value in zip(planes, colors[1 + k % (len(colors) - 1)], strict=True):
            plane += band * (value - plane)
    return oklab_to_srgb8_array(np.stack(planes, axis=-1))


def _bump(z: np.ndarray) -> np.ndarray:
    """(1 - z²/4)⁴ for |z| < 2, else 0: a Gaussian look-alike made of multiplications (exp is slow)."""
    s = np.maximum(0.0, 1.0 - z * z / 4)
    s = s * s
    return s * s


_FIELDS: MappingProxyType[str, Callable[[np.random.Generator, Field, Palette], np.ndarray]] = (
    MappingProxyType(
        {"gradient": _gradient, "mesh": _mesh, "grain": _vertical, "geometric": _soft, "aurora": _aurora}
    )
)


def procedural(
    width: int, height: int, *, seed: int, style: str = "auto", palette: Palette | None = None
) -> Image.Image:
    """An RGB background; the same arguments always give the same pixels."""
    _check(width, height, seed)
    kind = STYLES[seed % len(STYLES)] if style == "auto" else style
    if kind not in _FIELDS:
        raise UnprocessableField(f"unknown background style {style!r}; choose auto or one of: {STYLES}")
    pal = palette or tuple(THEMES.values())[(seed // len(STYLES)) % len(THEMES)]
    rng = np.random.default_rng([seed, STYLES.index(kind)])
    srgb = _FIELDS[kind](rng, Field.of(width, height), pal)  # uint8 sRGB at field scale
    if kind == "geometric":  # headroom, so adding the pattern can never wrap around
        srgb = np.clip(srgb, PATTERN_DELTA, 255 - PATTERN_DELTA)
    small = Image.fromarray(srgb)
    if kind == "grain":
        grain_scale = min(GRAIN_SCALE, max(1, min(width, height) // MIN_FIELD_ROWS))
        small = small.resize(
            (math.ceil(width / grain_scale), math.ceil(height / grain_scale)), Image.Resampling.NEAREST
        )
        small = ImageChops.add(small, _grain(small.size, seed), 1.0, -GRAIN_LEVELS)  # grain hides steps
    else:
        small = _smooth_steep_axes(small, srgb, width, height)
    full = small.resize((width, height), Image.Resampling.NEAREST)
    return add_pattern(full, rng, pal.dark) if kind == "geometric" else full


def _smooth_steep_axes(small: Image.Image, srgb: np.ndarray, width: int, height: int) -> Image.Image:
    """Interpolate the field bilinearly along any axis where nearest-neighbour blocks would show.

    Gentle fields (most) go straight to the cheap nearest upscale. Where neighbouring cells differ
    by more than BLOCK_STEP levels, the blocks' edges would be visible at 100% zoom, so that axis
    is first interpolated just finely enough that neighbouring blocks differ by BLOCK_STEP at most
    (a cell 3 levels from the next is cut in 2, a steep aurora edge of 16 in 8): the same rule as
    for gentle fields, at a fraction of a full-resolution interpolation's cost (~0.1 against 0.6 ms).
    """
    values = srgb.astype(np.int16)
    step_x = int(np.abs(np.diff(values, axis=1)).max()) if values.shape[1] > 1 else 0
    step_y = int(np.abs(np.diff(values, axis=0)).max()) if values.shape[0] > 1 else 0
    split_x = min(math.ceil(step_x / BLOCK_STEP), math.ceil(width / small.width))
    split_y = min(math.ceil(step_y / BLOCK_STEP), math.ceil(height / small.height))
    if split_x <= 1 and split_y <= 1:
        return small
    size = (min(width, small.width * max(1, split_x)), min(height, small.height * max(1, split_y)))
    return small.resize(size, Image.Resampling.BILINEAR)


def _check(width: int, height: int, seed: int) -> None:
    """Refuse sizes and seeds the generator cannot honour, before any work."""
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"background size {width}x{height} is outside 1..{MAX_SIDE}")
    if seed < 0:
        raise ValueError("seed must be non-negative (see seed_from)")


def _grain(size: tuple[int, int], seed: int) -> Image.Image:
    """Monochrome grain, 0..2*GRAIN_LEVELS, repeating every GRAIN_PERIOD columns.

    Per-pixel noise is what PNG compresses worst (a fully random grain costs ~90 KB at 1200x630).
    Over a vertical gradient every row is constant, so grain that repeats along the row gives
    deflate long matches (~40 KB); at this amplitude the 128-pixel repeat cannot be seen.
    """
    noise = np.random.default_rng([seed, 99]).integers(
        0, 2 * GRAIN_LEVELS + 1, (size[1], GRAIN_PERIOD), np.uint8
    )
    layer = Image.fromarray(
        np.ascontiguousarray(np.tile(noise, (1, -(-size[0] // GRAIN_PERIOD)))[:, : size[0]])
    )
    return Image.merge("RGB", (layer, layer, layer))
