"""The lettering prompt: exact text in quotes, style, background, nothing else to draw."""

from __future__ import annotations

from ogservice.lettering import LetteringStyle, lettering_prompt
from tests.emulators.lettering import quoted_text


def test_prompt_quotes_the_exact_text_and_forbids_other_text():
    prompt = lettering_prompt("SALE 50% OFF", LetteringStyle(), transparent=True)
    assert quoted_text(prompt) == "SALE 50% OFF"
    assert "No other text" in prompt
    assert "transparent background" in prompt and "solid" not in prompt


def test_prompt_is_deterministic_and_short():
    style = LetteringStyle(family="serif", weight=400, color="#1e3a8a", palette="ocean")
    first = lettering_prompt("Hello world", style, transparent=False)
    assert first == lettering_prompt("Hello world", style, transparent=False)
    assert len(first) < 300
    assert "serif" in first and "#1e3a8a" in first and "ocean" in first


def test_flat_background_is_the_opposite_of_the_ink():
    dark = lettering_prompt("Hi", LetteringStyle(color="#101010"), transparent=False)
    light = lettering_prompt("Hi", LetteringStyle(color="#fafafa"), transparent=False)
    assert "flat solid white background" in dark
    assert "flat solid black background" in light


def test_quotes_inside_the_text_do_not_end_the_quoting():
    prompt = lettering_prompt('The "best" deal', LetteringStyle(), transparent=True)
    assert quoted_text(prompt) == "The \u201cbest\u201d deal"


def test_uppercase_layers_ask_for_capitals_and_spaces_are_collapsed():
    prompt = lettering_prompt("big  summer\nsale", LetteringStyle(uppercase=True), transparent=True)
    assert quoted_text(prompt) == "BIG SUMMER SALE"


def test_an_unparseable_colour_is_left_out_rather_than_failing():
    prompt = lettering_prompt("Hi", LetteringStyle(color="auto"), transparent=False)
    assert "auto" not in prompt and "white background" in prompt
