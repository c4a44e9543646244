"""Image -> encoded card: `encode()` is the one entry every path uses (GET /og, the CLI, the API).

PNG goes through the fast encoder below; JPEG, WebP and AVIF through Pillow (formats.py); a byte
limit is met by choosing the quality or, for PNG, a palette (quality.py).

The fast PNG encoder: numpy filters, zlib-ng and ISA-L deflate, in bands across two cores.

Pillow's PNG writer spends 15-25 ms on a 1200x630 card (zlib with per-row adaptive filtering).
Here numpy filters the rows in ~0.4 ms: procedural backgrounds are built from 8-pixel blocks, so
most rows equal the row above and Up-filter to zeros, and text costs only where its coverage
changes. Deflate costs by what it outputs, so text rows are most of it: a title's rows are two
thirds of a card's bytes. Rows no layer touches get zlib-ng level 4: they cost little at any level,
and its lazy matching makes them ~40% smaller than ISA-L would. Rows that wait for a layer get
ISA-L level 1: ~4x faster than zlib-ng level 4 on a title, for ~17% more of its bytes, which the
glyphs' 12-step coverage (glyphs.py) wins back. A typical card: the same ~94 KB, in under half the
CPU zlib-ng alone took (1.4 against 3.6 ms, filtering included).

An image is cut into bands of rows, each its own deflate segment (ending in a sync flush; an empty
final block closes the stream, as pigz does). The composer says which rows each layer may touch
(`layout`) and how many layers are drawn (`drawn`); a band whose layers are all drawn is final.
On a big image (SHARE_MIN_BYTES and more) an idle second core compresses final bands while the
rest is drawn: the rows no text touches right after the background, the title's band as soon as
the title is drawn. At `finish` the calling thread compresses what is left, taking back bands
the helper has not started. Below that size every band is compressed at `finish`: handing work
over makes the drawing thread wait for the GIL, which costs it about what the second core saves.
A band's first row is Sub-filtered (it never looks at the row above), so bands are independent:
where they are cut depends only on the layout, never on timing or on which core did the work, and
the bytes of a card, and so its hash, are always the same. Output is a standard PNG (8-bit RGB or
RGBA, no interlace, one IDAT).
"""

from __future__ import annotations

import logging
import math
import os
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from isal import isal_zlib
from PIL import Image
from zlib_ng import zlib_ng

from .formats import PNG, Format
from .pixels import in_place, pixels
from .quality import Encoded, lossy, lossy_within, png_within

log = logging.getLogger(__name__)
LEVEL = 4  # zlib-ng's level for rows final before any layer is drawn: background, cheap at any level
FAST_LEVEL = 1  # ISA-L's level for rows that wait for a layer: text rows, most of a card's deflate
SPLIT_MIN_BYTES = 256 * 1024  # smaller images are one band
# Smaller images keep all their bands on the calling thread. Each hand-over makes the drawing thread
# wait for the GIL, which on a 1200x630 card costs it about what the second core saves (ABBA,
# 80-100 rounds: 7.82 alone against 8.40 ms shared, 8.90 against 9.36); a 1920x1080 hero still
# gains (16.1 shared against 20.6 ms alone).
SHARE_MIN_BYTES = 3 * 1024 * 1024
MIN_BAND_BYTES = 96 * 1024  # thinner bands join a neighbour: each costs a compressor and a hand-off
# Thicker ones are cut evenly, so both cores can share them; small images are cut the same way, so
# a card's bytes never depend on SHARE_MIN_BYTES.
MAX_BAND_BYTES = 512 * 1024
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZLIB_HEADER = b"\x78\x5e"  # deflate, 32 KB window, "fast" compression level; (0x785E % 31 == 0)
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # BFINAL=1, fixed Huffman, end-of-block: closes the stream
_COLOR_TYPES = {"RGB": (2, 3), "RGBA": (6, 4)}
Reach = tuple[int, int]  # rows [top, bottom) a layer may touch
Segment = tuple[bytes, int, int]  # raw deflate ending in a sync flush; Adler-32 and length of its input


RGB = tuple[int, int, int]


