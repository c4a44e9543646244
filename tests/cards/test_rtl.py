"""Right-to-left cards: the layout mirrors when the main text is right-to-left, in every template
and preset, with and without image layers; left-to-right cards keep their layout (the goldens)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import backgrounds
from ogservice.cards.compose import Canvas, Composition, compose
from ogservice.cards.fields import parse_card_request
from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from ogservice.cards.layers import applies, card_direction
from ogservice.cards.templates import BUNDLED_DIR, Layer, load_templates

from . import golden_check

TEMPLATES = load_templates([BUNDLED_DIR])
FONTS = FontRegistry.load([BUNDLED_FONTS_DIR])
IMAGE_ID = "a" * 64
TOLERANCE = 3.0  # pixels an ink edge may differ from its mirror (rounding to whole pixels, hinting)

ARABIC = {
    "blog-post": [
        ("title", "إطلاق Next.js 15 مع دعم React Server Components"),
        ("subtitle", "خلفيات إجرائية وخطوط حقيقية"),
        ("author", "أحمد"),
        ("date", "2026-11-21"),
        ("site", "ogservice.dev"),
        ("tag", "هندسة"),
    ],
    "hero": [
        ("title", "صور اجتماعية تكتب كل كلمة بشكل صحيح"),
        ("subtitle", "بطاقات ولافتات من قوالبك في أجزاء من الثانية"),
        ("eyebrow", "جديد"),
        ("cta", "ابدأ الآن"),
    ],
    "promo-banner": [
        ("headline", "خصم 50% على جميع الدورات حتى 31 ديسمبر"),
        ("subhead", "عرض نهاية الأسبوع فقط"),
        ("discount", "-50%"),
        ("price", "٧٩ ر.س"),
        ("old_price", "١٥٩ ر.س"),
        ("cta", "تسوق الآن"),
    ],
}
HEBREW = {
    "blog-post": [
        ("title", "איך הורדנו את חשבון התמונות ב-90% בשבוע אחד"),
        ("subtitle", "רקעים פרוצדורליים וגופנים אמיתיים"),
        ("author", "עדה"),
        ("date", "2026-11-21"),
        ("site", "ogservice.dev"),
        ("tag", "הנדסה"),
    ],
    "hero": [
        ("title", "תמונות חברתיות שמאייתות כל מילה נכון"),
        ("subtitle", "כרטיסים ובאנרים מהתבניות שלך"),
        ("eyebrow", "חדש"),
        ("cta", "התחילו עכשיו"),
    ],
    "promo-banner": [
        ("headline", "מבצע 50% הנחה על הכול"),
        ("subhead", "קולקציית החורף, רק בסוף השבוע"),
        ("discount", "-50%"),
        ("price", "₪79"),
        ("old_price", "₪159"),
        ("cta", "לקנייה"),
    ],
}
SCRIPTS = {"arabic": ARABIC, "hebrew": HEBREW}
CASES = [
    (name, size, script, images)
    for name, template in sorted(TEMPLATES.items())
    for size in template.sizes
    for script in SCRIPTS
    for images in (False, True)
]


def _picture(field: str) -> Image.Image:
    """A picture whose left third differs from the rest: a flipped image would show it."""
    picture = Image.new("RGB", (400, 120) if field == "logo" else (800, 600), (30, 90, 200))
    ImageDraw.Draw(picture).rectangle((0, 0, picture.width // 3, picture.height), fill=(250, 220, 40))
    return picture


def render(name: str, size: str, fields, images: bool = False, direction: str = "") -> Composition:
    template = TEMPLATES[name]
    wanted = [f for f, spec in template.fields.items() if spec.kind == "image"] if images else []
    pictures = {f: _picture(f) for f in wanted}
    params = [*fields, *((f, IMAGE_ID) for f in pictures), ("size", size)]
    req = parse_card_request(template, params, 10**8)
    values = {**req.fields, "dir": direction} if direction else req.fields
    palette = backgrounds.theme(req.fields.get("theme") or "midnight")
    return compose(template, Canvas(req.preset, values, seed=7, palette=palette, images=pictures), FONTS)


def _mirrored(box, width: int):
    x, y, w, h = box
    return (width - x - w, y, w, h)


@pytest.mark.parametrize(("name", "size", "script", "images"), CASES)
def test_a_right_to_left_card_is_the_mirror_of_its_left_to_right_layout(name, size, script, images):
    fields = SCRIPTS[script][name]
    rtl = render(name, size, fields, images)
    ltr = render(name, size, fields, images, direction="ltr")
    width = rtl.image.width
    assert rtl.direction == "rtl" and ltr.direction == "ltr"
    assert [i for i, _ in rtl.layers] == [i for i, _ in ltr.layers]
    if images:
        assert rtl.images, "the image layers were drawn"
    rtl_pixels, ltr_pixels = np.asarray(rtl.image.convert("RGB")), np.asarray(ltr.image.convert("RGB"))
    for (layer, got), (_, was) in zip(rtl.layers, ltr.layers, strict=True):
        want = _mirrored(was, width)
        moved = max(abs(a - b) for a, b in zip(got, want, strict=True))
        assert moved <= 1.0, f"{layer}: {got} vs mirror {want}"
    for got, was in zip(rtl.texts, ltr.texts, strict=True):  # each text's ink, measured in the pixels
        ink, ltr_ink = golden_check.ink_box(rtl_pixels, got.box), golden_check.ink_box(ltr_pixels, was.box)
        assert ink is not None and ltr_ink is not None, f"{got.id}: no ink"
        # The same glyphs, moved with their block: the block is mirrored, the letters are not, so
        # the ink keeps its place inside the block (side bearings make it a hair off-centre there).
        moved = _mirrored(was.box, width)[0] - was.box[0]
        want = (ltr_ink[0] + moved, ltr_ink[1], ltr_ink[2] + moved, ltr_ink[3])
        off = max(abs(a - b) for a, b in zip(ink, want, strict=True))
        assert off <= TOLERANCE, f"{got.id}: {ink} vs {want}"
        mirror = (width - ltr_ink[2], width - ltr_ink[0])
        bearings = abs((ltr_ink[0] - was.box[0]) - (was.box[0] + was.box[2] - ltr_ink[2]))
        assert abs(ink[0] - mirror[0]) <= TOLERANCE + bearings, f"{got.id}: ink {ink}, mirror {mirror}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_feed_banners_headline_hugs_the_right_margin(script):
    """The issue's example: the Arabic headline sat at the middle of the feed banner."""
    result = render("promo-banner", "feed", SCRIPTS[script]["promo-banner"])
    headline = next(r for r in result.texts if r.id == "headline")
    margin = 72  # the layout's left margin, mirrored
    assert headline.box[0] + headline.box[2] == pytest.approx(result.image.width - margin, abs=1)
    discount = next(box for layer, box in result.layers if layer == "discount")
    assert discount[0] + discount[2] < headline.box[0], "the badge moved to the left of the headline"


