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


# --- every script the card engine sets ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "quoted"),
    [
        ('a poster reading "SALE"', "SALE"),
        ("a poster reading “SALE”", "SALE"),
        ("a poster reading ‘SALE’", "SALE"),
        ("ein Plakat „Ausverkauf“ am Fenster", "Ausverkauf"),
        ("ein Plakat ‚Ausverkauf‘ am Fenster", "Ausverkauf"),
        ("une affiche « Soldes » en vitrine", "Soldes"),
        ("en plakat »Udsalg« i vinduet", "Udsalg"),
        ("une affiche ‹Soldes› en vitrine", "Soldes"),
        ("плакат «Распродажа» в витрине", "Распродажа"),
        ("αφίσα «Εκπτώσεις» στη βιτρίνα", "Εκπτώσεις"),
        ("ملصق «تخفيضات» على الواجهة", "تخفيضات"),
        ('פוסטר "מבצע" בחלון', "מבצע"),
        ("「看板」", "看板"),
        ("店先に『本日休業』", "本日休業"),
        ("〝開店〞の張り出し", "開店"),
        ("海报《红楼梦》", "红楼梦"),
        ('दुकान पर "खुला"', "खुला"),
    ],
)
def test_quotes_of_every_script_are_typography(prompt: str, quoted: str):
    found = detect_intent(prompt)
    assert found.intent == "typography" and f"quoted text {quoted!r}" in found.signals


@pytest.mark.parametrize(
    "prompt",
    [
        "古い木の看板、夕暮れ",  # Japanese: a sign, no quotes
        "老街上的招牌",  # Chinese
        "골목의 오래된 간판",  # Korean
        "вывеску кафе на старой улице",  # Russian, inflected
        "ΠΙΝΑΚΊΔΑ ΚΑΦΕΤΈΡΙΑΣ",  # Greek, capitals without accents after folding
        "اللافتة على المتجر",  # Arabic, with the article
        "השלט של החנות",  # Hebrew, with the article
        "दुकान का साइनबोर्ड",  # Devanagari
        "un rótulo de neón",  # Spanish, accent folded
        "Schild mit der Aufschrift Bäckerei",  # German
    ],
)
def test_sign_words_of_every_script_are_typography(prompt: str):
    assert detect_intent(prompt).intent == "typography"


# --- words about text that is not asked for -------------------------------------------------------------
@pytest.mark.parametrize(
    "prompt",
    [
        "abstract blue shapes for an article about python, no text",
        "abstract shapes, without any text or logos",
        "a mountain lake, empty space on the right side for the headline",
        "a lighthouse, leave room to add text",
        "a desk by a window, headline area at the top",
        "抽象的な背景、文字なし",
        "没有文字的抽象背景",
        "글자 없는 추상 배경",
        "fondo abstracto sin texto",
    ],
)
def test_absent_text_and_room_for_text_are_not_typography(prompt: str):
    assert detect_intent(prompt).intent != "typography"


@pytest.mark.parametrize(
    "prompt",
    [
        "no clutter, a big bold logo for a bakery",  # a negation ends with its clause
        "Sin City neon sign",  # Spanish "sin" and French "sans" only negate the next word
        "a sans serif logo",
        "a free sample sign",
    ],
)
def test_negations_do_not_reach_too_far(prompt: str):
    assert detect_intent(prompt).intent == "typography"


def test_a_hero_layer_is_never_typography_because_of_its_prompt_words():
    found = detect_intent('a lighthouse, a sign saying "OPEN", empty space for text', layer="hero")
    assert found.intent == "general"
    assert found.signals == ("layer=hero outweighs quoted text 'OPEN', \"sign\", \"saying\"",)
    assert detect_intent("a lake, room for the title text", layer="typography").intent == "typography"
    assert detect_intent('a poster saying "SALE"', layer="image").intent == "typography"


# --- background words against photographic ones ---------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "intent"),
    [
        ("Gradient background with soft bokeh", "background"),
        ("blurred city lights backdrop, bokeh, 85mm f/1.8", "background"),
        ("abstract teal wallpaper, photorealistic lighting", "background"),
        ("stock photo background", "background"),  # "photo" modifies "background"
        ("product shot of a perfume bottle on a clean white background", "photoreal"),
        ("portrait photo, soft pastel gradient background", "photoreal"),  # the subject comes first
        ("woman in a red coat against a gradient backdrop, bokeh", "photoreal"),
        ("a cat on a clean pastel gradient background", "general"),  # a setting, not the subject
    ],
)
def test_background_words_outweigh_photographic_style_but_not_a_photo_subject(prompt: str, intent: str):
    assert detect_intent(prompt).intent == intent


def test_curly_apostrophes_are_not_quotes():
    assert detect_intent("it’s a dog’s life, the dogs’ toys").intent == "general"
