"""Image -> PNG bytes, fast and small: a numpy Up filter and zlib-ng deflate, split across two cores.

Pillow's PNG writer spends 15-25 ms on a 1200x630 card (zlib with per-row adaptive filtering).
Here numpy applies the Up filter to all rows in ~0.3 ms: procedural backgrounds are built from
8-pixel blocks, so most rows equal the row above and filter to zeros, and text costs only where
its coverage changes. zlib-ng level 4 then finds the repeats ISA-L's fastest level misses (a
typical card: ~93 KB against ~112 KB) in ~2.7 ms of CPU. When a second core is free, the two
halves of the image are compressed at once, pigz-style, which halves that wait. Output is a
standard PNG (8-bit RGB or RGBA, no interlace, one IDAT).
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PIL import Image
from zlib_ng import zlib_ng

LEVEL = 4
SPLIT_MIN_BYTES = 256 * 1024  # smaller images are compressed on the calling thread
WINDOW = 32 * 1024  # deflate's window: the second half is primed with this much of the first
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZLIB_HEADER = b"\x78\x5e"  # deflate, 32 KB window, "fast" compression level; (0x785E % 31 == 0)
_COLOR_TYPES = {"RGB": (2, 3), "RGBA": (6, 4)}


def encode_png(image: Image.Image, *, level: int = LEVEL) -> bytes:
    """Encode an RGB or RGBA image as PNG (other modes are converted to RGB first)."""
    if image.mode not in _COLOR_TYPES:
        image = image.convert("RGB")
    color_type, channels = _COLOR_TYPES[image.mode]
    width, height = image.size
    rows = np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(height, width * channels)
    data = _deflate(_up(rows), level)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b"")))


def _up(rows: np.ndarray) -> memoryview:
    """PNG filter type 2 (Up) on every row: byte minus the byte above, modulo 256 (uint8 wraps)."""
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    out[:, 0] = 2
    out[0, 1:] = rows[0]  # the row above the first row is defined as zeros
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    return memoryview(out).cast("B")


def _deflate(data: memoryview, level: int) -> bytes:
    """A zlib stream of `data`. Big inputs are two deflate segments, the first compressed on a free
    second core; the bytes never depend on whether that core was free (a card's hash must not)."""
    if len(data) < SPLIT_MIN_BYTES:
        return zlib_ng.compress(data, level)
    half = len(data) // 2
    first = _on_helper(data[:half], level)
    second = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15, zdict=data[half - WINDOW : half])
    tail = second.compress(data[half:]) + second.flush()
    head, checksum = first.result() if isinstance(first, Future) else first
    return b"".join((_ZLIB_HEADER, head, tail, struct.pack(">I", zlib_ng.adler32(data[half:], checksum))))


def _first_half(data: memoryview, level: int) -> tuple[bytes, int]:
    """Raw deflate ending in a sync flush (byte-aligned, not final), and the Adler-32 so far."""
    compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib_ng.Z_SYNC_FLUSH), zlib_ng.adler32(data)


def _on_helper(data: memoryview, level: int) -> Future[tuple[bytes, int]] | tuple[bytes, int]:
    """The first half, compressed on the helper thread if it is idle, else right here."""
    helper = _helper()
    if helper is None or not _HELPER_FREE.acquire(blocking=False):
        return _first_half(data, level)
    try:
        return helper.submit(_released_after, data, level)
    except RuntimeError:  # interpreter shutting down
        _HELPER_FREE.release()
        return _first_half(data, level)


def _released_after(data: memoryview, level: int) -> tuple[bytes, int]:
    try:
        return _first_half(data, level)
    finally:
        _HELPER_FREE.release()


_HELPER_FREE = threading.Semaphore(1)  # one half-image at a time; a busy helper means: do it all here
_HELPER_LOCK = threading.Lock()
_helper_pool: tuple[int, ThreadPoolExecutor] | None = None


def _helper() -> ThreadPoolExecutor | None:
    """This process's one helper thread (made after any fork), or None on a single-core machine."""
    global _helper_pool
    if (os.cpu_count() or 1) < 2:
        return None
    with _HELPER_LOCK:
        if _helper_pool is None or _helper_pool[0] != os.getpid():
            _helper_pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="png-deflate"))
        return _helper_pool[1]


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
