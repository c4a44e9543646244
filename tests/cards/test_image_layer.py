"""Image layers: where an image's pixels land (cover with its focal point, contain, corners, shadow),
and how the bundled templates place product photos, logos and avatars in every preset."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import backgrounds
from ogservice.cards.compose import Canvas, compose
from ogservice.cards.fields import parse_card_request
from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from ogservice.cards.image_layer import plan_image
from ogservice.cards.templates import (
    BUNDLED_DIR,
    Layer,
    Template,
    TemplateError,
    load_template,
    load_templates,
)
from ogservice.errors import UnprocessableField

RED, BLUE, GREEN, GREY = (220, 30, 40), (30, 60, 220), (20, 170, 60), (128, 128, 128)
TEMPLATES = load_templates([BUNDLED_DIR])
ID = "ab" * 32


@pytest.fixture(scope="module")
def fonts() -> FontRegistry:
    return FontRegistry.load([BUNDLED_FONTS_DIR])


def halves(width: int = 400, height: int = 100) -> Image.Image:
    """Left half red, right half blue: which half a crop kept is one pixel away."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def drawn(layer: Layer, box, source: Image.Image, canvas=(300, 200)) -> Image.Image:
    image = Image.new("RGB", canvas, GREY)
    plan = plan_image(layer, box, source, 1.0)
    assert plan is not None
    plan.draw(image)
    return image


def image_layer(**options) -> Layer:
    return Layer(kind="image", image="{image}", box=(0, 0, 1, 1), **options)


@pytest.mark.parametrize(("focus", "kept"), [((0.0, 0.5), RED), ((1.0, 0.5), BLUE)])
def test_cover_fills_the_box_and_keeps_the_focal_point(focus, kept):
    image = drawn(image_layer(fit="cover", focus=focus), (50, 50, 100, 100), halves())
    box = np.asarray(image)[50:150, 50:150]
    assert (box == kept).all(axis=2).all(), "the crop kept the other half of the image"
    assert image.getpixel((49, 49)) == GREY and image.getpixel((150, 150)) == GREY  # nothing outside


def test_cover_centres_by_default_and_the_focus_moves_vertically_too():
    centred = drawn(image_layer(), (0, 0, 100, 100), halves())
    assert centred.getpixel((10, 50)) == RED and centred.getpixel((90, 50)) == BLUE
    tall = halves().rotate(90, expand=True)  # bottom red, top blue... (rotated: top half blue)
    top_colour = tall.getpixel((50, 10))
    bottom_colour = tall.getpixel((50, 390))
    assert drawn(image_layer(focus=(0.5, 0.0)), (0, 0, 100, 100), tall).getpixel((50, 50)) == top_colour
    assert drawn(image_layer(focus=(0.5, 1.0)), (0, 0, 100, 100), tall).getpixel((50, 50)) == bottom_colour


@pytest.mark.parametrize(("align", "left"), [("start", 0), ("center", 50), ("end", 100)])
def test_contain_shows_the_whole_image_placed_by_align(align, left):
    layer = image_layer(fit="contain", align=align, valign="center")
    image = drawn(layer, (0, 0, 200, 100), halves(200, 200), canvas=(200, 100))
    pixels = np.asarray(image)  # the red|blue seam is resampled: a few pixels either side are mixed
    assert (pixels[:, left : left + 44] == RED).all() and (pixels[:, left + 56 : left + 100] == BLUE).all()
    outside = np.ones(200, bool)
    outside[left : left + 100] = False
    assert (pixels[:, outside] == GREY).all(), "contain painted outside the image"


def test_radius_cuts_the_corners_and_keeps_the_middle():
    image = drawn(image_layer(radius=30), (100, 50, 100, 100), Image.new("RGB", (50, 50), GREEN))
    assert image.getpixel((100, 50)) == GREY and image.getpixel((199, 149)) == GREY  # corners cut
    assert image.getpixel((150, 100)) == GREEN and image.getpixel((150, 50)) == GREEN  # edge middle kept


