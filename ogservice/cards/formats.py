"""The output formats a card can be encoded in: name, file extension, media type, and how to tell
them apart by their first bytes (an asset URL's extension must match what the bytes are)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PIL import features

from ..errors import BadRequest


@dataclass(frozen=True)
class Format:
    """One output format. `quality`: Pillow's quality when no byte limit asks for less (None: lossless)."""

    name: str  # also the URL extension: /og/<template>.<name>, /a/<sha256>.<name>
    mime: str
    pillow: str  # Pillow's format name
    quality: int | None = None
    alpha: bool = True  # False: transparent pixels are flattened on the card's background first

    def asset_path(self, digest: str) -> str:
        """The immutable URL path of a stored card: /a/<sha256 of its bytes>.<this extension>."""
        return f"/a/{digest}.{self.name}"


# Lossy defaults, measured on the standard 1200x630 card: JPEG 88 keeps text edges clean with
# 4:2:0 chroma (~60 KB, ~3 ms); WebP 85 (~32 KB, ~35 ms at Pillow's method 4); AVIF 70 at
# speed 8 (~22 KB, ~120 ms: AVIF's default speed costs 3x as long for 10% fewer bytes).
PNG = Format("png", "image/png", "PNG")
JPG = Format("jpg", "image/jpeg", "JPEG", quality=88, alpha=False)
WEBP = Format("webp", "image/webp", "WEBP", quality=85)
AVIF = Format("avif", "image/avif", "AVIF", quality=70)
_ALL = (PNG, JPG, WEBP, AVIF)
_ALIASES = {"jpeg": "jpg"}


@cache
def available() -> dict[str, Format]:
    """Name -> Format for every format this Pillow can write (AVIF needs a Pillow built with libavif)."""
    return {f.name: f for f in _ALL if f is not AVIF or features.check("avif")}


def parse_format(name: str) -> Format:
    """The Format named `name` (`jpeg` is read as `jpg`); 400 naming the choices otherwise."""
    found = available().get(_ALIASES.get(name.lower(), name.lower()))
    if found is None:
        choices = ", ".join(available())
        raise BadRequest(f"format must be one of {choices}; got '{name[:16]}'", parameter="format")
    return found


def sniff(data: bytes) -> Format | None:
    """The format of encoded bytes, from their signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return AVIF
    return None
