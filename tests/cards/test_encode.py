import io

import numpy as np
import pytest
from PIL import Image

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
    gradient = ((np.array([20, 24, 60]) * (1 - (x + y) / 2)) + np.array([90, 40, 140]) * (x + y) / 2)
    data = encode_png(Image.fromarray(gradient.astype(np.uint8)))
    assert len(data) < 100_000
