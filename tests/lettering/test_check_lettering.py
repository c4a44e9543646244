"""The OCR spelling guard end to end: model-like lettering images, isolated, read back and judged."""

from __future__ import annotations

import pytest

from ogservice.lettering import check_lettering, isolate
from tests.lettering.conftest import gradient, lettering_png

RED = (200, 50, 40, 255)
WHITE = (255, 255, 255, 255)
DARK = (25, 25, 35, 255)
GROUNDS = {
    "white-on-red": ((250, 250, 250, 255), RED),
    "dark-on-white": (DARK, WHITE),
    "on-gradient": ((255, 255, 240, 255), gradient((30, 60, 160), (120, 40, 140))),
    "transparent": ((255, 200, 40, 255), (0, 0, 0, 0)),
}


@pytest.mark.parametrize("ground", GROUNDS, ids=str)
def test_correct_lettering_passes_on_every_background(ocr_engine, ground):
    ink, behind = GROUNDS[ground]
    verdict = check_lettering(isolate(lettering_png("SAVE 25% NEXT WEEK", ink, behind)), "SAVE 25% NEXT WEEK")
    assert verdict.ok, verdict
    assert verdict.read.split() == ["SAVE", "25%", "NEXT", "WEEK"]


@pytest.mark.parametrize(
    "text",
    [
        "Summer Fest Starts Here Next Week",  # wraps onto two lines
        "We're back: 3 days!",
        "Caf\u00e9 D\u00e9j\u00e0 Vu",
        "Gr\u00fc\u00dfe aus Bremen",
        "\u590f\u5b63\u5927\u4fc3\u9500",  # Chinese
        "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c",  # Japanese kana and kanji
    ],
)
def test_supported_scripts_are_confirmed(ocr_engine, text):
    verdict = check_lettering(isolate(lettering_png(text, DARK, WHITE)), text)
    assert verdict.ok, verdict


def test_lettering_with_other_quote_shapes_and_case_passes(ocr_engine):
    layer = isolate(lettering_png("\u201cWE\u2019RE BACK\u201d", DARK, WHITE))
    assert check_lettering(layer, '"We\'re back"').ok


@pytest.mark.parametrize(
    ("lettered", "expected"),
    [
        ("SAVE 52% NEXT WEEK", "SAVE 25% NEXT WEEK"),
        ("Hapy Days", "Happy Days"),
        ("SAVE NEXT WEEK", "SAVE 25% NEXT WEEK"),  # dropped word
        ("SAVE 25% NEXT WEEK TAX", "SAVE 25% NEXT WEEK"),  # extra word
    ],
)
def test_misspelled_lettering_fails(ocr_engine, lettered, expected):
    verdict = check_lettering(isolate(lettering_png(lettered, (250, 250, 250, 255), RED)), expected)
    assert not verdict.ok
    assert verdict.reason == "ocr-mismatch"
    assert verdict.detail


def test_unsupported_script_is_refused_without_reading(ocr_engine):
    layer = isolate(lettering_png("\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", DARK, WHITE))
    verdict = check_lettering(layer, "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440")
    assert (verdict.ok, verdict.reason) == (False, "ocr-unsupported-script")
    assert "Cyrillic" in verdict.detail
