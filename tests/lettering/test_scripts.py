"""Which texts the OCR model can confirm; the rest are never sent to a lettering model."""

from __future__ import annotations

import pytest

from ogservice.lettering import ocr_can_read


@pytest.mark.parametrize(
    "text",
    [
        "SALE 50% OFF",
        "Don't miss: 3 days only! #1 (new)",
        "Caf\u00e9 D\u00e9j\u00e0 Vu \u2013 20 \u20ac",
        "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144",
        "Ni\u00f1o A\u00f1o Se\u00f1or",
        "\u590f\u5b63\u5927\u4fc3\u9500",
        "\u7e41\u9ad4\u4e2d\u6587",
        "\u3053\u3093\u306b\u3061\u306f \u30ab\u30bf\u30ab\u30ca",
        "\uff33\uff21\uff2c\uff25",  # fullwidth: read as ASCII after NFKC
    ],
)
def test_latin_digits_chinese_and_japanese_are_readable(text):
    assert ocr_can_read(text) == (True, "")


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("\u041f\u0440\u0438\u0432\u0435\u0442", "Cyrillic"),
        ("\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "Greek"),
        ("\uc548\ub155\ud558\uc138\uc694", "Hangul"),
        ("\u0645\u0631\u062d\u0628\u0627", "Arabic"),
        ("\u05e9\u05dc\u05d5\u05dd", "Hebrew"),
        ("\u0928\u092e\u0938\u094d\u0924\u0947", "Devanagari"),
        ("\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "Thai"),  # the shipped PP-OCR model has no Thai characters
        ("Ti\u1ebfng Vi\u1ec7t", "Latin"),  # Vietnamese tone marks over circumflex
        ("Sale \U0001f525", "Fire"),  # emoji
        ("\u00c6ble", "Latin"),  # read back as "AE"
    ],
)
def test_other_scripts_are_refused_with_a_reason(text, script):
    ok, why = ocr_can_read(text)
    assert not ok
    assert script.lower() in why.lower()


def test_empty_text_is_not_sent():
    assert ocr_can_read("  ")[0] is False
