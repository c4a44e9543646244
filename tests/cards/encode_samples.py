"""What byte limits are tested and benchmarked on: one promo banner's content and photograph-like
pixels. Shared by tests/cards/test_formats.py and bench/formats_bench.py, so the benchmark measures
the very cards whose limits the tests check."""

from __future__ import annotations

import numpy as np
from PIL import Image

BANNER = [
    ("headline", "Summer sale: everything must go"),
    ("subhead", "Free shipping on orders over $50"),
    ("discount", "-40%"),
    ("price", "$59"),
    ("old_price", "$99"),
    ("cta", "Shop now"),
]


def photo(width: int, height: int) -> Image.Image:
    """Photograph-like pixels: smooth colour blobs and sensor noise (what a product image adds),
    the same for the same size (seeded)."""
    rng = np.random.default_rng(7)
    blobs = rng.integers(0, 256, (height // 40 + 2, width // 40 + 2, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(blobs).resize((width, height), Image.Resampling.BICUBIC), np.int16)
    noisy = smooth + rng.normal(0, 4, smooth.shape).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
