"""Promo banners fit to run: every ad size shows the offer (prices included), keeps its margins, and
its call to action stands out from what is around it. Measured on the rendered pixels and the
composition's layer boxes, for the gallery's samples with and without a product photo."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.color import contrast_ratio
from ogservice.gallery import FIXED, SAMPLES, sample_params
from ogservice.pipeline import CardService, Job

from .test_compose import TEMPLATES

PROMO = TEMPLATES["promo-banner"]
THEMES = PROMO.fields["theme"].choices
SAME_FILL = 24  # a pill's own pixels differ from its fill by less than this (anti-aliasing aside)
EDGE_MARGIN = 16  # px, at the layout's reference size (the skyscraper preset is its reference)


def render(service: CardService, size: str, sample: str, extra: dict[str, str]) -> tuple[Job, np.ndarray]:
    fields = set(PROMO.fields)
    params = [(k, v) for k, v in sample_params("promo-banner", sample, "", "", fields) if k]
    job = service.run("promo-banner", [*params, *extra.items(), ("size", size)])
    pixels = np.asarray(Image.open(io.BytesIO(job.png)).convert("RGB"), dtype=np.int16)
    return job, pixels


def texts(job: Job) -> dict[str, tuple[float, float, float, float]]:
    return {r.id: r.box for r in job.composition.texts}


def pill(pixels: np.ndarray, text_box: tuple[float, float, float, float]) -> tuple[int, int, np.ndarray]:
    """The pill around a text box: its left and right edge on the text's middle row, and its fill
    (the colour just beside the text, inside the pill's padding)."""
    x, y, w, h = text_box
    row = pixels[round(y + h / 2)]
    fill = row[min(len(row) - 1, round(x + w) + 3)]
    right = round(x + w) + 3
    while right + 1 < len(row) and np.abs(row[right + 1] - fill).max() < SAME_FILL:
        right += 1
    left = round(x) - 3
    while left - 1 >= 0 and np.abs(row[left - 1] - fill).max() < SAME_FILL:
        left -= 1
    return left, right + 1, fill


def extents(job: Job, pixels: np.ndarray) -> list[tuple[str, float, float, float, float]]:
    """(id, left, top, right, bottom) of everything drawn: text, pills (by their fill), images."""
    pills = {layer.id for layer in PROMO.layouts[job.request.preset.layout].layers if layer.kind == "pill"}
    out = []
    for name, (x, y, w, h) in texts(job).items():
        if name in pills:
            x0, x1, _ = pill(pixels, (x, y, w, h))
            out.append((name, x0, y, x1, y + h))
        else:
            out.append((name, x, y, x + w, y + h))
    out += [(name, x, y, x + w, y + h) for name, (x, y, w, h) in job.composition.images]
    return out


CASES = [(sample, with_photo) for sample in SAMPLES for with_photo in (False, True)]


def _extra(photo: str, with_photo: bool) -> dict[str, str]:
    return {"image": photo} if with_photo else {}


@pytest.mark.parametrize(("sample", "with_photo"), CASES)
def test_leaderboard_shows_price_and_old_price(service, photo, sample, with_photo):
    job, _ = render(service, "leaderboard", sample, _extra(photo, with_photo))
    assert {"headline", "price", "old_price", "discount", "cta"} <= set(texts(job))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("with_photo", [False, True])
def test_leaderboard_cta_stands_out_from_its_surroundings(service, photo, theme, with_photo):
    """WCAG's 3:1 for a control's boundary: the CTA pill against the background right beside it."""
    job, pixels = render(service, "leaderboard", "long", {"theme": theme, **_extra(photo, with_photo)})
    left, right, fill = pill(pixels, texts(job)["cta"])
    x, y, w, h = texts(job)["cta"]
    beside = pixels[round(y) : round(y + h), right + 3 : right + 8].reshape(-1, 3)
    around = tuple(int(v) for v in np.median(beside, axis=0))
    ratio = contrast_ratio(tuple(int(v) for v in fill), around)
    assert ratio >= 3.0, f"CTA fill {tuple(fill)} against {around}: {ratio:.2f}:1"


@pytest.mark.parametrize(("sample", "with_photo"), CASES)
def test_billboard_shows_old_price(service, photo, sample, with_photo):
    job, _ = render(service, "billboard", sample, _extra(photo, with_photo))
    assert {"headline", "price", "old_price", "discount", "cta"} <= set(texts(job))


@pytest.mark.parametrize(("sample", "with_photo"), CASES)
def test_billboard_cta_keeps_the_contents_margin_on_its_side(service, photo, sample, with_photo):
    """The CTA ends its column as far from the edge as the content starts from the other one (the
    photo, or the headline); a right-to-left card is the mirror image, so its CTA sits on the left."""
    job, pixels = render(service, "billboard", sample, _extra(photo, with_photo))
    width = job.request.preset.width
    cta_left, cta_right, _ = pill(pixels, texts(job)["cta"])
    if job.composition.direction == "rtl":
        content_margin = width - max(right for _, _, _, right, _ in extents(job, pixels))
        assert cta_left == pytest.approx(content_margin, abs=3)
    else:
        content_margin = min(left for _, left, _, _, _ in extents(job, pixels))
        assert width - cta_right == pytest.approx(content_margin, abs=3)


@pytest.mark.parametrize(("sample", "with_photo"), CASES)
def test_skyscraper_keeps_16px_from_every_edge(service, photo, sample, with_photo):
    job, pixels = render(service, "skyscraper", sample, _extra(photo, with_photo))
    width, height = job.request.preset.width, job.request.preset.height
    for name, left, top, right, bottom in extents(job, pixels):
        assert min(left, top, width - right, height - bottom) >= EDGE_MARGIN - 0.5, (
            name,
            left,
            top,
            right,
            bottom,
        )


@pytest.mark.parametrize("with_photo", [False, True])
def test_skyscraper_sizes_a_long_headline_for_its_column_and_fills_its_height(service, photo, with_photo):
    job, pixels = render(service, "skyscraper", "long", _extra(photo, with_photo))
    headline = next(r for r in job.composition.texts if r.id == "headline")
    assert headline.size >= 18, f"headline set at {headline.size} px"
    assert headline.box[3] >= (0.25 if with_photo else 0.4) * job.request.preset.height
    drawn = extents(job, pixels)
    span = max(b for *_, b in drawn) - min(t for _, _, t, _, _ in drawn)
    assert span >= 0.85 * job.request.preset.height


def test_a_feed_banner_with_only_a_headline_uses_both_halves(service):
    job = service.run("promo-banner", [("headline", "Winter sale on every trail shoe"), ("size", "feed")])
    middle = job.request.preset.width / 2
    x, _, w, _ = texts(job)["headline"]
    assert x < middle - 200 and x + w > middle + 200, f"headline spans {x}..{x + w}"
    cta_x, _, cta_w, _ = texts(job)["cta"]
    assert abs(cta_x + cta_w / 2 - middle) < 4, "the CTA sits under the centred headline"


def test_a_feed_banner_with_an_offer_keeps_its_two_columns(service):
    params = [("headline", "Winter sale"), ("discount", "-30%"), ("size", "feed")]
    job = service.run("promo-banner", params)
    assert texts(job)["headline"][0] == pytest.approx(72, abs=2)  # the left column
    assert texts(job)["discount"][0] > job.request.preset.width / 2


def test_fixed_gallery_texts_cover_the_prices():
    assert {"old_price", "discount"} <= set(FIXED["promo-banner"])


BADGES = ["40% OFF TODAY", "SALE 30% OFF"]
EVERY_PRESET = [(size, photo) for size in PROMO.sizes for photo in (False, True)]


@pytest.mark.parametrize(("size", "with_photo"), EVERY_PRESET)
@pytest.mark.parametrize("badge", BADGES)
def test_every_preset_shows_a_long_discount_badge_whole(service, photo, size, with_photo, badge):
    """The issue's example: the feed banner's badge read "40% OFF…". A badge takes a second line
    (or a smaller size within its range) rather than an ellipsis."""
    params = [("headline", "Winter sale"), ("discount", badge), ("price", "$79"), ("size", size)]
    job = service.run("promo-banner", [*params, *_extra(photo, with_photo).items()])
    discount = next(r for r in job.composition.texts if r.id == "discount")
    assert not discount.clamped, f"{badge!r} clamped at {discount.size} px on {discount.lines} line(s)"


# The longest badge the field takes; the leaderboard's and skyscraper's 120 px badges, and the
# billboard's, set at most about 14 of its characters, so they are left out here.
LONGEST_BADGE = "2 FOR 1 EVERY WEEKEND!!!"


@pytest.mark.parametrize("size", ["feed", "square", "story", "rectangle"])
@pytest.mark.parametrize("with_photo", [False, True])
def test_the_larger_presets_show_a_badge_of_the_fields_max_length_whole(service, photo, size, with_photo):
    assert len(LONGEST_BADGE) == PROMO.fields["discount"].max_length
    params = [("headline", "Winter sale"), ("discount", LONGEST_BADGE), ("size", size)]
    job = service.run("promo-banner", [*params, *_extra(photo, with_photo).items()])
    discount = next(r for r in job.composition.texts if r.id == "discount")
    assert not discount.clamped, f"clamped at {discount.size} px on {discount.lines} line(s)"


CALLS_TO_ACTION = ["Get started today", "Shop the winter sale"]


@pytest.mark.parametrize(("size", "with_photo"), EVERY_PRESET)
@pytest.mark.parametrize("cta", CALLS_TO_ACTION)
def test_every_preset_shows_a_long_call_to_action_whole(service, photo, size, with_photo, cta):
    """A "Get started…" button is one nobody presses: a long label takes a second line (or a
    smaller size within its range) rather than an ellipsis."""
    params = [("headline", "Winter sale"), ("discount", "-30%"), ("price", "$79"), ("cta", cta)]
    job = service.run("promo-banner", [*params, ("size", size), *_extra(photo, with_photo).items()])
    button = next(r for r in job.composition.texts if r.id == "cta")
    assert not button.clamped, f"{cta!r} clamped at {button.size} px on {button.lines} line(s)"
