"""Legibility is measured, not hoped for: worst-case WCAG contrast of text over a background region.

The region is read through a fixed pseudo-random sample of its pixels (no averaging, so a busy
black-and-white pattern stays black and white, and no regular grid that a periodic pattern could
alias with). The worst case is a low percentile of the per-pixel contrast (the 1st, estimated
conservatively from the sample), so a few stray specks do not condemn a region. When no plain
text colour reaches the target, a scrim (translucent panel or soft gradient) is computed with the
least 8-bit opacity that does, by replaying Pillow's own blending arithmetic on the samples. A scrim
that is drawn anyway aims higher (AIM_RATIO, WCAG AAA) when that takes no more than MAX_AIM_OPACITY:
a scrim that barely reaches 4.5:1 looks weak on light gradients, and a stronger one costs nothing
more in clutter. Panels fade out over their padding instead of ending in a hard edge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .color import NEAR_BLACK, RGB, WHITE, contrast_ratio, luminance_array, relative_luminance
from .pixels import pixels

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive

SAMPLES = 4096  # pixels read per region when it has more
# The worst case ignores the rarest 1% of a region's pixels (anti-aliasing specks, grain). From a
# sample, the 0.5th percentile is used instead: ~20 of 4096 samples where ~41 are expected below the
# region's 1st percentile, i.e. 3 standard deviations, so the estimate errs on the safe side.
SAMPLED_PERCENTILE = 0.5
MAX_SCRIM_PADDING = 32  # a scrim panel never reaches further than this beyond its text
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
    radius: int = 12
    soft: bool = True  # a panel that fades out over its padding (else a hard-edged one)

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
    return _with_scrim(pixels, box, preferred, min_ratio, aim)


def scrim_behind(background: Image.Image, box: Box, text_rgb: RGB, min_ratio: float) -> Legibility:
    """The lightest scrim that makes text of this fixed colour (model lettering) reach min_ratio: a
    hard-edged panel, full over its padding, since lettering's ink may reach the edges of its box."""
    legibility = _scrim_for(sample(background, box), text_rgb, min_ratio, _scrim_padding(box), min_ratio)
    assert legibility.scrim is not None
    return replace(legibility, scrim=replace(legibility.scrim, soft=False))


def _scrim_padding(box: Box) -> int:
    return max(8, min(MAX_SCRIM_PADDING, round(min(box[2] - box[0], box[3] - box[1]) * 0.15)))


def _with_scrim(
    pixels: np.ndarray, box: Box, preferred: RGB | None, min_ratio: float, aim: float
) -> Legibility:
    """The text colour and scrim needing the least opacity; the brand colour wins unless it needs a lot."""
    padding = _scrim_padding(box)
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


def apply_scrim(image: Image.Image, box: Box, scrim: Scrim) -> None:
    """Draw the scrim behind box, in place: a rounded panel, or a gradient fading in above the box.
    Only the part on the image is drawn (text may overflow a tiny canvas)."""
    x0, y0 = box[0], box[1]
    x1, y1 = max(x0, box[2]), max(y0, box[3])  # an inverted box is an empty one
    pad = scrim.padding
    if scrim.shape == "panel":
        region = (max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad))
    else:  # full width, from 4 paddings above the box to 1 below it
        region = (0, max(0, y0 - 4 * pad), image.width, min(image.height, y1 + pad))
    if region[2] <= region[0] or region[3] <= region[1]:
        return
    if scrim.shape == "panel" and scrim.soft:
        mask = _soft_panel_mask(region, (x0, y0, x1, y1), scrim)
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


def _soft_panel_mask(region: Box, box: Box, scrim: Scrim) -> Image.Image:
    """A rounded panel, full for a third of the padding beyond the box (glyphs overshoot their
    block a little) and fading to nothing at the full padding: a Gaussian blur of a panel reaching
    two thirds of the padding, 3 sigma either side. Full alpha over the box, whatever the blur."""
    pad, (x0, y0, x1, y1) = scrim.padding, box
    mask = Image.new("L", (region[2] - region[0], region[3] - region[1]))
    reach = 2 * pad / 3
    outline = (
        round(x0 - reach) - region[0],
        round(y0 - reach) - region[1],
        round(x1 + reach) - region[0] - 1,
        round(y1 + reach) - region[1] - 1,
    )
    ImageDraw.Draw(mask).rounded_rectangle(outline, radius=round(scrim.radius * 2 / 3), fill=scrim.alpha)
    mask = mask.filter(ImageFilter.GaussianBlur(pad / 9))
    inner = (x0 - region[0], y0 - region[1], x1 - region[0] - 1, y1 - region[1] - 1)
    if inner[2] >= inner[0] and inner[3] >= inner[1]:
        ImageDraw.Draw(mask).rectangle(inner, fill=scrim.alpha)
    return mask


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
