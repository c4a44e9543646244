"""Lettering fixtures: the OCR engine loaded once per test session, model-like lettering images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ogservice.lettering import ocr
from tests.emulators.lettering import draw_lettering, encode

WIDTH, HEIGHT = 1024, 576  # a model's lettering canvas (16:9 at ~0.6 MP)


@pytest.fixture(scope="session")
def ocr_engine() -> object:
    """Load the engine once; tests that read lettering request this fixture."""
    return ocr.engine()


def gradient(start: tuple[int, int, int], end: tuple[int, int, int]) -> Image.Image:
    """A diagonal gradient background, as a model drifts from the asked flat colour."""
    t = np.add.outer(np.linspace(0, 0.5, HEIGHT), np.linspace(0, 0.5, WIDTH))[..., None]
    rgb = np.asarray(start) * (1 - t) + np.asarray(end) * t
    return Image.fromarray(rgb.round().astype(np.uint8), "RGB")


def lettering_png(text: str, ink=(250, 250, 250, 255), ground=(0, 0, 0, 0), fmt: str = "PNG") -> bytes:
    """`text` lettered large on `ground` (an RGBA colour or an image), encoded as a model returns it."""
    return encode(draw_lettering(text, WIDTH, HEIGHT, ink=ink, ground=ground), fmt)