def _layer(text: str, kind: str = "text", when: str = "") -> Layer:
    return Layer(kind=kind, text=text, box=(0, 0, 10, 10), when=when)


@pytest.mark.parametrize(
    ("layers", "fields", "expected"),
    [
        ([_layer("{title}")], {"title": "Hello"}, "ltr"),
        ([_layer("{title}")], {"title": "31 ديسمبر"}, "rtl"),  # digits are weak: the first letter decides
        ([_layer("{title}"), _layer("{site}")], {"title": "Hello", "site": "مثال"}, "ltr"),  # main text
        ([_layer("{title}"), _layer("{site}")], {"title": "שלום", "site": "example.com"}, "rtl"),
        ([_layer("{title}"), _layer("{sub}")], {"title": "50%", "sub": "שלום"}, "rtl"),  # no letter: the next
        ([_layer("{tag}", kind="pill"), _layer("{title}")], {"tag": "שלום", "title": "Hi"}, "ltr"),
        ([_layer("{title}", when="image"), _layer("{title}")], {"title": "Hi"}, "ltr"),
        ([_layer("{title}")], {"title": "שלום", "dir": "ltr"}, "ltr"),  # a template's dir field overrides
        ([_layer("{title}")], {"title": "Hello", "dir": "rtl"}, "rtl"),
        ([_layer("{title}")], {"title": "שלום", "dir": "auto"}, "rtl"),
        ([_layer("{title}")], {"title": ""}, "ltr"),
    ],
)
def test_the_cards_direction_is_its_main_texts(layers, fields, expected):
    assert card_direction(layers, fields) == expected


