"""The spelling comparison: what OCR read against the expected text, without the engine."""

from __future__ import annotations

import pytest

from ogservice.lettering.spelling import compare, normalise


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("\u201cDon\u2019t stop\u201d", '"Don\'t stop"'),  # curly quotes and apostrophe
        ("\u00abBonjour\u00bb", '"Bonjour"'),
        ("\u201eHallo\u201c", '"Hallo"'),
        ("sale  50%\nOFF", "SALE 50% OFF"),  # case, line break, doubled space
        ("\uff33\uff21\uff2c\uff25", "SALE"),  # fullwidth forms (NFKC)
        ("\ufb01nal offer", "final offer"),  # ligature (NFKC)
        ("20\u20ac only", "20 \u20ac only"),  # a space beside a sign separates no words
        ("Hello , world !", "Hello, world!"),
        ("Best\u2013seller", "Best-seller"),  # dash shapes
        ("\u4f60\u597d \u4e16\u754c", "\u4f60\u597d\u4e16\u754c"),  # Chinese is written without spaces
        ("GROSSE", "Gro\u00dfe"),  # capital lettering of sharp s
    ],
)
def test_differences_that_cannot_change_a_word_pass(read, expected):
    verdict = compare(read, expected)
    assert verdict.ok, verdict
    assert verdict.reason == "match"


@pytest.mark.parametrize(
    ("read", "expected", "detail"),
    [
        ("SALE 5O% OOF", "SALE 50% OFF", "read '5o%oof'"),  # O for 0 is a misspelling, not a shape
        ("Helo World", "Hello World", "read 'helo'"),
        ("SALE OFF", "SALE 50% OFF", ""),  # dropped word
        ("SALE 50% OFF NOW", "SALE 50% OFF", "extra text"),
        ("HelloWorld", "Hello World", ""),  # two words run together
        ("$399", "$3.99", ""),  # a lost decimal point changes the price
        ("50 OFF", "50% OFF", ""),
        ("Save l0%", "Save 10%", "read 'l0%'"),
        ("Caf\u00e9", "Cafe", ""),  # an accent is part of the spelling
        ("\u4f60\u597d\u4e16", "\u4f60\u597d\u4e16\u754c", "expected '\u4f60\u597d\u4e16\u754c'"),
    ],
)
def test_a_misspelled_word_never_passes(read, expected, detail):
    verdict = compare(read, expected)
    assert not verdict.ok
    assert verdict.reason == "ocr-mismatch"
    assert detail in verdict.detail


def test_nothing_read_is_its_own_reason():
    verdict = compare("  ", "Hello")
    assert (verdict.ok, verdict.reason) == (False, "ocr-no-text")


def test_normalise_keeps_word_boundaries_between_letters():
    assert normalise("  Hello\t\tWorld \n") == "hello world"
    assert normalise("Hello World") != normalise("HelloWorld")
