"""Validation of bytes that claim to be an image: sniff, bound and decode-check before anyone uses them."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image

from .errors import BadResponse

# Refuse decompression bombs before decoding anything a vendor sent.
MAX_PIXELS = 4096 * 4096
MAX_BYTES = 40 * 1024 * 1024

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}


def sniff(data: bytes) -> str | None:
    """The media type by magic number, or None when the bytes are not a supported image."""
    for magic, media_type in _MAGIC.items():
        if data.startswith(magic):
            if media_type == "image/webp" and data[8:12] != b"WEBP":
                return None
            return media_type
    return None


def inspect_image(data: bytes, *, provider: str = "") -> tuple[str, int, int]:
    """(media_type, width, height) of valid image bytes; BadResponse otherwise."""
    if len(data) > MAX_BYTES:
        raise BadResponse(f"image of {len(data)} bytes exceeds {MAX_BYTES}", provider=provider)
    media_type = sniff(data)
    if media_type is None:
        raise BadResponse("response bytes are not a PNG, JPEG or WebP image", provider=provider)
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise BadResponse(f"image of {width}x{height} exceeds the pixel limit", provider=provider)
            img.verify()
    except BadResponse:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt data; all mean the same here.
        raise BadResponse(f"corrupt image: {exc}", provider=provider) from None
    return media_type, width, height


def decode_b64(text: str, *, provider: str = "") -> bytes:
    """Base64 (optionally a data: URI) -> bytes; BadResponse when it is not base64."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadResponse("image field is not valid base64", provider=provider) from None
