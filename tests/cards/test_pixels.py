"""The zero-copy pixel view shows exactly the image's pixels, for any size Pillow stores."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ogservice.cards import contrast
from ogservice.cards.pixels import pixels


@pytest.mark.parametrize(("mode", "size"), [("RGB", (7, 3)), ("RGBA", (1200, 630)), ("RGB", (3000, 2000))])
def test_view_matches_the_image_pixels(mode: str, size: tuple[int, int]) -> None:
    # 3000x2000 is stored by Pillow in several blocks: the view falls back to a copy.
    channels = len(mode)
    data = np.random.default_rng(3).integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(data, mode)
    with pixels(image) as view:
        assert view.shape == (size[1], size[0], 4) and not view.flags.writeable
        assert np.array_equal(view[:, :, :channels], data)


def test_view_sees_later_drawing_and_refuses_other_modes() -> None:
    image = Image.new("RGB", (10, 10), (1, 2, 3))
    image.paste((200, 100, 50), (2, 2, 5, 5))
    with pixels(image) as view:
        assert tuple(view[3, 3, :3]) == (200, 100, 50) and tuple(view[0, 0, :3]) == (1, 2, 3)
    with pytest.raises(ValueError, match="RGB"), pixels(image.convert("L")):
        pass


def test_contrast_samples_come_from_inside_the_box() -> None:
    rng = np.random.default_rng(5)
    data = rng.integers(0, 256, (630, 1200, 3), dtype=np.uint8)
    image = Image.fromarray(data)
    small = (100, 100, 140, 150)  # 2000 pixels: all of them are read
    assert np.array_equal(contrast.sample(image, small), data[100:150, 100:140].reshape(-1, 3))
    big = (80, 136, 1120, 416)
    samples = contrast.sample(image, big)
    inside = {tuple(p) for p in data[136:416, 80:1120].reshape(-1, 3)}
    assert len(samples) == contrast.SAMPLES and all(tuple(p) in inside for p in samples[:500])
    assert np.array_equal(samples, contrast.sample(image, big))  # fixed: same box, same answer


def test_mean_color_is_the_average_behind_the_box() -> None:
    image = Image.new("RGB", (1200, 630), (0, 0, 0))
    image.paste((200, 100, 50), (600, 0, 1200, 630))  # right half coloured
    # 4,000 pixels are all read: exact
    assert contrast.mean_color(contrast.sample(image, (560, 100, 640, 150))) == (100, 50, 25)
    estimate = contrast.mean_color(contrast.sample(image, (0, 0, 1200, 630)))  # a fixed sample of 4096 pixels
    assert all(abs(e - t) <= 6 for e, t in zip(estimate, (100, 50, 25), strict=True))
