"""Layers never collide: on every template and preset, with the gallery's contents (five scripts,
short and long texts, brand colours, photos) and with the longest texts a field allows in spirit
(long prices, long calls to action, long badges), no text layer's ink comes near another text's
ink or another layer's box, and no ink runs off the card.

Ink is measured as drawn: each text block is drawn alone onto a blank canvas and its inked pixels'
box is read back, so tall Arabic metrics, Devanagari vowel signs and descenders count exactly.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ogservice import gallery
from ogservice.cards import backgrounds
from ogservice.cards.compose import Canvas, _outer, _plan, _TextPlan
from ogservice.cards.fields import parse_card_request
from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from ogservice.cards.layers import card_direction
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.cards.text import draw_text

TEMPLATES = load_templates([BUNDLED_DIR])
FONTS = FontRegistry.load([BUNDLED_FONTS_DIR])
IMAGE_ID = "a" * 64
CLEAR = 4  # px of clear space between one layer's ink and anything of another layer
MARGIN = 6  # px of clear space between any ink and the card's edges

# Beyond the gallery: the long values a shop's feed really sends, in the fields that grow sideways.
STRESS = {
    "blog-post": [
        ("title", "How we rebuilt our rendering pipeline around layers, fonts and a content-hash cache"),
        ("subtitle", "A long subtitle that wraps onto a second line to see where the byline goes"),
        ("author", "Margaret Hamilton-Lovelace"),
        ("site", "engineering.example-company.com"),
        ("tag", "Infrastructure"),
        ("date", "2026-11-21"),
    ],
    "hero": [
        ("title", "Social images that spell every word right, in every script"),
        ("subtitle", "Cards and banners from your templates in milliseconds, with measured contrast"),
        ("eyebrow", "New in version 2"),
        ("cta", "Start your free trial"),
    ],
    "promo-banner": [
        ("headline", "Winter clearance on every trail running shoe and jacket"),
        ("subhead", "Free shipping and free returns on every order this weekend only"),
        ("discount", "40% OFF TODAY"),
        ("price", "$1,299.99"),
        ("old_price", "$1,899.99"),
        ("cta", "Get started today"),
    ],
}


def _photo() -> Image.Image:
    return Image.open(io.BytesIO(gallery.sample_photo())).convert("RGB")


PHOTO = _photo()


def _cases():
    for card in gallery.plan(TEMPLATES):
        params = [(k, IMAGE_ID if v == gallery.PHOTO else v) for k, v in card.params]
        yield pytest.param(card.template, card.size, params, id=card.file.removesuffix(".png"))
    for name, template in sorted(TEMPLATES.items()):
        for size in template.sizes:
            for images in (False, True):
                extra = [(f, IMAGE_ID) for f, spec in template.fields.items() if spec.kind == "image"]
                params = [*STRESS[name], *(extra if images else [])]
                label = f"{name}/{size}/stress" + ("-images" if images else "")
                yield pytest.param(name, size, params, id=label)


def _ink_boxes(plans, width: int, height: int) -> dict[str, tuple[int, int, int, int]]:
    """Each text layer's inked pixels' box (left, top, right, bottom), drawn alone: ink that runs
    off the card is measured too (the canvas has room around it)."""
    room = 200
    boxes = {}
    for plan in plans:
        if not isinstance(plan, _TextPlan):
            continue
        canvas = Image.new("RGB", (width + 2 * room, height + 2 * room))
        origin = (round(plan.ink[0]) + room, round(plan.ink[1]) + room)
        draw_text(canvas, plan.block, origin, (255, 255, 255))
        box = canvas.getbbox()
        if box is not None:
            boxes[plan.layer.id] = (box[0] - room, box[1] - room, box[2] - room, box[3] - room)
    return boxes


def _near(a, b, clear: int) -> bool:
    return a[0] - clear < b[2] and b[0] < a[2] + clear and a[1] - clear < b[3] and b[1] < a[3] + clear


@pytest.mark.parametrize(("name", "size", "params"), list(_cases()))
def test_no_layer_touches_another_or_leaves_the_card(name, size, params):
    template = TEMPLATES[name]
    request = parse_card_request(template, [*params, ("size", size)], 10**8)
    pictures = {f: PHOTO for f, v in request.fields.items() if v == IMAGE_ID}
    palette = backgrounds.theme(request.fields.get("theme") or "ocean")
    canvas = Canvas(request.preset, request.fields, seed=7, palette=palette, images=pictures)
    direction = card_direction(template.layouts[request.preset.layout].layers, request.fields)
    plans, _ = _plan(template, canvas, FONTS, direction)
    width, height = request.preset.width, request.preset.height
    inks = _ink_boxes(plans, width, height)
    problems = []
    for layer, ink in inks.items():
        if ink[0] < MARGIN or ink[1] < MARGIN or ink[2] > width - MARGIN or ink[3] > height - MARGIN:
            problems.append(f"{layer}'s ink {ink} is within {MARGIN} px of the edge of {width}x{height}")
        for other in plans:
            if other.layer.id == layer:
                continue
            # Another text is measured by its ink; a pill, image or rule by the box it fills.
            if isinstance(other, _TextPlan) and other.layer.kind == "text":
                if other.layer.id not in inks:
                    continue
                theirs = inks[other.layer.id]
            else:
                x, y, w, h = _outer(other)
                theirs = (x, y, x + w, y + h)
            if _near(ink, theirs, CLEAR):
                problems.append(f"{layer}'s ink {ink} within {CLEAR} px of {other.layer.id} {theirs}")
    assert not problems, "\n".join(problems)
