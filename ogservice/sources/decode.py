"""Bytes -> a clean image: the type decided by decoding, decompression bombs refused, metadata gone.

Only the PNG, JPEG, WebP, GIF (first frame) and AVIF decoders are ever tried: Image.open otherwise
tries every plug-in Pillow has, some of which hand the bytes to other programs (EPS to
Ghostscript). The pixel count is read from the header and checked before anything is decoded.

The result is what compose should see and nothing more: turned upright by its EXIF orientation,
converted to sRGB by its ICC profile, 8-bit RGB (or RGBA when it has transparency), its long side
at most `max_side`, and no metadata at all (EXIF, GPS, XMP, comments and profile are dropped), so
a stored image leaks nothing and the same upload always stores the same bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError, features

from ..errors import ImageTooLarge, NotAnImage

log = logging.getLogger(__name__)

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", *(("AVIF",) if features.check("avif") else ()))
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_WIDE_GREY = frozenset({"I", "I;16", "I;16B", "I;16L"})  # 16/32-bit grey: scaled, not clipped, to 8 bits
_PROFILE_CONVERSIONS = frozenset({("RGB", "RGB"), ("RGBA", "RGBA"), ("CMYK", "RGB")})  # (from, to) modes
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class DecodeLimits:
    max_pixels: int  # width x height read from the header; over it nothing is decoded
    max_side: int  # long side of the clean image; larger ones are scaled down


@dataclass(frozen=True)
class Decoded:
    image: Image.Image  # RGB or RGBA, upright, sRGB, no metadata
    source_format: str  # "png", "jpeg", "webp", "gif" or "avif", as decoding found it


def decode(data: bytes, limits: DecodeLimits) -> Decoded:
    """The clean image in `data`; NotAnImage when it does not decode, ImageTooLarge over the pixel cap."""
    with _decoding():
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            _check_pixels(probe.size, limits.max_pixels)
            source_format = str(probe.format)
            probe.verify()  # PNG: every chunk's CRC; the image must be opened again to be decoded
        with Image.open(io.BytesIO(data), formats=(source_format,)) as image:
            image.draft(None, _fitted(image.size, limits.max_side))  # JPEG: decode at 1/2, 1/4, 1/8 size
            image.load()
            return Decoded(_clean(image, limits.max_side), source_format.lower())


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"the image is {width}x{height} pixels ({width * height / 1e6:.1f} MP); "
            f"the limit is {max_pixels / 1e6:.1f} MP (OGS_IMAGE_MAX_PIXELS)"
        )


def _clean(image: Image.Image, max_side: int) -> Image.Image:
    upright = ImageOps.exif_transpose(image)
    rgb = _to_srgb(upright)
    size = _fitted(rgb.size, max_side)
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return Image.frombytes(rgb.mode, rgb.size, rgb.tobytes())  # a new image: no info, no EXIF, no profile


def _to_srgb(image: Image.Image) -> Image.Image:
    """8-bit RGB or RGBA in sRGB; RGBA only when some pixel is not fully opaque."""
    if image.mode in _WIDE_GREY:
        image = Image.fromarray((np.asarray(image).astype(np.uint32) >> 8).clip(0, 255).astype(np.uint8))
    mode = "RGBA" if image.mode in _ALPHA_MODES or "transparency" in image.info else "RGB"
    converted = _with_profile(image, mode) or image.convert(mode)
    if mode == "RGBA" and converted.getchannel("A").getextrema() == (255, 255):
        converted = converted.convert("RGB")
    return converted


def _with_profile(image: Image.Image, mode: str) -> Image.Image | None:
    """The image converted to sRGB through its embedded ICC profile; None without a usable one."""
    icc = image.info.get("icc_profile")
    if not icc or (image.mode, mode) not in _PROFILE_CONVERSIONS:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: the pixels are used as they are


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


@contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's many exception types for bad data as NotAnImage; the pixel cap's as ImageTooLarge."""
    try:
        yield
    except ImageTooLarge:
        raise
    except (Image.DecompressionBombError, MemoryError):
        raise ImageTooLarge("the image would take too much memory to decode") from None
    except UnidentifiedImageError:
        raise NotAnImage(f"the bytes are not a {_format_list()} image") from None
    except Exception as exc:  # truncated or damaged data raises OSError, SyntaxError, ValueError, ...
        log.info("image decode failed: %s: %s", type(exc).__name__, exc)
        raise NotAnImage("the image could not be decoded (truncated or damaged)") from None


def _format_list() -> str:
    names = ["PNG", "JPEG", "WebP", "GIF", *(["AVIF"] if "AVIF" in FORMATS else [])]
    return ", ".join(names[:-1]) + " or " + names[-1]