def test_a_left_to_right_card_with_a_right_to_left_subtitle_keeps_its_layout():
    """Mixed cards follow the main text: an Arabic subtitle under a Latin title starts on the left."""
    fields = [("title", "Launch notes"), ("subtitle", "إطلاق Next.js 15 مع دعم React")]
    result = render("blog-post", "og", fields)
    boxes = {r.id: r.box for r in result.texts}
    assert result.direction == "ltr"
    assert boxes["subtitle"][0] == pytest.approx(boxes["title"][0], abs=1)


def test_the_dir_field_lays_a_latin_title_out_right_to_left():
    """blog-post and hero offer `dir`: a Latin product name on an Arabic site can ask for rtl."""
    result = render("blog-post", "og", [("title", "iPhone 16"), ("site", "متجر"), ("dir", "rtl")])
    title = next(r for r in result.texts if r.id == "title")
    assert result.direction == "rtl"
    assert title.box[0] + title.box[2] == pytest.approx(result.image.width - 80, abs=1)
    assert render("blog-post", "og", [("title", "שלום"), ("dir", "ltr")]).direction == "ltr"


@pytest.mark.parametrize("size", sorted(TEMPLATES["promo-banner"].sizes))
def test_the_dir_field_lays_a_promo_banner_out_right_to_left(size):
    """promo-banner offers `dir` too: a Latin headline on an Arabic shop's banner can ask for rtl,
    and every layer is then the mirror of its left-to-right place."""
    fields = [("headline", "Winter sale"), ("discount", "-40%"), ("price", "$79"), ("cta", "Shop now")]
    ltr = render("promo-banner", size, fields)
    rtl = render("promo-banner", size, [*fields, ("dir", "rtl")])
    assert (ltr.direction, rtl.direction) == ("ltr", "rtl")
    width = rtl.image.width
    assert [i for i, _ in rtl.layers] == [i for i, _ in ltr.layers]
    for (layer, got), (_, was) in zip(rtl.layers, ltr.layers, strict=True):
        want = _mirrored(was, width)
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1.0, f"{layer}: {got} vs {want}"
    assert render("promo-banner", size, [("headline", "שלום"), ("dir", "ltr")]).direction == "ltr"


@pytest.mark.parametrize(
    ("template", "size", "field"), [("blog-post", "og", "title"), ("promo-banner", "feed", "headline")]
)
@pytest.mark.parametrize("title", ["مرحبا بالعالم", "שלום עולם"])
def test_a_short_right_to_left_title_balances_the_card_from_the_right(template, size, field, title):
    """Short content balances the layout in both directions: large, centred in its space, and on
    the right-to-left card flush with the right margin."""
    result = render(template, size, [(field, title)])
    layout = TEMPLATES[template].layouts[TEMPLATES[template].sizes[size].layout]
    fields = {field: title}
    layer = next(la for la in layout.layers if la.id == field and applies(la, fields))
    x, top, width, height = layer.box  # the preset is the layout's reference size
    report = next(r for r in result.texts if r.id == field)
    assert report.lines == 1 and report.box[3] >= height / 4
    assert abs(report.box[1] + report.box[3] / 2 - (top + height / 2)) <= 2
    if layer.align == "center":  # a layout that centres short content (the headline-only poster)
        assert report.box[0] + report.box[2] / 2 == pytest.approx(result.image.width / 2, abs=2)
    else:
        assert report.box[0] + report.box[2] == pytest.approx(result.image.width - x, abs=1)
