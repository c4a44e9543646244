"""Model-made pixels in a card: a background covering the canvas, lettering fitted into its layer's
box (text below it flows under it), and lettering that would not read gets a scrim."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import backgrounds, contrast
from ogservice.cards.compose import Canvas, compose
from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from ogservice.cards.made import MIN_LETTERING_CONTRAST, ReadyImages, cover, paste_legibly
from ogservice.cards.templates import BUNDLED_DIR, load_templates

TEMPLATES = load_templates([BUNDLED_DIR])
FIELDS = {"title": "Hello layers", "subtitle": "A subtitle under the title", "bg": "ai", "lettering": "ai"}


@pytest.fixture(scope="module")
def fonts() -> FontRegistry:
    return FontRegistry.load([BUNDLED_FONTS_DIR])


def _canvas(ready: ReadyImages) -> Canvas:
    preset = TEMPLATES["blog-post"].sizes["og"]
    return Canvas(preset, FIELDS, seed=3, palette=backgrounds.theme("midnight"), ready=ready)


def _lettering(
    width: int = 600, height: int = 120, ink: tuple[int, ...] = (250, 250, 250, 255)
) -> Image.Image:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, width - 1, height - 1), fill=ink)
    return image


def test_cover_fills_the_canvas_and_cuts_the_overflow_evenly() -> None:
    wide = Image.new("RGB", (300, 100), (255, 0, 0))
    ImageDraw.Draw(wide).rectangle((100, 0, 199, 99), fill=(0, 0, 255))  # the middle third
    covered = cover(wide, 120, 120)
    assert covered.size == (120, 120) and covered.mode == "RGB"
    assert covered.getpixel((60, 60)) == (0, 0, 255) and covered.getpixel((1, 60))[2] > 200


def test_a_ready_background_replaces_the_procedural_one(fonts: FontRegistry) -> None:
    green = Image.new("RGB", (1024, 576), (20, 160, 60))
    card = compose(TEMPLATES["blog-post"], _canvas(ReadyImages(background=green)), fonts).image
    assert card.size == (1200, 630) and card.getpixel((3, 3)) == (20, 160, 60)


def test_lettering_takes_the_title_box_and_the_subtitle_flows_below_it(fonts: FontRegistry) -> None:
    green = Image.new("RGB", (1200, 630), (20, 160, 60))
    local = compose(TEMPLATES["blog-post"], _canvas(ReadyImages(background=green)), fonts)
    lettered = compose(TEMPLATES["blog-post"], _canvas(ReadyImages(green, {"title": _lettering()})), fonts)
    # Only the subtitle remains a text layer; it starts below the lettering's box (fitted into the
    # title box's width: 1040 px wide at this aspect, so 208 px tall, centred in the 280 px box from
    # y = 136, i.e. from y = 172).
    assert [t.id for t in local.texts] == ["title", "subtitle"]
    assert [t.id for t in lettered.texts] == ["subtitle"]
    assert lettered.texts[0].box[1] >= 172 + 208
    pixels = np.asarray(lettered.image)
    assert (pixels[176:376, 100:1100] == (250, 250, 250)).all(axis=2).mean() > 0.9


def test_lettering_that_would_not_read_gets_a_scrim() -> None:
    card = Image.new("RGB", (400, 200), (245, 245, 245))
    ratio = paste_legibly(card, _lettering(200, 50, (255, 255, 255, 255)), (100, 75, 200, 50))
    assert ratio >= MIN_LETTERING_CONTRAST
    # The scrim reaches past the lettering (its padding), so the letters' edges read too.
    assert contrast.measure_contrast(card, (94, 80, 99, 120), (255, 255, 255)) >= MIN_LETTERING_CONTRAST
