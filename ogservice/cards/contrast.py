"""Legibility is measured, not hoped for: worst-case WCAG contrast of text over a background region.

The region is read through a fixed pseudo-random sample of its pixels (no averaging, so a busy
black-and-white pattern stays black and white, and no regular grid that a periodic pattern could
alias with). The worst case is a low percentile of the per-pixel contrast (the 1st, estimated
conservatively from the sample), so a few stray specks do not condemn a region. When no plain
text colour reaches the target, a scrim (translucent panel or soft gradient) is computed with the
least 8-bit opacity that does, by replaying Pillow's own blending arithmetic on the samples. A scrim
that is drawn anyway aims higher (AIM_RATIO, WCAG AAA) when that takes no more than MAX_AIM_OPACITY:
a scrim that barely reaches 4.5:1 looks weak on light gradients, and a stronger one costs nothing
more in clutter.

A soft scrim is light falling off, not a panel pasted on the card: full over the text's own box
(where its contrast was measured), then fading along a Gaussian bell to nothing at its padding,
measured from the box, so its corners are round and its edges have no visible line. The padding is
a few percent of the canvas's short side (SCRIM_FEATHER: a 32-pixel fade read as a box's edge on a
1920x1080 hero), but at most half the text's height (a small label gets a halo, not a cloud).
Lettering gets a hard-edged panel instead (see `scrim_behind`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from .color import NEAR_BLACK, RGB, WHITE, contrast_ratio, luminance_array, relative_luminance
from .pixels import pixels

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive

SAMPLES = 4096  # pixels read per region when it has more
# The worst case ignores the rarest 1% of a region's pixels (anti-aliasing specks, grain). From a
# sample, the 0.5th percentile is used instead: ~20 of 4096 samples where ~41 are expected below the
# region's 1st percentile, i.e. 3 standard deviations, so the estimate errs on the safe side.
SAMPLED_PERCENTILE = 0.5
MAX_PANEL_PADDING = 32  # a hard-edged panel (behind lettering) never reaches further beyond its text
MIN_SCRIM_PADDING = 8
SCRIM_FEATHER = 0.10  # a soft scrim fades out over at most this fraction of the canvas's short side
SCRIM_TEXT_REACH = 0.5  # ...and over at most this fraction of its text's height (or width)
MAX_SPREAD = 2.0  # sideways, over at most this many times as far (see `_spread`)
MAX_BRAND_SCRIM = 0.6  # above this opacity a neutral text colour is kept instead of the brand colour
AIM_RATIO = 7.0  # what a scrim that is needed anyway aims for (WCAG AAA)
MAX_AIM_OPACITY = 0.85  # a scrim goes no darker than this for AIM_RATIO (it always does for the minimum)
DARK_SCRIM: RGB = (8, 8, 12)
LIGHT_SCRIM: RGB = WHITE


@dataclass(frozen=True)
class Scrim:
    """A translucent panel or gradient behind text; opacity is a multiple of 1/255 (8-bit alpha)."""

    rgb: RGB
    opacity: float
    shape: Literal["panel", "gradient"] = "panel"
    padding: int = 12
    radius: int = 12  # of a hard-edged panel's corners
    soft: bool = True  # fading out over its padding, from full at the box (else a hard-edged panel)
    spread: float = 1.0  # a soft scrim's fade sideways, in paddings (wider on a landscape canvas)

    @property
    def reach_x(self) -> int:
        """How far a soft scrim fades out sideways (the padding, else)."""
        return round(self.padding * self.spread) if self.soft else self.padding

    @property
    def alpha(self) -> int:
        """Opacity as the 8-bit mask value Pillow blends with."""
        return round(self.opacity * 255)


@dataclass(frozen=True)
class Legibility:
    """The text colour to use, the scrim it needs (if any), and the worst-case contrast achieved."""

    text_rgb: RGB
    scrim: Scrim | None
    ratio: float


def measure_contrast(background: Image.Image, box: Box, text_rgb: RGB) -> float:
    """Worst-case (1st percentile) WCAG contrast between text_rgb and the background inside box."""
    return _worst(luminance_array(sample(background, box)), relative_luminance(text_rgb))


def mean_color(pixels: np.ndarray) -> RGB:
    """The average colour of sampled pixels (see `sample`)."""
    count = max(1, len(pixels))
    # One channel at a time: numpy sums a (n, 3) array along axis 0 ~7x slower than three columns.
    red, green, blue = (round(int(pixels[:, c].sum(dtype=np.uint64)) / count) for c in range(3))
    return red, green, blue


def choose_legible(
    background: Image.Image,
    box: Box,
    preferred: RGB | None = None,
    min_ratio: float = 4.5,
    pixels: np.ndarray | None = None,
    aim: float = AIM_RATIO,
) -> Legibility:
    """Preferred colour if it reads; else white or near-black; else a scrim that makes it read, as
    strong as `aim` needs up to MAX_AIM_OPACITY, and never weaker than min_ratio needs.

    `pixels` may pass in `sample(background, box)` when the caller has already taken it.
    """
    pixels = sample(background, box) if pixels is None else pixels
    lum = luminance_array(pixels)
    if preferred is not None and (ratio := _worst(lum, relative_luminance(preferred))) >= min_ratio:
        return Legibility(preferred, None, ratio)
    plain = [(c, _worst(lum, relative_luminance(c))) for c in (WHITE, NEAR_BLACK)]  # only when needed
    best = max(plain, key=lambda pair: pair[1])
    if best[1] >= min_ratio:
        return Legibility(best[0], None, best[1])
    legibility = _with_scrim(pixels, _soft_padding(box, background.size), preferred, min_ratio, aim)
    assert legibility.scrim is not None
    return replace(legibility, scrim=replace(legibility.scrim, spread=_spread(*background.size)))


def scrim_behind(background: Image.Image, box: Box, text_rgb: RGB, min_ratio: float) -> Legibility:
    """The lightest scrim that makes text of this fixed colour (model lettering) reach min_ratio: a
    hard-edged panel, full over its padding, since lettering's ink may reach the edges of its box."""
    padding = max(MIN_SCRIM_PADDING, min(MAX_PANEL_PADDING, round(_short_side(box) * 0.15)))
    legibility = _scrim_for(sample(background, box), text_rgb, min_ratio, padding, min_ratio)
    assert legibility.scrim is not None
    return replace(legibility, scrim=replace(legibility.scrim, soft=False))


