"""A text group (a title and the subtitle flowing after it) gets one scrim treatment over a busy
background: one panel of one polarity behind both, covering the gap between them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import backgrounds, contrast
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


def _group_card(fonts, template: str, size: str, extra: dict[str, str] | None = None):
    preset = TEMPLATES[template].sizes[size]
    background = _busy(preset.width, preset.height, 6)
    fields = {"title": "Social images that spell every word right", "subtitle": "Cards, in milliseconds"}
    fields.update(extra or {})
    canvas = Canvas(preset, fields, seed=1, palette=backgrounds.theme("ocean"), ready=ReadyImages(background))
    card = compose(TEMPLATES[template], canvas, fonts)
    return background, card, {r.id: r for r in card.texts}


@pytest.mark.parametrize(("template", "size"), [("hero", "hd"), ("hero", "wide"), ("blog-post", "og")])
def test_a_group_scrim_fades_out_over_a_few_percent_of_the_canvas(fonts, template, size):
    """The designer's complaint: a scrim fading over at most 32 px read as a dark box pasted on a
    1920x1080 hero. It falls off over ~10% of the canvas's short side, gently (no step between two
    rows is a large part of its whole change), and is full over the text."""
    background, card, reports = _group_card(fonts, template, size)
    title = reports["title"]
    assert title.scrim and title.contrast >= 4.5 and reports["subtitle"].contrast >= 4.5
    before, after = np.asarray(background, dtype=int), np.asarray(card.image, dtype=int)
    x, top = round(title.box[0] + title.box[2] / 2), round(title.box[1])
    while np.array_equal(before[top - 1, x], after[top - 1, x]):  # glyphs may not reach the very top
        top += 1
    above = np.abs(after[:top, x] - before[:top, x]).sum(axis=1)  # the column above the title
    fade = top - np.flatnonzero(above)[0]  # rows from the title's top to the scrim's last trace
    short = min(card.image.size)
    assert 0.05 * short <= fade <= contrast.scrim_reach(*card.image.size) + 1, (fade, short)
    # Each row's change as a fraction of the way to the scrim's colour (the stripes differ): the
    # scrim's alpha there. It may only grow gently towards the title.
    delta = (after[:top, x] - before[:top, x]).sum(axis=1)
    scrim = np.array(contrast.DARK_SCRIM if delta[-1] < 0 else contrast.LIGHT_SCRIM)
    room = (scrim - before[:top, x]).sum(axis=1)
    alpha = delta / np.where(room == 0, 1, room)
    steps = np.abs(np.diff(alpha[top - fade :]))
    assert steps.max() <= 3 * alpha.max() / fade, "a hard edge in the fall-off"


def test_a_pill_beside_a_scrimmed_title_is_drawn_over_the_fall_off_not_dimmed(fonts):
    """The hero's eyebrow pill is drawn before the title: the title's scrim goes under it."""
    _, card, reports = _group_card(fonts, "hero", "hd", {"eyebrow": "New"})
    assert reports["title"].scrim
    x, y, w, h = next(box for layer, box in card.layers if layer == "eyebrow")
    pixels = np.asarray(card.image, dtype=int)
    column = round(x + h / 2)  # inside the pill's rounded end, clear of its text
    assert np.array_equal(pixels[round(y + 3), column], pixels[round(y + h) - 3, column])


def test_a_group_scrim_follows_its_blocks_not_the_box_around_them(fonts):
    """Beside a subtitle narrower than its title, inside the box around both but far from any
    text, the scrim has faded: it is full only over the blocks, so it reads as the words' shade."""
    background, card, reports = _group_card(fonts, "hero", "hd")
    title, subtitle = reports["title"], reports["subtitle"]
    assert title.scrim and subtitle.box[2] < title.box[2] / 2
    before, after = np.asarray(background, dtype=int), np.asarray(card.image, dtype=int)

    def alpha(x: float, y: float) -> float:  # how far the pixel moved towards the scrim's colour
        old, new = before[round(y), round(x)], after[round(y), round(x)]
        scrim = np.array(contrast.DARK_SCRIM if new.sum() < old.sum() else contrast.LIGHT_SCRIM)
        room = (scrim - old).sum()
        return float((new - old).sum() / room) if room else 0.0

    full = alpha(title.box[0] + 4, title.box[1] + title.box[3] / 2)
    beside = alpha(title.box[0] + 4, subtitle.box[1] + subtitle.box[3] - 2)
    assert full > 0.3 and beside < 0.8 * full, (full, beside)
