"""Image -> PNG bytes, fast: vectorised PNG row filters plus ISA-L deflate.

Pillow's PNG writer spends 15-25 ms on a 1200x630 card (zlib with per-row adaptive filtering).
Here numpy applies one PNG filter to all rows in ~0.3 ms and ISA-L level 1 compresses in ~1-2 ms.
Which filter wins depends on the picture (None suits diagonal gradients, Up suits upscaled or
vertical ones, Sub horizontal ones), so a sample of rows is compressed with each and the smallest
wins. Output is a standard PNG (8-bit RGB or RGBA, no interlace).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from isal import isal_zlib
from PIL import Image

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {"RGB": (2, 3), "RGBA": (6, 4)}


def encode_png(image: Image.Image, *, level: int = 1) -> bytes:
    """Encode an RGB or RGBA image as PNG (other modes are converted to RGB first)."""
    if image.mode not in _COLOR_TYPES:
        image = image.convert("RGB")
    color_type, channels = _COLOR_TYPES[image.mode]
    width, height = image.size
    rows = np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(height, width * channels)
    sample = _sample_bands(rows)
    best = min(_FILTERS, key=lambda f: len(isal_zlib.compress(f(sample, channels), level)))
    data = isal_zlib.compress(best(rows, channels), level)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b"")))


def _framed(rows: np.ndarray, filter_type: int) -> np.ndarray:
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    out[:, 0] = filter_type
    return out


def _none(rows: np.ndarray, channels: int) -> memoryview:
    """Filter type 0: rows as they are."""
    out = _framed(rows, 0)
    out[:, 1:] = rows
    return memoryview(out).cast("B")


def _sub(rows: np.ndarray, channels: int) -> memoryview:
    """Filter type 1 (Sub): byte minus the same channel of the pixel to the left, modulo 256."""
    out = _framed(rows, 1)
    out[:, 1 : channels + 1] = rows[:, :channels]
    np.subtract(rows[:, channels:], rows[:, :-channels], out=out[:, channels + 1 :])
    return memoryview(out).cast("B")


def _up(rows: np.ndarray, channels: int) -> memoryview:
    """Filter type 2 (Up): byte minus the byte above, modulo 256 (uint8 arithmetic wraps)."""
    out = _framed(rows, 2)
    out[0, 1:] = rows[0]  # the row above the first row is defined as zeros
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    return memoryview(out).cast("B")


def _sample_bands(rows: np.ndarray, bands: int = 4, band_rows: int = 12) -> np.ndarray:
    """A few contiguous bands of rows (contiguous so the Up filter is judged fairly)."""
    height = rows.shape[0]
    if height <= bands * band_rows:
        return rows
    starts = np.linspace(0, height - band_rows, bands).astype(int)
    return np.concatenate([rows[s : s + band_rows] for s in starts])


_FILTERS = (_none, _sub, _up)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