def scrim_reach(width: int, height: int) -> int:
    """How far beyond its text a soft scrim may reach on a width x height canvas (the rows a text
    layer may touch, for the band encoder, include this)."""
    return max(MIN_SCRIM_PADDING, round(min(width, height) * SCRIM_FEATHER))


def _soft_padding(box: Box, canvas: tuple[int, int]) -> int:
    """A soft scrim's fade: a few percent of the canvas, at most half the text's short side."""
    return min(scrim_reach(*canvas), max(MIN_SCRIM_PADDING, round(_short_side(box) * SCRIM_TEXT_REACH)))


def _spread(width: int, height: int) -> float:
    """A soft scrim fades out sideways over more than its padding on a landscape canvas, in
    proportion to it (up to MAX_SPREAD): an ellipse that follows the card, and a long, gentle
    fade across the wide side, where a short one reads as the edge of a box."""
    return min(MAX_SPREAD, max(1.0, width / height))


def _short_side(box: Box) -> int:
    return min(box[2] - box[0], box[3] - box[1])


def _with_scrim(
    pixels: np.ndarray, padding: int, preferred: RGB | None, min_ratio: float, aim: float
) -> Legibility:
    """The text colour and scrim needing the least opacity; the brand colour wins unless it needs a lot."""
    if preferred is not None:
        brand = _scrim_for(pixels, preferred, min_ratio, padding, aim)
        if brand.ratio >= min_ratio and brand.scrim is not None and brand.scrim.opacity <= MAX_BRAND_SCRIM:
            return brand
    options = [_scrim_for(pixels, c, min_ratio, padding, aim) for c in (WHITE, NEAR_BLACK)]
    return min(options, key=lambda c: (c.ratio < min_ratio, c.scrim.opacity if c.scrim else 0.0))


