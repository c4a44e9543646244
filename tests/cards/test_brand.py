"""A brand colour is used exactly where a marketer expects it (CTA, badge, rule), its text reads, and
the background derived from it stays in the brand's hue."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.color import contrast_ratio, palette_from_brand, parse_color, text_on, to_oklch
from ogservice.config import load_settings
from ogservice.pipeline import CardService

from .test_compose import SAMPLE_FIELDS, TEMPLATES, NoCache

BRANDS = ["#FF6B00", "#E4002B", "#00A86B", "#1DA1F2", "#FFD700", "#6A0DAD", "#000000", "#FFFFFF", "#808080"]
PILLS = {"promo-banner": ("cta", "discount"), "hero": ("cta", "eyebrow")}


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> CardService:
    return CardService(load_settings(dev=True, data_dir=tmp_path_factory.mktemp("brand")), NoCache())


def _hue_distance(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def _dominant(image: Image.Image, box: tuple[float, float, float, float]) -> tuple[int, int, int]:
    """The most frequent colour inside box: a pill's fill, around and between its letters."""
    x, y, w, h = box
    region = np.asarray(image.crop((round(x), round(y), round(x + w), round(y + h))).convert("RGB"))
    colours, counts = np.unique(region.reshape(-1, 3), axis=0, return_counts=True)
    return tuple(int(c) for c in colours[counts.argmax()])  # type: ignore[return-value]


@pytest.mark.parametrize("brand", BRANDS)
@pytest.mark.parametrize(("template", "size"), [(t, s) for t in PILLS for s in TEMPLATES[t].sizes])
def test_the_exact_brand_colour_fills_the_pills_and_their_text_reads(service, brand, template, size):
    job = service.run(template, [*SAMPLE_FIELDS[template], ("brand_color", brand), ("size", size)])
    image = Image.open(io.BytesIO(job.png))
    reports = {r.id: r for r in job.composition.texts}
    for pill in PILLS[template]:
        if pill not in reports:
            continue  # a layout without this pill
        assert _dominant(image, reports[pill].box) == parse_color(brand), f"{pill} is not {brand}"
        assert reports[pill].contrast >= 4.5, f"{pill} text on {brand}: {reports[pill].contrast}"
        assert not reports[pill].scrim, f"{pill} text on {brand} needed a scrim"
    assert "cta" in reports


@pytest.mark.parametrize("brand", BRANDS)
def test_text_on_a_brand_colour_reaches_aa(brand):
    fill = parse_color(brand)
    assert contrast_ratio(text_on(fill), fill) >= 4.5


def test_text_on_reaches_aa_on_every_grey():
    # Mid-greys (luminance ~0.19) are where neither white nor near-black reaches 4.5:1.
    assert all(contrast_ratio(text_on((v, v, v)), (v, v, v)) >= 4.5 for v in range(256))


@pytest.mark.parametrize("brand", [b for b in BRANDS if to_oklch(parse_color(b))[1] > 0.05])
def test_the_derived_background_keeps_the_brand_hue(service, brand):
    _, _, hue = to_oklch(parse_color(brand))
    palette = palette_from_brand(brand)
    assert all(_hue_distance(to_oklch(stop)[2], hue) <= 20 for stop in palette.stops)
    job = service.run("promo-banner", [("headline", "Hi"), ("brand_color", brand), ("size", "feed")])
    pixels = np.asarray(Image.open(io.BytesIO(job.png)).convert("RGB"))
    mean = tuple(round(float(c)) for c in pixels.reshape(-1, 3).mean(axis=0))
    lightness, chroma, card_hue = to_oklch(mean)  # type: ignore[arg-type]
    assert chroma > 0.015, f"{brand}: the card is grey ({mean})"
    assert _hue_distance(card_hue, hue) <= 30, f"{brand}: card hue {card_hue:.0f} vs brand {hue:.0f}"


def test_a_pill_grows_around_text_taller_than_its_box(service):
    # Arabic metrics make a one-line block taller than the tag's 44 px box less its padding.
    job = service.run("blog-post", [("title", "x"), ("tag", "جديد"), ("size", "og")])
    tag = next(r for r in job.composition.texts if r.id == "tag")
    assert not tag.scrim, "text overflowing its pill needed a scrim"
    image = Image.open(io.BytesIO(job.png))
    x, y, w, h = tag.box
    below = _dominant(image, (x, y + h - 4, w, 4))  # the bottom rows of the text sit on the pill
    assert below == _dominant(image, tag.box)