def encode(
    image: Image.Image,
    fmt: Format = PNG,
    max_bytes: int | None = None,
    *,
    matte: RGB = (255, 255, 255),
    png: PngEncoder | None = None,
) -> Encoded:
    """`image` in `fmt`, within `max_bytes` when given (else ByteLimitUnreachable, a 422).

    `matte`: what transparent pixels become in a format without alpha (the card's background).
    `png`: the encoder that already heard the composer's layout (its bands were compressed while
    the card was drawn); without it, a new one.
    """
    if fmt is PNG:
        first = Encoded((png or PngEncoder()).finish(image), PNG)
        return first if max_bytes is None else png_within(first, image, max_bytes)
    if image.mode != "RGB":
        image = image.convert("RGBA") if fmt.alpha else flatten(image, matte)
    assert fmt.quality is not None
    return lossy(image, fmt, fmt.quality) if max_bytes is None else lossy_within(image, fmt, max_bytes)


def flatten(image: Image.Image, matte: RGB) -> Image.Image:
    """An RGB image of `image` laid over the solid colour `matte` (for formats without alpha)."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, matte)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def encode_png(image: Image.Image, *, level: int = LEVEL) -> bytes:
    """Encode an RGB or RGBA image as PNG (other modes are converted to RGB first)."""
    return PngEncoder(level).finish(image)


@dataclass
class _Band:
    top: int
    bottom: int
    ready: int  # final once this many layers are drawn
    job: Future[tuple[Segment, int | None]] | None = None  # on the helper: segment, checksum of the rows


class PngEncoder:
    """Encodes one image; bands the composer reports final are compressed while it draws the rest."""

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._bands: list[_Band] | None = None
        self._early = False  # whether bands may start before finish() (the canvas can be read in place)

    def layout(self, image: Image.Image, reaches: Sequence[Reach]) -> None:
        """The layers still to be drawn on `image`, in drawing order, each with the rows it may
        touch. Fixes the bands (from these rows alone, so a card is always cut the same way) and
        starts the ones no layer touches."""
        if self._bands is None and image.mode in _COLOR_TYPES and _splits(image):
            self._bands = _bands(image, reaches)
            self._early = _shared(image) and in_place(image)
            self.drawn(image, 0)

    def drawn(self, image: Image.Image, count: int) -> None:
        """The first `count` layers are drawn: bands that waited only for them go to the helper,
        which checksums their rows as it reads them (finish() checks they did not change since)."""
        if self._early:
            self._start(image, count, checked=True)

    def finish(self, image: Image.Image) -> bytes:
        """The PNG of the finished image."""
        if image.mode not in _COLOR_TYPES:
            image = image.convert("RGB")
        if self._bands is None:  # nobody reported a layout: even bands, shared with the helper
            self._bands = _bands(image, ()) if _splits(image) else [_Band(0, image.height, 0)]
        self._start(image, len(self._bands) + 1, checked=False)  # the image is final: no checksums
        segments = self._segments(image)
        checksum = 1  # the Adler-32 of nothing
        for _, adler, length in segments:
            checksum = adler32_combine(checksum, adler, length)
        deflate = (compressed for compressed, _, _ in segments)
        idat = b"".join((_ZLIB_HEADER, *deflate, _FINAL_EMPTY_BLOCK, struct.pack(">I", checksum)))
        color_type, _ = _COLOR_TYPES[image.mode]
        header = struct.pack(">IIBBBBB", image.width, image.height, 8, color_type, 0, 0, 0)
        chunks = (*_chunk(b"IHDR", header), *_chunk(b"IDAT", idat), *_chunk(b"IEND", b""))
        return b"".join((_SIGNATURE, *chunks))

    def _start(self, image: Image.Image, count: int, *, checked: bool) -> None:
        """Hand the bands that are final after `count` layers, and not started yet, to the helper."""
        if self._bands is None or len(self._bands) < 2 or not _shared(image):
            return
        helper = _helper()
        if helper is None:
            return
        for band in self._bands:
            if band.job is None and band.ready <= count:
                try:
                    band.job = helper.submit(_band_segment, image, band, self.level, checked)
                except RuntimeError:  # interpreter shutting down: finish() does it here
                    return

    def _segments(self, image: Image.Image) -> list[Segment]:
        """Every band's segment: bands the helper has not started are done here, bottom up (the
        helper works top down), then the helper's results are collected and checked."""
        assert self._bands is not None
        done: dict[int, Segment] = {}
        for i in reversed(range(len(self._bands))):
            band = self._bands[i]
            if band.job is None or band.job.cancel():
                done[i] = _segment(image, band, self.level)
        checksums: dict[int, int] = {}
        for i, band in enumerate(self._bands):
            if i not in done:
                assert band.job is not None
                done[i], checksum = band.job.result()
                if checksum is not None:
                    checksums[i] = checksum
        for i in self._stale(image, checksums):
            # A layer drew outside the rows it reported: the helper read them too early.
            band = self._bands[i]
            log.warning(
                "rows %d-%d changed after being reported final; compressed again", band.top, band.bottom
            )
            done[i] = _segment(image, band, self.level)
        return [done[i] for i in range(len(self._bands))]

    def _stale(self, image: Image.Image, checksums: dict[int, int]) -> list[int]:
        """The bands whose rows no longer have the CRC-32 the helper took when it read them."""
        if not checksums:
            return []
        assert self._bands is not None
        rows = [(i, self._bands[i].top, self._bands[i].bottom) for i in checksums]
        with pixels(image) as view:
            return [i for i, top, bottom in rows if zlib_ng.crc32(view[top:bottom]) != checksums[i]]