def _scrim_for(pixels: np.ndarray, text: RGB, min_ratio: float, padding: int, aim: float) -> Legibility:
    """A dark (for light text) or light (for dark text) scrim: the least 8-bit alpha reaching `aim`
    if that is at most MAX_AIM_OPACITY, else the larger of that cap and what min_ratio needs."""
    dark = contrast_ratio(text, DARK_SCRIM) >= contrast_ratio(text, LIGHT_SCRIM)
    scrim_rgb, text_lum = (DARK_SCRIM if dark else LIGHT_SCRIM), relative_luminance(text)
    alpha = _least_alpha(pixels, scrim_rgb, text_lum, min_ratio, 0)
    if aim > min_ratio:
        cap = round(MAX_AIM_OPACITY * 255)
        alpha = max(alpha, _least_alpha(pixels, scrim_rgb, text_lum, aim, alpha, cap))
    ratio = _worst(luminance_array(blend(pixels, scrim_rgb, alpha)), text_lum)
    return Legibility(text, Scrim(scrim_rgb, alpha / 255, padding=padding, radius=padding), ratio)


def _least_alpha(
    pixels: np.ndarray, scrim_rgb: RGB, text_lum: float, ratio: float, lo: int, hi: int = 255
) -> int:
    """Least alpha in [lo, hi] whose blend reaches `ratio` (hi when none does)."""
    while lo < hi:  # contrast only grows with alpha (pixels move away from the text), so bisect
        mid = (lo + hi) // 2
        if _worst(luminance_array(blend(pixels, scrim_rgb, mid)), text_lum) >= ratio:
            hi = mid
        else:
            lo = mid + 1
    return lo


def blend(pixels: np.ndarray, rgb: RGB, alpha: int) -> np.ndarray:
    """Pixels after Pillow pastes `rgb` over them through an 8-bit mask value (its exact rounding)."""
    value = pixels.astype(np.int32) * (255 - alpha) + np.array(rgb, np.int32) * alpha + 128
    return ((value + (value >> 8)) >> 8).astype(np.uint8)


def apply_scrim(image: Image.Image, box: Box, scrim: Scrim, parts: Sequence[Box] = ()) -> None:
    """Draw the scrim behind box, in place: a soft fall-off or a hard rounded panel, or a gradient
    fading in above the box. Only the part on the image is drawn (text may overflow a tiny canvas).
    A soft scrim may be full over `parts` only (boxes inside `box`: a group's blocks), fading out
    from the nearest of them."""
    x0, y0 = box[0], box[1]
    x1, y1 = max(x0, box[2]), max(y0, box[3])  # an inverted box is an empty one
    pad, pad_x = scrim.padding, scrim.reach_x
    if scrim.shape == "panel":
        region = (
            max(0, x0 - pad_x),
            max(0, y0 - pad),
            min(image.width, x1 + pad_x),
            min(image.height, y1 + pad),
        )
    else:  # full width, from 4 paddings above the box to 1 below it
        region = (0, max(0, y0 - 4 * pad), image.width, min(image.height, y1 + pad))
    if region[2] <= region[0] or region[3] <= region[1]:
        return
    if scrim.shape == "panel" and scrim.soft:
        inside = [p for p in parts if p[2] > p[0] and p[3] > p[1]] or [(x0, y0, x1, y1)]
        mask = _falloff_mask(region, inside, scrim)
    elif scrim.shape == "panel":
        mask = Image.new("L", (region[2] - region[0], region[3] - region[1]))
        outline = (
            x0 - pad - region[0],
            y0 - pad - region[1],
            x1 + pad - region[0] - 1,
            y1 + pad - region[1] - 1,
        )
        ImageDraw.Draw(mask).rounded_rectangle(outline, radius=scrim.radius, fill=scrim.alpha)
    else:
        mask = _gradient_mask(region, y0, scrim)
    image.paste(scrim.rgb, region, mask)


def _falloff_mask(region: Box, boxes: Sequence[Box], scrim: Scrim) -> Image.Image:
    """Full alpha over each box, fading with the distance from the nearest along a Gaussian bell
    (sigma half the padding, lowered to end at exactly zero at the padding; sideways, `spread`
    paddings): flat at a box, so glyphs that overshoot their block keep nearly all of it, and
    elliptical at the corners."""
    pad, pad_x = max(1, scrim.padding), max(1, scrim.reach_x)
    columns = np.arange(region[0], region[2]) + 0.5  # pixel centres
    rows = np.arange(region[1], region[3]) + 0.5
    mask = np.zeros((len(rows), len(columns)), np.uint8)
    for x0, y0, x1, y1 in boxes:  # where they meet, the nearer box's (the stronger) value
        dx = np.maximum(np.maximum(x0 - columns, columns - x1), 0.0) / pad_x
        dy = np.maximum(np.maximum(y0 - rows, rows - y1), 0.0) / pad
        own = np.empty_like(mask)
        beside = dy == 0  # the rows level with the box fade with dx alone: one row, repeated
        own[beside] = _fade(dx, scrim.alpha)
        own[~beside] = _fade(np.hypot(dy[~beside, None], dx[None, :]), scrim.alpha)  # round corners
        np.maximum(mask, own, out=mask)
    return Image.fromarray(mask)


