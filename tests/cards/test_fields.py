"""Query parameters -> a card request: digits are ASCII digits, and text must have something to draw."""

from __future__ import annotations

import unicodedata

import pytest

from ogservice.cards import fields
from ogservice.cards.fields import parse_card_request
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.errors import BadRequest

TEMPLATES = load_templates([BUNDLED_DIR])
BLOG = TEMPLATES["blog-post"]
MAX_PIXELS = 4096 * 2304

# Each draws nothing on its own: zero-width space and joiner, soft hyphen, a combining acute with no
# base, a bidi override, word joiner, combining enclosing keycap square, a Hangul filler.
INVISIBLE = ["\u200b", "\u200d", "\u00ad", "\u0301", "\u202e", "\u2060", "\u20de", "\u3164"]
INVISIBLE_MIXES = ["\u200b\u0301\u202e", "\u200d \u2060\u00ad", "\u202e\u20de\u20de\u200b"]


def _parse(*params: tuple[str, str]):
    return parse_card_request(BLOG, list(params), MAX_PIXELS)


@pytest.mark.parametrize("raw", ["²", "①", "٣", "𝟙", "1²", "１２"])
def test_a_seed_of_non_ascii_digits_is_a_400_naming_the_seed(raw):
    with pytest.raises(BadRequest) as caught:
        _parse(("title", "x"), ("seed", raw))
    assert caught.value.status == 400 and caught.value.extra["parameter"] == "seed"


@pytest.mark.parametrize("raw", ["0", "42", "007", "9" * 18])
def test_ascii_seeds_are_accepted(raw):
    assert _parse(("title", "x"), ("seed", raw)).seed == int(raw)


@pytest.mark.parametrize("raw", ["٣٣x٣٣", "６４x６４", "64x64\n", "²⁰⁰x²⁰⁰", " 64x64"])
def test_a_size_that_is_not_ascii_widthxheight_is_a_400(raw):
    with pytest.raises(BadRequest) as caught:
        _parse(("title", "x"), ("size", raw))
    assert caught.value.status == 400 and caught.value.extra["parameter"] == "size"


@pytest.mark.parametrize("value", INVISIBLE + INVISIBLE_MIXES)
def test_a_required_field_with_nothing_visible_is_a_400(value):
    with pytest.raises(BadRequest) as caught:
        _parse(("title", value))
    assert caught.value.status == 400 and "has no visible characters" in caught.value.detail


@pytest.mark.parametrize("value", INVISIBLE + INVISIBLE_MIXES)
def test_an_optional_field_with_nothing_visible_counts_as_empty(value):
    req = _parse(("title", "Hello"), ("subtitle", value), ("theme", value))
    assert req.fields["subtitle"] == "" and req.fields["theme"] == BLOG.fields["theme"].default


@pytest.mark.parametrize(
    "value", ["a\u0301", "\u0301a", "\u200bHello", "👩\u200d💻", "\u202eevil", "مرحبا\u200f", "1"]
)
def test_invisible_characters_next_to_visible_ones_are_kept(value):
    assert fields.has_visible_characters(value)
    assert _parse(("title", value)).fields["title"] == unicodedata.normalize("NFC", value)
