"""A deterministic mixed trace of image requests, as the card service and its users send them.

`mixed_trace(n, seed)` draws `n` requests from templates with fixed weights: card backgrounds
(layer=background, and the same words asked without a layer), hero images that leave room for the
card's text (layer=hero), lettering (layer=typography), signs in every script the card engine sets
(Japanese 「看板」 among them), photos, drafts and wide shots. Every template names the intent a
correct classifier gives it, so a test can compare, and `tally` counts kind -> intent for reports.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TraceRequest:
    kind: str
    prompt: str
    layer: str | None
    expect: str  # the intent a correct classifier gives it


COLORS = ("blue", "teal", "amber", "violet", "pastel pink", "emerald", "charcoal", "coral")
THEMES = ("ocean", "forest", "sunset", "neon city", "desert", "aurora", "coffee", "mountain")
TAGS = ("python", "design", "travel", "finance", "cooking", "startups", "music", "gardening")
SUBJECTS = (
    "a lighthouse at dusk", "a mountain lake at sunrise", "a barista pouring latte art", "a red fox in snow",
    "an old tram in Lisbon", "a runner on a coastal path", "a desk by a rainy window", "a field of tulips",
)
SIDES = ("left", "right", "top")
PEOPLE = ("chef", "violinist", "climber", "potter", "nurse", "carpenter")
PRODUCTS = ("perfume bottle", "sneaker", "ceramic mug", "wristwatch", "headphones")
WORDS = {
    "en": ("OPEN", "SALE 50% OFF", "Grand Opening", "Fresh Bread"),
    "ja": ("営業中", "ラーメン", "喫茶", "本日休業"),
    "zh": ("开业大吉", "茶馆", "欢迎光临"),
    "ko": ("카페", "영업중"),
    "ru": ("Открыто", "Пекарня", "Кафе"),
    "el": ("Ανοιχτό", "Καφενείο"),
    "ar": ("مفتوح", "مخبز"),
    "he": ("פתוח", "מאפייה"),
    "hi": ("खुला", "चाय"),
    "de": ("Bäckerei", "Geöffnet"),
    "fr": ("Fermé", "Boulangerie"),
}

# (kind, layer, weight, [(template, expected intent)])
TEMPLATES: tuple[tuple[str, str | None, int, tuple[tuple[str, str], ...]], ...] = (
    ("card_background", "background", 28, (
        ("abstract {color} shapes for an article about {tag}, no text", "background"),
        ("soft {color} gradient background with bokeh", "background"),
        ("{theme} inspired abstract texture, subtle grain, no text or logos", "background"),
    )),
    ("background_prompt", None, 10, (
        ("gradient background with soft bokeh", "background"),
        ("{color} gradient background with soft bokeh, 85mm", "background"),
        ("seamless {color} geometric pattern", "background"),
        ("abstract {theme} wallpaper, photorealistic lighting", "background"),
        ("blurred {theme} lights backdrop, bokeh, f/1.8", "background"),
    )),
    ("hero", "hero", 20, (
        ("{subject}, cinematic light, empty space for text on the {side}", "general"),
        ("{subject}, leave room for the headline", "general"),
        ("{subject}, photo, negative space on the {side} for the title text", "photoreal"),
        ("panoramic view of {subject} with copy space for a headline", "wide_angle"),
        ('{subject}, a weathered sign saying "{en}" in the distance, space for text', "general"),
        ("{subject}, golden hour, cinematic", "general"),
        ("{subject} at night, long exposure photo", "photoreal"),
    )),
    ("lettering", "typography", 8, (
        ("the words “{en}” in bold hand lettering", "typography"),
        ("{color} neon script", "typography"),
    )),
    ("sign", None, 14, (
        ('a neon sign saying "{en}" in a rainy window', "typography"),
        ("a Japanese shop sign 「{ja}」 over a narrow street", "typography"),
        ("看板に「{ja}」と書かれた古い商店", "typography"),
        ("木の看板『{ja}』、夕暮れの路地", "typography"),
        ("招牌上写着“{zh}”的老店", "typography"),
        ("간판에 {ko}라고 쓰인 골목", "typography"),
        ("вывеска «{ru}» над входом", "typography"),
        ("πινακίδα που γράφει «{el}»", "typography"),
        ("لافتة مكتوب عليها «{ar}»", "typography"),
        ('שלט עם הכיתוב "{he}"', "typography"),
        ('दुकान का साइनबोर्ड जिस पर "{hi}" लिखा हो', "typography"),
        ("Ladenschild mit „{de}“ über der Tür", "typography"),
        ("un panneau « {fr} » sur la porte", "typography"),
    )),
    ("photo", None, 12, (
        ("portrait of a {person}, 85mm f/1.8, studio lighting", "photoreal"),
        ("product shot of a {product} on a white background", "photoreal"),
        ("{product} on a marble table, macro photography", "photoreal"),
    )),
    ("draft", None, 4, (("quick sketch of {subject}", "draft"),)),
    ("wide", None, 4, (("panoramic vista of {subject}", "wide_angle"),)),
)  # fmt: skip


def mixed_trace(n: int = 1000, seed: int = 20261201) -> list[TraceRequest]:
    """`n` requests drawn with the templates' weights; the same seed gives the same trace."""
    rng = random.Random(seed)
    weights = [weight for _, _, weight, _ in TEMPLATES]
    trace = []
    for _ in range(n):
        kind, layer, _, templates = rng.choices(TEMPLATES, weights)[0]
        template, expect = rng.choice(templates)
        trace.append(TraceRequest(kind, template.format(**_fillers(rng)), layer, expect))
    return trace


def _fillers(rng: random.Random) -> dict[str, str]:
    values = {
        "color": rng.choice(COLORS), "theme": rng.choice(THEMES), "tag": rng.choice(TAGS),
        "subject": rng.choice(SUBJECTS), "side": rng.choice(SIDES), "person": rng.choice(PEOPLE),
        "product": rng.choice(PRODUCTS),
    }  # fmt: skip
    return values | {lang: rng.choice(words) for lang, words in WORDS.items()}


def tally(trace: list[TraceRequest], classify: Callable[[TraceRequest], str]) -> dict[str, Counter[str]]:
    """kind -> Counter of what `classify` made of that kind's requests (intent or rule)."""
    counts: dict[str, Counter[str]] = {}
    for item in trace:
        counts.setdefault(item.kind, Counter())[classify(item)] += 1
    return counts
