"""Meeting a byte limit (ad networks cap banners at ~150 KB) by choosing how the image is encoded.

Lossy formats: a binary search on quality, from the format's default down to MIN_QUALITY, keeps
the highest quality that fits (bytes grow with quality, so ~7 encodes find it). PNG is lossless:
it tries ever smaller encodings in order of fidelity (truecolor at zlib's best, then palettes of
256, 64 and 16 colours) and keeps the first that fits. A photograph filling a big banner may fit
no PNG at all. When nothing fits, the error (a 422) names the smallest size reached, so the
caller knows what limit would work.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from ..errors import ByteLimitUnreachable
from .formats import AVIF, WEBP, Format

# Below this, JPEG and WebP ring visibly around text: a card that needs less is refused, not mangled.
MIN_QUALITY = 30
PALETTE_COLORS = (256, 64, 16)
# zlib's best with per-row filters saves up to ~35% over the fast PNG, at ~100 ms a 1200x630 card
# (~2 s a photographic 1080x1920 one): tried only when that could be enough.
BEST_TRUECOLOR_REACH = 1.5


@dataclass(frozen=True)
class Encoded:
    """An encoded card: its bytes, format, and the quality or palette size that made them."""

    data: bytes
    format: Format
    quality: int | None = None  # lossy formats: the quality used
    colors: int | None = None  # PNG within a byte limit: the palette size (None: truecolor)


def lossy(image: Image.Image, fmt: Format, quality: int) -> Encoded:
    """`image` as JPEG, WebP or AVIF at `quality`."""
    options: dict[str, object] = {"quality": quality}
    if fmt is WEBP:
        options["method"] = 4
    elif fmt is AVIF:
        options["speed"] = 8
    else:
        options["optimize"] = True  # Huffman tables fitted to the image: ~20% fewer bytes, ~1 ms
    return Encoded(_save(image, fmt.pillow, **options), fmt, quality=quality)


def lossy_within(image: Image.Image, fmt: Format, max_bytes: int) -> Encoded:
    """The highest quality (at most the format's default, at least MIN_QUALITY) within `max_bytes`."""
    assert fmt.quality is not None
    first = lossy(image, fmt, fmt.quality)
    if len(first.data) <= max_bytes:
        return first
    smallest, fitting = first, None
    low, high = MIN_QUALITY, fmt.quality - 1
    while low <= high:
        middle = (low + high) // 2
        candidate = lossy(image, fmt, middle)
        smallest = min(smallest, candidate, key=lambda e: len(e.data))
        if len(candidate.data) <= max_bytes:
            fitting, low = candidate, middle + 1
        else:
            high = middle - 1
    if fitting is None:
        raise _unreachable(fmt, max_bytes, smallest)
    return fitting


def png_within(first: Encoded, image: Image.Image, max_bytes: int) -> Encoded:
    """`first` (the fast truecolor PNG) if it fits, else the first smaller PNG encoding that does."""
    smallest = first
    for candidate in _smaller_pngs(image, first, max_bytes):
        if len(candidate.data) <= max_bytes:
            return candidate
        smallest = min(smallest, candidate, key=lambda e: len(e.data))
    raise _unreachable(first.format, max_bytes, smallest)


def _smaller_pngs(image: Image.Image, first: Encoded, max_bytes: int) -> Iterator[Encoded]:
    """PNG encodings in order of fidelity: the given one, truecolor at zlib's best (when it may
    be enough), then palettes (dithered, so gradients keep their look)."""
    yield first
    if len(first.data) <= max_bytes * BEST_TRUECOLOR_REACH:
        yield Encoded(_save(image, "PNG", optimize=True), first.format)
    for colors in PALETTE_COLORS:
        paletted = image.quantize(colors, method=Image.Quantize.FASTOCTREE)
        yield Encoded(_save(paletted, "PNG", optimize=True), first.format, colors=colors)


def _unreachable(fmt: Format, max_bytes: int, smallest: Encoded) -> ByteLimitUnreachable:
    size = len(smallest.data)
    if smallest.quality is not None:
        how = f"quality {smallest.quality}"
    else:
        how = f"a {smallest.colors}-colour palette" if smallest.colors else "truecolor"
    return ByteLimitUnreachable(
        f"no {fmt.name} encoding of this card fits in {max_bytes} bytes: the smallest, at {how}, "
        f"is {size} bytes",
        parameter="max_bytes",
        max_bytes=max_bytes,
        smallest_bytes=size,
        format=fmt.name,
    )


def _save(image: Image.Image, pillow_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, pillow_format, **options)
    return out.getvalue()

