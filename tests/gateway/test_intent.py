"""Intent detection: the seeds' prompts land on the right intent, with the words that decided it."""

from __future__ import annotations

import pytest

from ogservice.gateway.intent import INTENTS, detect_intent


@pytest.mark.parametrize(("prompt", "intent"), [
    # the seed articles' own examples
    ("text saying 'Hello World', clear font, legible", "typography"),
    ('a neon sign saying "OPEN 24/7" inside a rainy cyberpunk window', "typography"),
    ("a simple logo with the text “CyberCafe”", "typography"),
    ("promotional banner that says SALE 50% OFF", "typography"),
    ("storefront signage for a bakery", "typography"),
    ("hand lettering on a chalkboard", "typography"),
    ("minimalist tech background, blue gradient", "background"),
    ("seamless geometric pattern", "background"),
    ("a macro shot of a coffee bean with morning sunlight", "photoreal"),
    ("A glass of water on a wooden table, caustics lighting, 4k photorealistic.", "photoreal"),
    ("portrait of a chef, 85mm f/1.8", "photoreal"),
    ("product shot of a perfume bottle on a white background", "photoreal"),
    ("wide angle architectural shot of a plaza", "wide_angle"),
    ("a panoramic landscape vista of fjords", "wide_angle"),
    ("A cybernetic cat eating a galaxy while sitting on a binary tree", "complex_scene"),
    ("A robot painting a self-portrait, but the painting looks human.", "complex_scene"),
    ("a bustling market with many stalls and a crowd of shoppers", "complex_scene"),
    ("quick sketch of a sneaker", "draft"),
    ("thumbnail mockup for a blog post", "draft"),
    ("futuristic sneaker design, vector style", "general"),
    ("mountain lake at sunrise", "general"),
])
def test_prompts_from_the_seeds(prompt: str, intent: str):
    assert detect_intent(prompt).intent == intent


def test_signals_name_the_quoted_text_and_words():
    found = detect_intent('a neon sign saying "OPEN 24/7"')
    assert found.signals == ("quoted text 'OPEN 24/7'", '"sign"', '"saying"')
    assert found.explain() == "intent typography (quoted text 'OPEN 24/7', \"sign\", \"saying\")"


def test_apostrophes_are_not_quotes_and_texture_is_not_text():
    assert detect_intent("it's a dog's life, a dog's toy").intent == "general"
    assert detect_intent("rough stone texture").intent == "background"


# --- precedence (documented in ogservice/gateway/intent.py) --------------------------------------------
def test_explicit_override_wins_over_everything():
    found = detect_intent('a sign saying "SALE"', layer="background", quality="draft", override="photoreal")
    assert (found.intent, found.signals) == ("photoreal", ("intent given explicitly",))


def test_layer_wins_over_prompt_words():
    assert detect_intent('a sign saying "SALE"', layer="background").intent == "background"
    assert detect_intent("a wide angle photo", layer="typography").intent == "typography"
    assert detect_intent("a wide angle photo", layer="hero").intent == "wide_angle"


def test_text_wins_over_draft_quality_and_every_other_prompt_signal():
    assert detect_intent('draft poster that says "SALE"', quality="draft").intent == "typography"
    assert detect_intent('wide angle photo of a billboard saying "EAT"').intent == "typography"


def test_draft_quality_wins_over_prompt_words():
    found = detect_intent("a wide angle photo of a lake", quality="draft")
    assert (found.intent, found.signals) == ("draft", ("quality=draft",))


def test_order_of_prompt_signals():
    assert detect_intent("sketch of a wide angle vista").intent == "draft"
    assert detect_intent("wide angle photo of a crowd with many people and dogs").intent == "wide_angle"
    assert detect_intent("photo of a crowd with many people and dogs").intent == "complex_scene"
    assert detect_intent("photo with an abstract gradient").intent == "photoreal"


def test_complex_scene_needs_several_relations():
    assert detect_intent("a cat with a hat").intent == "general"
    assert detect_intent("a cat with a hat and a scarf").intent == "general"
    tags = "portrait of a chef, 85mm, f/1.8, studio lighting, bokeh, 4k, moody, cinematic"
    assert detect_intent(tags).intent == "photoreal"  # commas between style tags are not a scene
    found = detect_intent("a cat with a hat, holding a wrench and riding a bike")
    assert found.intent == "complex_scene" and '"riding"' in found.signals
    assert detect_intent("A robot painting a self-portrait, but the painting looks human.").signals == (
        '"but"', '"looks"')


def test_every_result_is_a_known_intent():
    prompts = ["", "   ", "x" * 40000, '"unterminated', "ÄÖÜ 漢字 emoji 🎉"]
    assert {detect_intent(p).intent for p in prompts} <= set(INTENTS)


def test_only_the_opening_of_a_huge_prompt_is_scanned():
    assert detect_intent("a lake. " * 500 + 'a sign saying "late"').intent == "general"
