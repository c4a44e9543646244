"""Image layers: a user's image (product photo, logo, avatar) fitted into a layer's box.

    fit = "cover"     fills the box; the overflow is cut around `focus` (x, y in 0..1 of the image),
                      so a product photo shot off-centre keeps its subject in view
    fit = "contain"   the whole image inside the box, placed by `align` / `valign` (a logo flush
                      with the text it sits next to)
    radius            rounded corners, in reference pixels like every other length
    shadow            a soft drop shadow under the image's shape (transparent pixels cast none)

Pure: the pipeline resolves the field's value to pixels (Canvas.images) before compose runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .layers import Box, Direction, place
from .templates import PLACEHOLDER, Layer

# Shrinking a large photo by a big factor first with a box filter, then with Lanczos over the last
# REDUCING_GAP times, looks the same and costs a fraction (a 1600 px photo into a 122 px box).
REDUCING_GAP = 2.0
SHADOW_OPACITY = 0.38
SHADOW_BLUR = 0.035  # of the image's shorter side
SHADOW_DROP = 0.025  # how far down the shadow falls, of the shorter side


@dataclass(frozen=True)
class ImagePlan:
    """An image layer laid out: the fitted pixels (RGBA, corners cut) and where they go."""

    layer: Layer
    pixels: Image.Image
    at: tuple[int, int]  # top-left corner on the canvas

    @property
    def box(self) -> Box:
        return (self.at[0], self.at[1], self.pixels.width, self.pixels.height)

    @property
    def reach(self) -> tuple[int, int]:
        """The rows drawing this layer may touch, [top, bottom): the image and its shadow."""
        blur, drop = _shadow_extent(self.pixels.size) if self.layer.shadow else (0, 0)
        return self.at[1] - 3 * blur, self.at[1] + self.pixels.height + drop + 3 * blur

    def draw(self, image: Image.Image) -> None:
        if self.layer.shadow:
            _draw_shadow(image, self.pixels, self.at)
        image.paste(self.pixels, self.at, self.pixels)


def plan_from_images(
    layer: Layer, box: Box, images: Mapping[str, Image.Image], scale: float, direction: Direction = "ltr"
) -> ImagePlan | None:
    """The kind registry's planner (kinds.py): None when the layer's field has no image."""
    source = images.get(field_of(layer))
    return plan_image(layer, box, source, scale, direction) if source is not None else None


def field_of(layer: Layer) -> str:
    """The image field an image layer draws ("{logo}" -> "logo")."""
    match = PLACEHOLDER.fullmatch(layer.image)
    return match.group(1) if match else ""


def plan_image(
    layer: Layer, box: Box, source: Image.Image, scale: float, direction: Direction = "ltr"
) -> ImagePlan | None:
    """The image fitted into `box` (canvas pixels); None when the box has no whole pixel. A
    contained image's "start" is the right edge of its box on a right-to-left card; the image
    itself is never flipped (a logo or product reads the same either way)."""
    if box[2] < 1 or box[3] < 1:
        return None
    if layer.fit == "cover":
        size = (max(1, round(box[2])), max(1, round(box[3])))
        pixels = cover(source, size, layer.focus)
        at = (round(box[0]), round(box[1]))
    else:
        pixels = contain(source, (box[2], box[3]))
        x, y, _, _ = place(box, pixels.width, pixels.height, layer.align, layer.valign, direction)
        at = (round(x), round(y))
    if layer.radius > 0:
        pixels = rounded(pixels, layer.radius * scale)
    return ImagePlan(layer, pixels, at)


def cover(source: Image.Image, size: tuple[int, int], focus: tuple[float, float]) -> Image.Image:
    """RGBA exactly `size`: scaled to cover it, the cut placed so `focus` is as central as it can be."""
    width, height = size
    factor = max(width / source.width, height / source.height)
    scaled = (max(width, math.ceil(source.width * factor)), max(height, math.ceil(source.height * factor)))
    left = _offset(scaled[0], width, focus[0])
    top = _offset(scaled[1], height, focus[1])
    # Only the part that is kept is resized; the crop box in source pixels keeps the cut exact.
    crop = (left / factor, top / factor, (left + width) / factor, (top + height) / factor)
    resized = source.resize(size, Image.Resampling.LANCZOS, box=crop, reducing_gap=REDUCING_GAP)
    return resized.convert("RGBA")


def contain(source: Image.Image, size: tuple[float, float]) -> Image.Image:
    """RGBA as large as fits inside `size` with the image's aspect kept."""
    factor = min(size[0] / source.width, size[1] / source.height)
    fitted = (max(1, round(source.width * factor)), max(1, round(source.height * factor)))
    return source.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP).convert("RGBA")


def rounded(pixels: Image.Image, radius: float) -> Image.Image:
    """The image with its corners cut to `radius` (at most half the shorter side), antialiased."""
    radius = min(radius, pixels.width / 2, pixels.height / 2)
    over = 4  # the mask is drawn 4x larger and shrunk: smooth corners without a dependency
    mask = Image.new("L", (pixels.width * over, pixels.height * over), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, mask.width - 1, mask.height - 1), radius=round(radius * over), fill=255
    )
    mask = mask.reduce(over)
    out = pixels.copy()
    out.putalpha(ImageChops.multiply(pixels.getchannel("A"), mask))
    return out


def _offset(scaled: int, wanted: int, focus: float) -> int:
    """Where the cut starts along one axis: centred on `focus`, kept inside the scaled image."""
    return max(0, min(scaled - wanted, round(focus * scaled - wanted / 2)))


def _shadow_extent(size: tuple[int, int]) -> tuple[int, int]:
    short = min(size)
    return max(1, round(short * SHADOW_BLUR)), max(1, round(short * SHADOW_DROP))


def _draw_shadow(image: Image.Image, pixels: Image.Image, at: tuple[int, int]) -> None:
    """A blurred, darkened copy of the image's shape, dropped below it."""
    blur, drop = _shadow_extent(pixels.size)
    pad = 3 * blur
    shape = Image.new("L", (pixels.width + 2 * pad, pixels.height + 2 * pad), 0)
    shape.paste(pixels.getchannel("A").point(lambda a: round(a * SHADOW_OPACITY)), (pad, pad))
    shape = shape.filter(ImageFilter.GaussianBlur(blur))
    left, top = at[0] - pad, at[1] - pad + drop
    image.paste((8, 8, 16), (left, top, left + shape.width, top + shape.height), shape)
