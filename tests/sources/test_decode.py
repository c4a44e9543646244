"""Decoding decides the type, refuses bombs from the header, and leaves a clean upright sRGB image."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from ogservice.cards.encode import encode_png
from ogservice.errors import ImageTooLarge, NotAnImage
from ogservice.sources.decode import FORMATS, DecodeLimits, decode

from .images import bomb_png

LIMITS = DecodeLimits(max_pixels=40_000_000, max_side=2400)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def halves(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "GIF"])
def test_each_format_decodes_to_rgb_with_its_real_format(fmt):
    data = encoded(halves(), fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP", "AVIF") else {}))
    result = decode(data, LIMITS)
    assert result.source_format == fmt.lower()
    assert result.image.mode == "RGB" and result.image.size == (40, 20)
    red, blue = result.image.getpixel((5, 10)), result.image.getpixel((35, 10))
    assert red[0] > 200 > red[2] and blue[2] > 200 > blue[0]


def test_gif_gives_its_first_frame():
    frames = [Image.new("P", (10, 10), i) for i in (1, 2, 3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    result = decode(data, LIMITS)
    assert result.source_format == "gif" and result.image.getpixel((0, 0)) == (255, 0, 0)


def test_exif_orientation_is_applied_and_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    result = decode(encoded(halves(), "PNG", exif=exif), LIMITS)
    assert result.image.size == (20, 40)
    assert result.image.getpixel((10, 5)) == (255, 0, 0) and result.image.getpixel((10, 35)) == (0, 0, 255)
    assert not result.image.info and not result.image.getexif()


def test_metadata_never_reaches_the_stored_png():
    """GPS EXIF, an ICC profile, text chunks: none of it is in what gets stored."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS IFD: latitude
    exif[0x010F] = "SecretCam"
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home address")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for data in (
        encoded(halves(), "JPEG", exif=exif, icc_profile=srgb, comment=b"home address"),
        encoded(halves(), "PNG", exif=exif, icc_profile=srgb, pnginfo=text),
        encoded(halves(), "WEBP", exif=exif, icc_profile=srgb),
    ):
        stored = encode_png(decode(data, LIMITS).image)
        assert chunk_types(stored) <= {b"IHDR", b"IDAT", b"IEND"}
        assert b"SecretCam" not in stored and b"home address" not in stored


def test_the_icc_profile_is_applied():
    """Pixels tagged with a profile whose red and blue primaries are swapped come out swapped."""
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    result = decode(encoded(red, "PNG", icc_profile=swapped_profile()), LIMITS)
    r, g, b = result.image.getpixel((0, 0))
    assert b > 200 and r < 60


def test_a_broken_icc_profile_is_ignored():
    result = decode(encoded(halves(), "PNG", icc_profile=b"not a profile" * 10), LIMITS)
    assert result.image.getpixel((5, 10)) == (255, 0, 0)


@pytest.mark.parametrize(
    ("image", "mode"),
    [
        (Image.new("RGBA", (4, 4), (10, 20, 30, 128)), "RGBA"),
        (Image.new("RGBA", (4, 4), (10, 20, 30, 255)), "RGB"),  # opaque alpha adds nothing
        (Image.new("LA", (4, 4), (90, 0)), "RGBA"),
        (Image.new("L", (4, 4), 90), "RGB"),
        (Image.new("1", (4, 4), 1), "RGB"),
    ],
)
def test_modes_become_rgb_or_rgba(image, mode):
    assert decode(encoded(image, "PNG"), LIMITS).image.mode == mode


def test_palette_transparency_keeps_its_alpha():
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    result = decode(encoded(image, "PNG", transparency=1), LIMITS)
    assert result.image.mode == "RGBA" and result.image.getpixel((0, 0))[3] == 0


def test_16_bit_grey_is_scaled_not_clipped():
    data = encoded(Image.fromarray(np.full((4, 4), 40000, dtype=np.uint16)), "PNG")
    assert decode(data, LIMITS).image.getpixel((0, 0)) == (156, 156, 156)  # 40000 >> 8


def test_cmyk_jpeg_becomes_rgb():
    result = decode(encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG", quality=95), LIMITS)
    r, g, b = result.image.getpixel((4, 4))
    assert result.image.mode == "RGB" and r > 200 and g < 60 and b < 60


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_images_shrink_to_max_side(fmt):
    result = decode(encoded(halves((4800, 1600)), fmt), DecodeLimits(max_pixels=40_000_000, max_side=1200))
    assert result.image.size == (1200, 400)


def test_pixel_cap_is_judged_from_the_header_before_decoding():
    """8000x8000 (64 MP) with only ten rows of data: decoding would fail as truncated, so an
    ImageTooLarge naming the size shows the header alone decided."""
    with pytest.raises(ImageTooLarge, match=r"8000x8000 pixels \(64.0 MP\); the limit is 40.0 MP"):
        decode(bomb_png(8000, 8000, rows=10), LIMITS)


def test_pillows_own_bomb_error_is_a_413():
    with pytest.raises(ImageTooLarge):
        decode(bomb_png(30000, 30000, rows=10), DecodeLimits(max_pixels=89_000_000, max_side=2400))


def test_same_bytes_give_the_same_stored_png():
    data = encoded(halves((300, 200)), "JPEG", quality=80)
    assert encode_png(decode(data, LIMITS).image) == encode_png(decode(data, LIMITS).image)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, not an image",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",  # never handed to Ghostscript
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        encoded(halves(), "BMP"),
        encoded(halves(), "TIFF"),
        encoded(halves(), "JPEG")[:200],  # truncated
        encoded(halves(), "PNG")[:-20],  # no IEND, IDAT cut
    ],
    ids=["empty", "text", "eps", "svg", "bmp", "tiff", "truncated-jpeg", "truncated-png"],
)
def test_what_does_not_decode_is_not_an_image(data):
    with pytest.raises(NotAnImage) as err:
        decode(data, LIMITS)
    assert err.value.status == 415


def test_a_png_with_a_damaged_chunk_is_not_an_image():
    data = bytearray(encoded(halves(), "PNG"))
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    with pytest.raises(NotAnImage):
        decode(bytes(data), LIMITS)


def chunk_types(png: bytes) -> set[bytes]:
    types, pos = set(), 8
    while pos < len(png):
        length = struct.unpack(">I", png[pos : pos + 4])[0]
        types.add(png[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def swapped_profile() -> bytes:
    """Pillow's built-in sRGB profile with the red and blue primaries (rXYZ, bXYZ) swapped."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    red_entry, blue_entry = data[red + 4 : red + 12], data[blue + 4 : blue + 12]  # (offset, size) of each tag
    data[red + 4 : red + 12], data[blue + 4 : blue + 12] = blue_entry, red_entry
    return bytes(data)