def _bands(image: Image.Image, reaches: Sequence[Reach]) -> list[_Band]:
    """Runs of rows that become final after the same layer (the last one reaching them); runs thinner
    than MIN_BAND_BYTES join the next run (the last one the previous), final when both are."""
    ready = np.zeros(image.height, np.int32)
    for index, (top, bottom) in enumerate(reaches):
        ready[max(0, top) : max(0, min(image.height, bottom))] = index + 1  # later layers win
    cuts = [0, *(np.flatnonzero(np.diff(ready)) + 1).tolist(), image.height]
    min_rows = math.ceil(MIN_BAND_BYTES / _row_bytes(image))
    bands: list[_Band] = []
    for top, bottom in zip(cuts, cuts[1:], strict=False):
        if bands and bands[-1].bottom - bands[-1].top < min_rows:  # the run before is thin: extend it
            thin = bands.pop()
            bands.append(_Band(thin.top, bottom, max(thin.ready, int(ready[top]))))
        else:
            bands.append(_Band(top, bottom, int(ready[top])))
    if len(bands) > 1 and bands[-1].bottom - bands[-1].top < min_rows:  # a thin last run joins the one before
        last, before = bands.pop(), bands.pop()
        bands.append(_Band(before.top, last.bottom, max(before.ready, last.ready)))
    max_rows = max(min_rows, MAX_BAND_BYTES // _row_bytes(image))
    return [piece for band in bands for piece in _cut(band, max_rows)]


def _cut(band: _Band, max_rows: int) -> list[_Band]:
    """The band in equal pieces of at most max_rows rows (it is final when they all are)."""
    pieces = -(-(band.bottom - band.top) // max_rows)
    edges = [band.top + (band.bottom - band.top) * k // pieces for k in range(pieces + 1)]
    return [_Band(top, bottom, band.ready) for top, bottom in zip(edges, edges[1:], strict=False)]


def _band_segment(image: Image.Image, band: _Band, level: int, checked: bool) -> tuple[Segment, int | None]:
    """On the helper: the band's segment of the canvas, which other threads may still be drawing on
    elsewhere; `checked`: with the CRC-32 of the band's rows taken before reading them."""
    checksum = None
    if checked:
        with pixels(image) as view:
            checksum = zlib_ng.crc32(view[band.top : band.bottom])
    return _segment(image, band, level), checksum


def _segment(image: Image.Image, band: _Band, level: int) -> Segment:
    """The band's rows, filtered, as raw deflate ending in a sync flush (byte-aligned, not final).

    Rows final before any layer is drawn (background only) get zlib-ng at `level`: few bytes, cheap
    at any level, and ~40% fewer with its lazy matching. Rows that wait for a layer get ISA-L's fast
    deflate (a title's rows: ~0.5 ms against ~1.9 ms, for ~17% more bytes). Which one a band gets
    depends on the layout only, so a card's bytes never depend on timing.
    """
    data = _filtered(_packed(image, band.top, band.bottom), image.width, _COLOR_TYPES[image.mode][1])
    if band.ready:
        compressor = isal_zlib.compressobj(FAST_LEVEL, isal_zlib.DEFLATED, -15)
        compressed = compressor.compress(data) + compressor.flush(isal_zlib.Z_SYNC_FLUSH)
    else:
        compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
        compressed = compressor.compress(data) + compressor.flush(zlib_ng.Z_SYNC_FLUSH)
    return compressed, zlib_ng.adler32(data), len(data)


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two buffers one after the other, from theirs (zlib's adler32_combine), so
    each band's checksum is taken on the core that filtered it."""
    base = 65521
    rem = second_length % base
    low = (first & 0xFFFF) + (second & 0xFFFF) + base - 1
    high = (rem * (first & 0xFFFF)) % base + (first >> 16) + (second >> 16) + base - rem
    return (low % base) | ((high % base) << 16)


def _packed(image: Image.Image, top: int, bottom: int) -> bytes:
    """Rows [top, bottom) as PNG stores them (3 or 4 bytes a pixel), read in one pass.

    Pillow's raw encoder is given the rows as its extent, so there is no crop and no joining of
    `tobytes()`'s 64 KB chunks (two copies of the band saved); any surprise falls back to those.
    """
    size = _row_bytes(image) * (bottom - top)
    try:
        encoder = Image._getencoder(image.mode, "raw", (image.mode, 0, 1))
        encoder.setimage(image.im, (0, top, image.width, bottom))
        _, status, data = encoder.encode(size)
        if status == 1 and len(data) == size:
            return data
    except (AttributeError, TypeError, ValueError, OSError):
        pass
    return image.crop((0, top, image.width, bottom)).tobytes()


def _filtered(packed: bytes, width: int, channels: int) -> memoryview:
    """Each row PNG-filtered: the first with Sub (type 1: each byte minus the byte one pixel to its
    left), which needs no row above, the others with Up (type 2: minus the byte above); modulo 256."""
    raw = np.frombuffer(packed, dtype=np.uint8).reshape(-1, width * channels)
    out = np.empty((raw.shape[0], raw.shape[1] + 1), dtype=np.uint8)
    out[0, 0], out[1:, 0] = 1, 2
    out[0, 1 : channels + 1] = raw[0, :channels]
    np.subtract(raw[0, channels:], raw[0, :-channels], out=out[0, channels + 1 :])  # uint8 wraps
    np.subtract(raw[1:], raw[:-1], out=out[1:, 1:])
    return memoryview(out).cast("B")


def _row_bytes(image: Image.Image) -> int:
    """Bytes of one PNG row of the image's pixels (filter byte not counted)."""
    return image.width * _COLOR_TYPES[image.mode][1]


def _splits(image: Image.Image) -> bool:
    """Whether the image is big enough to be cut into bands (else one)."""
    return _row_bytes(image) * image.height >= SPLIT_MIN_BYTES


def _shared(image: Image.Image) -> bool:
    """Whether the image is big enough for its bands to be shared with the helper thread."""
    return _row_bytes(image) * image.height >= SHARE_MIN_BYTES


_HELPER_LOCK = threading.Lock()
_MULTICORE = (os.cpu_count() or 1) >= 2  # asked once: os.cpu_count() reads /sys on every call
_helper_pool: tuple[int, ThreadPoolExecutor] | None = None


def _helper() -> ThreadPoolExecutor | None:
    """This process's one helper thread (made after any fork), or None on a single-core machine."""
    global _helper_pool
    if not _MULTICORE:
        return None
    pool = _helper_pool
    if pool is not None and pool[0] == os.getpid():
        return pool[1]
    with _HELPER_LOCK:
        if _helper_pool is None or _helper_pool[0] != os.getpid():
            _helper_pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="png-deflate"))
        return _helper_pool[1]


def _chunk(kind: bytes, payload: bytes) -> tuple[bytes, ...]:
    """A PNG chunk's parts: length, type, payload, CRC-32 of type and payload."""
    checksum = zlib_ng.crc32(payload, zlib_ng.crc32(kind))
    return struct.pack(">I", len(payload)), kind, payload, struct.pack(">I", checksum)