def test_a_shadow_darkens_below_the_image_and_only_with_shadow():
    source = Image.new("RGB", (50, 50), GREEN)
    with_shadow = drawn(image_layer(shadow=True), (100, 40, 100, 100), source)
    without = drawn(image_layer(), (100, 40, 100, 100), source)
    below = (150, 143)
    assert sum(with_shadow.getpixel(below)) < sum(GREY) - 30
    assert without.getpixel(below) == GREY
    assert with_shadow.getpixel((150, 90)) == GREEN  # the image itself sits on top


def test_a_transparent_image_keeps_the_background_where_it_is_clear():
    logo = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((25, 25, 74, 74), fill=RED + (255,))
    image = drawn(image_layer(fit="contain"), (0, 0, 100, 100), logo)
    assert image.getpixel((10, 10)) == GREY and image.getpixel((50, 50)) == RED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace('image = "{photo}"', 'image = "{title}"'), 'must name a field of kind "image"'),
        (lambda s: s.replace('image = "{photo}"', 'image = "photo"'), 'needs image = "{field}"'),
        (lambda s: s.replace('text = "{title}"', 'text = "{photo}"'), "an image field"),
        (lambda s: s.replace("focus = [0.5, 0.2]", "focus = [1.5, 0.2]"), "focus"),
        (lambda s: s.replace('when = "photo"', 'when = "nope"'), "nope"),
    ],
)
def test_image_layers_are_checked_when_the_template_loads(tmp_path, change, message):
    path = tmp_path / "pic.toml"
    path.write_text(change(PIC_TEMPLATE))
    with pytest.raises(TemplateError, match=message):
        load_template(path)
    path.write_text(PIC_TEMPLATE)
    assert load_template(path).fields["photo"].kind == "image"


PIC_TEMPLATE = """
default_size = "og"
[sizes]
og = { width = 600, height = 300, layout = "wide" }
[fields.title]
required = true
[fields.photo]
kind = "image"
max_length = 2000
[layouts.wide]
ref = [600, 300]
[[layouts.wide.layers]]
kind = "image"
id = "photo"
image = "{photo}"
box = [400, 0, 200, 300]
focus = [0.5, 0.2]
[[layouts.wide.layers]]
kind = "text"
id = "title"
when = "photo"
text = "{title}"
box = [20, 20, 360, 260]
"""


@pytest.mark.parametrize("value", ["not-an-id", "ftp://x.test/a.png", "ab" * 31, "javascript:alert(1)"])
def test_an_image_field_takes_an_id_or_an_http_url_only(value):
    with pytest.raises(UnprocessableField) as caught:
        parse_card_request(TEMPLATES["promo-banner"], [("headline", "Sale"), ("image", value)], 10**7)
    assert caught.value.extra["parameter"] == "image"


def test_an_image_id_is_read_in_lower_case():
    req = parse_card_request(TEMPLATES["promo-banner"], [("headline", "Sale"), ("image", ID.upper())], 10**7)
    assert req.fields["image"] == ID


# --- the bundled templates with images --------------------------------------------------------

PROMO_FIELDS = [
    ("headline", "Summer sale on every bottle we make"),
    ("subhead", "Keeps drinks cold for 24 hours"),
    ("discount", "-40%"),
    ("price", "$23.99"),
    ("old_price", "$39.99"),
    ("cta", "Shop now"),
]
PRODUCT = (214, 40, 60)


def product_photo() -> Image.Image:
    """A flat red product on a flat red-ish studio: every kept pixel of it is recognisable."""
    return Image.new("RGB", (800, 800), PRODUCT)


def render(template: Template, size: str, fields, images) -> tuple[Image.Image, object]:
    params = [*fields, *((name, ID) for name in images), ("size", size)]
    req = parse_card_request(template, params, 10**8)
    palette = backgrounds.theme(req.fields.get("theme") or "midnight")
    canvas = Canvas(preset=req.preset, fields=req.fields, seed=7, palette=palette, images=images)
    result = compose(template, canvas, FontRegistry.load([BUNDLED_FONTS_DIR]))
    return result.image, result


