"""Look-alike misspellings (0 for O, 1 for l, 5 for S, 8 for B, rn for m) never pass the spelling guard.

The OCR model reads a glyph partly by its neighbours, so it reads "0FF" as "OFF" and "5O%" as "50%":
for text where that can happen, the guard cannot tell the look-alike from the right letter, so it
refuses the text itself (it is set locally and never sent to a lettering model).
"""

from __future__ import annotations

import pytest

from ogservice.lettering import check_lettering, isolate, ocr_can_confirm
from tests.emulators.lettering import lookalike
from tests.lettering.conftest import lettering_png

RED = (200, 50, 40, 255)
WHITE = (255, 255, 255, 255)
INKS = {"white-on-red": ((250, 250, 250, 255), RED), "dark-on-white": ((25, 25, 35, 255), WHITE)}

LOOKALIKE_MISSPELLINGS = [
    # (the text, how a model letters it)
    ("SALE 50% OFF", "SALE 50% 0FF"),
    ("SALE 50% OFF", "SALE 5O% OFF"),
    ("OPEN NOW", "0PEN NOW"),
    ("Top 10 Tips", "Top l0 Tips"),
    ("Top 10 Tips", "Top I0 Tips"),
    ("Hello World", "Hell0 World"),
    ("Hello World", "HeIlo World"),
    ("Little Italy", "Little ltaly"),
    ("Winter is coming", "Winter ls coming"),
    ("Vote 2026", "Vote 2O26"),
    ("Best 80s", "Best 8Os"),
    ("CODE 2026", "C0DE 2026"),
    ("Modern Art", "Modem Art"),
    ("Big Sale", "Big 5ale"),
    ("BIG SALE", "8IG SALE"),
    ("Fresh Autumn Menu", lookalike("Fresh Autumn Menu")),
    ("Summer Sale", lookalike("Summer Sale")),
]


@pytest.mark.parametrize("ink", INKS, ids=str)
@pytest.mark.parametrize(("expected", "lettered"), LOOKALIKE_MISSPELLINGS, ids=lambda v: v)
def test_a_lookalike_misspelling_never_passes(ocr_engine, expected, lettered, ink):
    assert lettered != expected
    verdict = check_lettering(isolate(lettering_png(lettered, *INKS[ink])), expected)
    assert not verdict.ok, f"{lettered!r} passed as {expected!r} (read {verdict.read!r})"


@pytest.mark.parametrize(
    ("text", "shown"),
    [("SALE 50% OFF", "'0', 'O'"), ("Hello World", "'l', 'o'"), ("Top 10 Tips", "'0', '1', 'i'")],
)
def test_text_with_characters_ocr_confuses_is_not_confirmable(text, shown):
    ok, why = ocr_can_confirm(text)
    assert not ok
    assert shown in why


@pytest.mark.parametrize("text", ["Fresh Autumn Menu", "BEST SUMMER DEALS", "Café Déjà Vu", "夏季大促销"])
def test_text_without_them_is_confirmable(text):
    assert ocr_can_confirm(text) == (True, "")


def test_lookalike_swaps_the_first_character_that_has_a_lookalike():
    assert lookalike("SALE 50% OFF") == "5ALE 50% OFF"
    assert lookalike("OFF") == "0FF"
    assert lookalike("Fresh Autumn Menu") == "Fresh Auturnn Menu"
