"""Test images: small solid PNGs, and PNGs whose header promises far more pixels than they carry."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png_bytes(
    size: tuple[int, int] = (40, 30), color: tuple[int, ...] = (200, 30, 60), mode: str = "RGB"
) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def bomb_png(width: int, height: int, rows: int | None = None) -> bytes:
    """A greyscale PNG of width x height black pixels: tiny on the wire, huge when decoded. With
    `rows`, only that many rows of data follow the header (enough for a header check to judge)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    data += compressor.flush()
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)),
            _chunk(b"IDAT", data),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