_LEVELS = 1024  # steps of the fall-off table: far finer than 8-bit alpha needs over any padding


def _fade(distance: np.ndarray, alpha: int) -> np.ndarray:
    """8-bit mask values at these distances from the box, in paddings (0 inside it)."""
    index = np.minimum(distance * (_LEVELS - 1) + 0.5, _LEVELS).astype(np.intp)
    return _bell(alpha)[index]


@lru_cache(maxsize=256)
def _bell(alpha: int) -> np.ndarray:
    """`alpha` at distance 0 falling along exp(-2 d^2) (sigma half the padding), lowered to end at
    exactly 0 at d = 1; one more entry, 0, for anything further."""
    distances = np.linspace(0.0, 1.0, _LEVELS)
    floor = math.exp(-2.0)
    bell = (np.exp(-2.0 * distances**2) - floor) / (1.0 - floor)
    table = np.append(np.round(bell * alpha), 0).astype(np.uint8)
    table.flags.writeable = False
    return table


def _gradient_mask(region: Box, box_top: int, scrim: Scrim) -> Image.Image:
    """The band's mask: clear at its top, full alpha from 1 padding above the box to its bottom."""
    top, bottom = region[1], region[3]
    full = max(0, box_top - scrim.padding)
    rows = np.arange(top, bottom)
    ramp = np.clip((rows - top) / max(1, full - top), 0.0, 1.0) if full > top else np.ones(len(rows))
    strip = Image.fromarray(np.ceil(ramp * scrim.alpha).astype(np.uint8)[:, None])
    return strip.resize((region[2] - region[0], bottom - top), Image.Resampling.NEAREST)


def sample(background: Image.Image, box: Box) -> np.ndarray:
    """(n, 3) uint8 pixels from inside box: all of them if few, else a fixed pseudo-random subset.

    A box with no pixels inside the image (empty, inverted or off the edge) reads the image's pixels
    nearest to it: what text drawn there would stand on, if any of it shows.
    """
    x0, x1 = _nearest_span(box[0], box[2], background.width)
    y0, y1 = _nearest_span(box[1], box[3], background.height)
    rgb = background if background.mode in ("RGB", "RGBA") else background.convert("RGB")
    with pixels(rgb) as view:
        picks = _sample_offsets(x1 - x0, y1 - y0, rgb.width)
        if picks is None:
            return np.ascontiguousarray(view[y0:y1, x0:x1, :3]).reshape(-1, 3)
        return view.reshape(-1, 4).take(picks + (y0 * rgb.width + x0), axis=0)[:, :3]


def _nearest_span(start: int, end: int, size: int) -> tuple[int, int]:
    """[start, end) clipped to [0, size), keeping at least the one position nearest to it."""
    first = min(max(0, start), size - 1)
    return first, max(first + 1, min(size, end))


@lru_cache(maxsize=256)
def _sample_offsets(width: int, height: int, stride: int) -> np.ndarray | None:
    """SAMPLES fixed pseudo-random pixels of a width x height region, as offsets from its top-left
    pixel in an image `stride` pixels wide (None: the region is small, take all)."""
    if width * height <= SAMPLES:
        return None
    picks = np.random.default_rng(0).integers(0, width * height, SAMPLES)
    # row * stride + column, as picks + row * (stride - width): one integer division, not divmod's
    # two (this runs for nearly every text box: their sizes rarely repeat, so the cache misses).
    offsets = picks + (picks // width) * (stride - width)
    offsets.flags.writeable = False
    return offsets


def _worst(lum: np.ndarray, text_lum: float) -> float:
    """Low-percentile WCAG contrast between a text luminance and each sampled background luminance."""
    ratios = (np.maximum(lum, text_lum) + 0.05) / (np.minimum(lum, text_lum) + 0.05)
    rank = int(len(ratios) * (SAMPLED_PERCENTILE if len(ratios) >= SAMPLES else 1.0) / 100)
    return float(np.partition(ratios, rank)[rank])  # the rank-th smallest; no interpolation needed
