"""Turn a model's lettering image into a trimmed RGBA layer, and fit that layer into a text box.

A transparent image (Ideogram 3.0 generate-transparent, gpt-image with background=transparent) is
kept as it is. An opaque one was asked for a flat solid background: the background is estimated
from the border (a plane fit, so a slight gradient is removed too), alpha is the colour distance
from it on a soft ramp, and the ink colour is un-premultiplied so edges do not keep a halo.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from ogservice.cards.layers import place

# Alpha at or below this is "no ink" when trimming (anti-aliasing fringe and JPEG noise).
TRIM_ALPHA = 8
# An image counts as transparent when this share of its pixels is see-through.
TRANSPARENT_SHARE = 0.01
BORDER_SHARE = 0.03  # the ring of the image taken as background, per side
NOISE_MARGIN = 12.0  # colour distance (0-441) added above the border's own noise


class LetteringImageError(ValueError):
    """The model's image cannot become a lettering layer (not an image, or no ink in it)."""


def isolate(image_bytes: bytes) -> Image.Image:
    """The lettering in a model's image as an RGBA layer trimmed to its ink."""
    image = decode(image_bytes)
    rgba = image if has_transparency(image) else key_out_background(image)
    return trim(rgba)


def decode(image_bytes: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(image_bytes)) as opened:
            opened.load()
            return opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise LetteringImageError(f"the lettering is not a readable image: {exc}") from None


def has_transparency(rgba: Image.Image) -> bool:
    alpha = np.asarray(rgba.getchannel("A"))
    return float(np.mean(alpha < 250)) >= TRANSPARENT_SHARE


def key_out_background(rgba: Image.Image) -> Image.Image:
    """Alpha from the distance to the estimated background; colours un-premultiplied against it."""
    rgb = np.asarray(rgba.convert("RGB"), dtype=np.float32)
    background = background_plane(rgb)
    distance = np.linalg.norm(rgb - background, axis=2)
    alpha = alpha_ramp(distance, border_mask(rgb.shape[:2]))
    safe = np.maximum(alpha, 1e-3)[..., None]
    ink = np.clip((rgb - (1.0 - alpha[..., None]) * background) / safe, 0, 255)
    out = np.dstack([ink, alpha * 255]).round().astype(np.uint8)
    return Image.fromarray(out, "RGBA")


def border_mask(shape: tuple[int, int]) -> np.ndarray:
    height, width = shape
    ring = max(2, round(min(height, width) * BORDER_SHARE))
    mask = np.zeros(shape, dtype=bool)
    mask[:ring], mask[-ring:], mask[:, :ring], mask[:, -ring:] = True, True, True, True
    return mask


def background_plane(rgb: np.ndarray) -> np.ndarray:
    """Per-channel least-squares plane a + b*x + c*y through the border pixels, over the image."""
    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    mask = border_mask((height, width))
    design = np.column_stack([np.ones(mask.sum(), np.float32), xs[mask], ys[mask]])
    coeffs, *_ = np.linalg.lstsq(design, rgb[mask], rcond=None)
    return coeffs[0] + xs[..., None] * coeffs[1] + ys[..., None] * coeffs[2]


def alpha_ramp(distance: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Coverage as the share of the way from background to ink colour, faded out into the noise.

    A pixel a fraction `a` covered by ink sits `a` of the way from the background to the ink, so
    alpha = distance / ink distance (the median over inked pixels, robust to edges and a second
    ink colour) recovers it, and un-premultiplying then gives back the ink colour itself. Below
    twice the border's noise level the ramp fades to 0, so JPEG ringing and paper texture go.
    """
    low = float(np.percentile(distance[border], 99)) + NOISE_MARGIN
    inked = distance[distance > 2 * low]
    if inked.size == 0:
        return np.zeros_like(distance)
    coverage = np.clip(distance / float(np.median(inked)), 0.0, 1.0)
    return coverage * np.clip((distance - low) / low, 0.0, 1.0)


def trim(rgba: Image.Image) -> Image.Image:
    box = rgba.getchannel("A").point(lambda a: 255 if a > TRIM_ALPHA else 0).getbbox()
    if box is None:
        raise LetteringImageError("the lettering image has no ink")
    return rgba.crop(box)


def fit_into_box(
    rgba: Image.Image,
    width: int,
    height: int,
    align: str = "start",
    valign: str = "center",
    direction: str = "ltr",
) -> Image.Image:
    """`rgba` scaled to fit width x height (aspect kept), placed as a text layer aligns its block.

    Returns an RGBA image of exactly width x height, transparent outside the lettering.
    """
    scale = min(width / rgba.width, height / rgba.height)
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    # Resampling premultiplied pixels keeps transparent neighbours' hidden colour out of the edges.
    scaled = rgba.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    x, y, _, _ = place((0, 0, width, height), size[0], size[1], align, valign, direction)
    out = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    out.paste(scaled, (round(x), round(y)))
    return out
