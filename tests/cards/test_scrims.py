"""A text group (a title and the subtitle flowing after it) gets one scrim treatment over a busy
background: one panel of one polarity behind both, covering the gap between them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import backgrounds
from ogservice.cards.compose import Canvas, compose
from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from ogservice.cards.made import ReadyImages
from ogservice.cards.templates import BUNDLED_DIR, load_templates

TEMPLATES = load_templates([BUNDLED_DIR])


@pytest.fixture(scope="module")
def fonts() -> FontRegistry:
    return FontRegistry.load([BUNDLED_FONTS_DIR])


def _busy(width: int, height: int, period: int) -> Image.Image:
    """Black and white stripes, light on top and dark below: a light scrim would suit the title
    and a dark one the subtitle, if each chose alone."""
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 2 * period):
        draw.rectangle((x, 0, x + period - 1, height - 1), fill=(90, 90, 90))
    draw.rectangle((0, height * 0.55, width, height), fill=(30, 30, 40))
    for x in range(0, width, 2 * period):
        draw.rectangle((x, height * 0.55, x + period - 1, height - 1), fill=(160, 160, 170))
    return image


@pytest.mark.parametrize(("template", "size"), [("hero", "hd"), ("blog-post", "og")])
def test_a_title_and_its_subtitle_share_one_scrim(fonts, template, size):
    preset = TEMPLATES[template].sizes[size]
    background = _busy(preset.width, preset.height, 6)
    fields = {"title": "Social images that spell every word right", "subtitle": "Cards, in milliseconds"}
    canvas = Canvas(preset, fields, seed=1, palette=backgrounds.theme("ocean"), ready=ReadyImages(background))
    card = compose(TEMPLATES[template], canvas, fonts)
    reports = {r.id: r for r in card.texts}
    title, subtitle = reports["title"], reports["subtitle"]
    assert min(title.contrast, subtitle.contrast) >= 4.5
    assert title.contrast >= 7, "a scrim was needed anyway: it aims for 7:1 where its cap allows"
    assert title.scrim and subtitle.scrim
    before, after = np.asarray(background, dtype=int), np.asarray(card.image, dtype=int)
    # A column just left of the group's blocks, from the title's top to the subtitle's bottom.
    x = round(min(title.box[0], subtitle.box[0])) - 3
    rows = slice(round(title.box[1]), round(subtitle.box[1] + subtitle.box[3]))
    change = (after[rows, x] - before[rows, x]).sum(axis=1)
    assert (change <= 0).all() or (change >= 0).all(), "scrims of both polarities"
    assert (np.abs(change) > 0).all(), "a gap in the scrim between title and subtitle"
