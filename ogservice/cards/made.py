"""Layers made elsewhere (by image models), placed into a card as pixels: compose stays pure.

    ReadyImages     the pixels the caller resolved: a background, and lettering per text layer id
    cover()         a background of any size filling the canvas (scaled, centre-cropped)
    fit()           lettering (transparent, trimmed to its ink) scaled into a layer's box
    paste_legibly() lettering pasted over the card, on a scrim when it would not read

Lettering keeps the model's own colours; what is measured is whether they read over the pixels
behind them. Model lettering is display-sized, so WCAG's ratio for large text (3:1) applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import contrast
from .layers import Box, place

MIN_LETTERING_CONTRAST = 3.0  # WCAG AA for large text: lettering is always set large


@dataclass(frozen=True)
class ReadyImages:
    """Model-made pixels for one card: a background, and lettering keyed by text layer id."""

    background: Image.Image | None = None
    lettering: Mapping[str, Image.Image] = field(default_factory=dict)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """An RGB image exactly width x height: scaled to cover the canvas, the overflow cut evenly."""
    scale = max(width / image.width, height / image.height)
    scaled = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    left, top = (scaled[0] - width) // 2, (scaled[1] - height) // 2
    resized = image.convert("RGB").resize(scaled, Image.Resampling.LANCZOS)
    return resized.crop((left, top, left + width, top + height))


def fit(lettering: Image.Image, box: Box, align: str, valign: str) -> tuple[Image.Image, Box]:
    """The lettering scaled to fit inside box (aspect kept), and where it goes inside the box."""
    width, height = max(1.0, box[2]), max(1.0, box[3])
    scale = min(width / lettering.width, height / lettering.height)
    size = (max(1, round(lettering.width * scale)), max(1, round(lettering.height * scale)))
    fitted = lettering.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    return fitted, place(box, size[0], size[1], align, valign)


def ink_color(lettering: Image.Image) -> tuple[int, int, int]:
    """The mean colour of the lettering's visible pixels (alpha above half)."""
    rgba = np.asarray(lettering.convert("RGBA"))
    ink = rgba[rgba[:, :, 3] > 127][:, :3]
    if not len(ink):
        return (255, 255, 255)
    red, green, blue = (round(float(ink[:, c].mean())) for c in range(3))
    return red, green, blue


def paste_legibly(image: Image.Image, lettering: Image.Image, at: Box) -> float:
    """Paste lettering at `at` (x, y, w, h), over a scrim if its colours would not read; the ratio."""
    rect = (round(at[0]), round(at[1]), round(at[0] + at[2]), round(at[1] + at[3]))
    ink = ink_color(lettering)
    ratio = contrast.measure_contrast(image, rect, ink)
    if ratio < MIN_LETTERING_CONTRAST:
        legible = contrast.scrim_behind(image, rect, ink, MIN_LETTERING_CONTRAST)
        if legible.scrim is not None:
            contrast.apply_scrim(image, rect, legible.scrim)
        ratio = contrast.measure_contrast(image, rect, ink)
    image.paste(lettering, (rect[0], rect[1]), lettering)
    return ratio
