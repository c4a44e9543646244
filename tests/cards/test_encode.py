import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from ogservice.cards import encode
from ogservice.cards.encode import encode_png


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_png_round_trips_pixel_exact(mode):
    rng = np.random.default_rng(1)
    channels = len(mode)
    pixels = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    original = Image.fromarray(pixels, mode)
    decoded = Image.open(io.BytesIO(encode_png(original)))
    decoded.load()
    assert decoded.mode == mode and decoded.size == (53, 37)
    assert np.array_equal(np.asarray(decoded), pixels)


def test_other_modes_are_converted_to_rgb():
    decoded = Image.open(io.BytesIO(encode_png(Image.new("L", (4, 3), 128))))
    assert decoded.mode == "RGB" and decoded.getpixel((0, 0)) == (128, 128, 128)


def test_smooth_card_background_compresses_well():
    y = np.linspace(0, 1, 630)[:, None, None]
    x = np.linspace(0, 1, 1200)[None, :, None]
    gradient = (np.array([20, 24, 60]) * (1 - (x + y) / 2)) + np.array([90, 40, 140]) * (x + y) / 2
    data = encode_png(Image.fromarray(gradient.astype(np.uint8)))
    assert len(data) < 100_000


def _card_like(width=1200, height=630):
    """Blocky background with noisy text-like bands: big enough to take the two-segment path."""
    rng = np.random.default_rng(7)
    field = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    pixels = np.repeat(np.repeat(field, 8, axis=0), 8, axis=1)[:height, :width].copy()
    pixels[200:400, 100:1100] = rng.integers(0, 256, size=(200, 1000, 3), dtype=np.uint8)
    return pixels


def test_big_image_round_trips_through_the_two_segment_stream():
    pixels = _card_like()
    assert pixels.nbytes > encode.SPLIT_MIN_BYTES
    decoded = Image.open(io.BytesIO(encode_png(Image.fromarray(pixels))))
    decoded.load()
    assert np.array_equal(np.asarray(decoded), pixels)


def test_bytes_do_not_depend_on_whether_the_helper_core_was_free():
    # The asset is stored under sha256(png): the same card must always give the same bytes.
    image = Image.fromarray(_card_like())
    with_helper = encode_png(image)
    assert encode._HELPER_FREE.acquire(blocking=False)  # the helper is now "busy"
    try:
        alone = encode_png(image)
    finally:
        encode._HELPER_FREE.release()
    assert alone == with_helper


def test_concurrent_encodes_of_one_image_are_identical():
    image = Image.fromarray(_card_like())
    with ThreadPoolExecutor(6) as pool:
        results = set(pool.map(lambda _: encode_png(image), range(12)))
    assert len(results) == 1


def test_rows_reported_final_too_early_are_compressed_again_not_kept_stale(caplog):
    image = Image.fromarray(_card_like())
    encoder = encode.PngEncoder()
    encoder.rows_final(image, image.height)  # a (buggy) caller promises every row is final...
    image.paste((255, 0, 0), (0, 10, 50, 20))  # ...then draws in the top half anyway
    decoded = Image.open(io.BytesIO(encoder.finish(image)))
    decoded.load()
    assert np.array_equal(np.asarray(decoded), np.asarray(image))
    assert "compressed again" in caplog.text
    assert encoder.finish(image) != b"" and encode_png(image) == encoder.finish(image)
