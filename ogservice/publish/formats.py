"""Output formats a card can be asked for in the POST bodies, and the one place a card is encoded.

PNG is what the pipeline makes. Other encoders (JPEG, WebP, AVIF) plug in here: `SUPPORTED_FORMATS`
is the list requests are validated against, and `encode_card` is the single call that turns a
rendered card into the asked format, so adding a format touches this module only.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_FORMATS: tuple[str, ...] = ("png",)
DEFAULT_FORMAT = "png"
_EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "avif": "avif"}


@dataclass(frozen=True)
class Encoded:
    """A card's bytes in one format, and the extension its asset URL takes."""

    data: bytes
    format: str
    extension: str


def supported_formats() -> tuple[str, ...]:
    """The formats `format` may name (the request models validate against this)."""
    return SUPPORTED_FORMATS


def encode_card(png: bytes, fmt: str) -> Encoded:
    """The card in `fmt`; only formats in SUPPORTED_FORMATS reach here (validated in models.py)."""
    if fmt != "png":
        raise ValueError(f"no encoder for {fmt!r}")  # unreachable while SUPPORTED_FORMATS is ("png",)
    return Encoded(png, fmt, _EXTENSIONS[fmt])
