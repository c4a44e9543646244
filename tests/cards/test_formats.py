"""encode(): every format decodes to the card's pixels, JPEG flattens alpha on the card's
background, and a byte limit is met by choosing the quality or palette, or refused with a 422."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.encode import encode
from ogservice.cards.formats import AVIF, JPG, PNG, WEBP, available, parse_format, sniff
from ogservice.cards.quality import lossy
from ogservice.config import load_settings
from ogservice.errors import BadRequest, ByteLimitUnreachable
from ogservice.pipeline import CardService
from ogservice.publish.models import BANNER_SIZES
from ogservice.store import open_store
from tests.cards.encode_samples import BANNER, photo


@pytest.fixture(scope="module")
def cards(tmp_path_factory) -> Iterator[CardService]:
    settings = load_settings(dev=True, data_dir=tmp_path_factory.mktemp("data"))
    service = CardService(settings, open_store(settings))
    yield service
    service.store.close()


def _card(size: int = 96) -> Image.Image:
    ys, xs = np.mgrid[0:size, 0:size]
    pixels = np.stack([xs * 255 // size, ys * 255 // size, (xs + ys) * 127 // size], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8))


@pytest.mark.parametrize("fmt", list(available().values()), ids=lambda f: f.name)
def test_every_format_decodes_to_the_cards_size_and_colours(fmt):
    image = _card()
    encoded = encode(image, fmt)
    assert sniff(encoded.data) is fmt and encoded.format is fmt
    decoded = Image.open(io.BytesIO(encoded.data))
    assert decoded.size == image.size
    difference = np.abs(np.asarray(decoded.convert("RGB"), int) - np.asarray(image, int))
    assert difference.mean() < 4  # lossy, but the same picture
    assert (encoded.quality is None) == (fmt is PNG)


def test_avif_is_offered_exactly_when_pillow_can_write_it():
    from PIL import features

    assert ("avif" in available()) == features.check("avif")


def test_jpeg_flattens_transparency_on_the_given_background():
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # fully transparent
    image.paste((255, 255, 255, 255), (0, 0, 32, 64))
    decoded = Image.open(io.BytesIO(encode(image, JPG, matte=(20, 120, 220)).data)).convert("RGB")
    assert _near(decoded.getpixel((48, 32)), (20, 120, 220))  # the matte, not black
    assert _near(decoded.getpixel((16, 32)), (255, 255, 255))


def test_webp_keeps_transparency():
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    decoded = Image.open(io.BytesIO(encode(image, WEBP).data))
    assert decoded.mode == "RGBA" and decoded.getpixel((5, 5))[3] == 0


def _near(got, want, tolerance=6):
    return all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize(("name", "fmt"), [("png", PNG), ("JPG", JPG), ("jpeg", JPG), ("webp", WEBP)])
def test_format_names_are_read_with_jpeg_as_jpg(name, fmt):
    assert parse_format(name) is fmt


def test_an_unknown_format_is_a_400_naming_the_choices():
    with pytest.raises(BadRequest, match="png, jpg, webp"):
        parse_format("gif")


def test_sniff_tells_formats_apart_and_knows_nothing_else():
    assert sniff(b"GIF89a" + bytes(20)) is None and sniff(b"") is None
    if AVIF.name in available():
        assert sniff(encode(_card(), AVIF).data) is AVIF


@pytest.mark.parametrize("fmt", [PNG, JPG, WEBP], ids=lambda f: f.name)
@pytest.mark.parametrize("preset", BANNER_SIZES)
def test_every_promo_banner_fits_150_kb(cards, preset, fmt):
    job = cards.run("promo-banner", [*BANNER, ("size", preset)], format=fmt.name, max_bytes=150_000)
    assert job.data is not None and len(job.data) <= 150_000
    expected = job.request.preset
    decoded = Image.open(io.BytesIO(job.data))
    assert sniff(job.data) is fmt and decoded.size == (expected.width, expected.height)
    decoded.load()  # the whole image decodes


def test_a_limit_the_default_quality_meets_keeps_it(cards):
    job = cards.run("promo-banner", [*BANNER, ("size", "rectangle")], format="jpg", max_bytes=10_000_000)
    assert job.quality == JPG.quality


def test_a_tight_limit_lowers_the_quality_to_the_highest_that_fits(cards):
    default = cards.run("promo-banner", [*BANNER, ("size", "feed")], format="jpg")
    assert default.data is not None
    limit = len(default.data) * 2 // 3
    job = cards.run("promo-banner", [*BANNER, ("size", "feed")], format="jpg", max_bytes=limit)
    assert job.data is not None and len(job.data) <= limit
    assert job.quality is not None and job.quality < JPG.quality
    assert job.composition is not None
    one_more = lossy(job.composition.image, JPG, job.quality + 1)
    assert len(one_more.data) > limit  # the next quality up would not have fitted


def test_a_png_over_the_limit_is_made_to_fit_with_a_palette(cards):
    plain = cards.run("promo-banner", [*BANNER, ("size", "story")])
    assert plain.data is not None
    limit = len(plain.data) * 3 // 5
    job = cards.run("promo-banner", [*BANNER, ("size", "story")], max_bytes=limit)
    assert job.data is not None and len(job.data) <= limit and sniff(job.data) is PNG
    decoded = Image.open(io.BytesIO(job.data))
    assert decoded.mode == "P" and decoded.size == (1080, 1920)


@pytest.mark.parametrize("fmt", [JPG, WEBP], ids=lambda f: f.name)
def test_a_photographic_story_banner_fits_150_kb_by_lowering_the_quality(fmt):
    encoded = encode(photo(1080, 1920), fmt, 150_000)
    assert len(encoded.data) <= 150_000 and encoded.quality is not None and encoded.quality < fmt.quality
    assert Image.open(io.BytesIO(encoded.data)).size == (1080, 1920)


def test_a_photograph_no_png_can_hold_is_refused_with_the_smallest_png_reached():
    with pytest.raises(ByteLimitUnreachable, match=r"the smallest, at a 16-colour palette, is \d+ bytes"):
        encode(photo(540, 960), PNG, 20_000)


@pytest.mark.parametrize("fmt", [PNG, JPG, WEBP], ids=lambda f: f.name)
def test_a_limit_no_encoding_meets_is_a_422_naming_the_smallest_size(cards, fmt):
    with pytest.raises(ByteLimitUnreachable) as caught:
        cards.run("promo-banner", [*BANNER, ("size", "feed")], format=fmt.name, max_bytes=500)
    error = caught.value
    assert error.status == 422 and error.extra["max_bytes"] == 500 and error.extra["size"] == "feed"
    smallest = error.extra["smallest_bytes"]
    assert smallest > 500 and f"is {smallest} bytes" in error.detail and fmt.name in error.detail


@pytest.mark.parametrize("bad", [0, -1, True])
def test_max_bytes_must_be_a_positive_number(cards, bad):
    with pytest.raises(BadRequest, match="max_bytes"):
        cards.run("blog-post", [("title", "x")], max_bytes=bad)


def test_each_format_and_limit_is_its_own_card_key(cards):
    job = cards.run("blog-post", [("title", "Keys")])
    assert job.request is not None
    keys = {
        cards.request_key(job.request),
        cards.request_key(job.request, fmt=JPG),
        cards.request_key(job.request, fmt=WEBP),
        cards.request_key(job.request, fmt=JPG, max_bytes=150_000),
        cards.request_key(job.request, max_bytes=150_000),
    }
    assert len(keys) == 5 and job.key == cards.request_key(job.request)