def overlaps(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("size", list(TEMPLATES["promo-banner"].sizes))
def test_every_promo_preset_shows_the_product_clear_of_the_text(size):
    template = TEMPLATES["promo-banner"]
    image, result = render(template, size, PROMO_FIELDS, {"image": product_photo()})
    boxes = dict(result.images)
    assert set(boxes) == {"product"}, f"{size}: image layers drawn: {list(boxes)}"
    x, y, w, h = boxes["product"]
    preset = template.sizes[size]
    assert x >= 0 and y >= 0 and x + w <= preset.width and y + h <= preset.height, (
        "the product leaves the card"
    )
    # Clearly visible: a good part of the card, and at least 40% of its shorter side (a 728x90
    # leaderboard has room for a 78x78 product, 9% of it, as tall as the card allows).
    assert w * h >= 0.08 * preset.width * preset.height, f"{size}: the product takes only {w}x{h}"
    assert min(w, h) >= 0.4 * min(preset.width, preset.height), f"{size}: the product is only {w}x{h}"
    inner = np.asarray(image)[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    assert (np.abs(inner.astype(int) - PRODUCT).max(axis=2) <= 2).all(), "the product's pixels are not there"
    ids = {t.id for t in result.texts}
    assert {"headline", "cta"} <= ids, f"{size}: texts drawn: {ids}"
    for text in result.texts:
        assert not overlaps(text.box, boxes["product"]), f"{size}: {text.id} {text.box} is over the product"


@pytest.mark.parametrize("size", ["feed", "square", "story", "billboard", "skyscraper"])
def test_a_promo_logo_sits_clear_of_the_text_and_product(size):
    template = TEMPLATES["promo-banner"]
    logo = Image.new("RGBA", (300, 100), (250, 200, 0, 255))
    for images in ({"logo": logo}, {"logo": logo, "image": product_photo()}):
        _, result = render(template, size, PROMO_FIELDS, images)
        boxes = dict(result.images)
        assert "logo" in boxes
        for text in result.texts:
            assert not overlaps(text.box, boxes["logo"]), f"{size}: {text.id} is over the logo"
        if "product" in boxes:
            assert not overlaps(boxes["logo"], boxes["product"])


@pytest.mark.parametrize("size", list(TEMPLATES["blog-post"].sizes))
def test_a_blog_avatar_leads_the_byline_and_a_logo_follows_the_site_name(size):
    fields = [
        ("title", "How we render cards"),
        ("author", "Ada Lovelace"),
        ("date", "2026-12-07"),
        ("site", "engineering.example"),
    ]
    face = Image.new("RGB", (200, 200), GREEN)
    _, result = render(TEMPLATES["blog-post"], size, fields, {"avatar": face, "logo": face})
    boxes, texts = dict(result.images), {t.id: t.box for t in result.texts}
    avatar, byline, logo, site = boxes["avatar"], texts["byline"], boxes["logo"], texts["site"]
    assert avatar[0] + avatar[2] <= byline[0] < avatar[0] + avatar[2] + 40  # just right of the avatar
    assert abs((avatar[1] + avatar[3] / 2) - (byline[1] + byline[3] / 2)) < 8  # on the byline's line
    assert site[0] + site[2] <= logo[0] < site[0] + site[2] + 40  # just right of the site name
    assert not any(overlaps(b, t) for b in boxes.values() for t in texts.values())
    assert not overlaps(byline, site), "the byline runs into the site name"


def test_the_hero_image_is_its_visual_beside_the_words():
    fields = [("title", "Bottles that keep up with you"), ("subtitle", "Steel, 24h cold"), ("cta", "Shop")]
    image, result = render(TEMPLATES["hero"], "hd", fields, {"image": product_photo()})
    ((_, box),) = result.images
    assert box[2] * box[3] >= 0.3 * 1920 * 1080
    assert all(not overlaps(t.box, box) for t in result.texts)
    assert image.getpixel((box[0] + box[2] // 2, box[1] + box[3] // 2)) == PRODUCT


def test_an_image_field_left_empty_draws_the_layout_without_it():
    template = TEMPLATES["promo-banner"]
    with_none, result = render(template, "feed", PROMO_FIELDS, {})
    assert result.images == []
    headline = next(t for t in result.texts if t.id == "headline")
    assert headline.box[0] == pytest.approx(72, abs=1)  # today's layout: the headline at x=72
