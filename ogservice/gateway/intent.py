"""Rule-based intent detection: what kind of image a prompt asks for, and the words that said so.

Pure and cheap (a handful of precompiled regexes, microseconds per prompt). Precedence, first wins:

  1. an explicit `intent` override
  2. the layer: layer=typography -> typography, layer=background -> background (the caller knows best)
  3. typography signals in the prompt (quoted text, "sign", "logo", "that says"...): a misspelled
     word ruins an image whatever else it asks for, so text beats every other prompt signal,
     even quality=draft (the rules then pick a fast text model)
  4. quality=draft, then draft words (draft, sketch, thumbnail, mockup...)
  5. wide_angle (wide angle, panorama, ultra-wide, vista)
  6. complex_scene (several subjects and relations; a weighted score, see `_complex_signals`)
  7. photoreal (photo, DSLR, 35mm, portrait, product shot...)
  8. background words (background, abstract, gradient, texture, pattern, wallpaper): after photoreal,
     so "product shot on a white background" is a photo, not a background
  9. general
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

Intent = Literal["typography", "photoreal", "complex_scene", "wide_angle", "background", "draft", "general"]
INTENTS: tuple[str, ...] = get_args(Intent)

# Intent is decided from the opening ~170 words of a prompt; this bounds the cost of 32k-character prompts.
SCAN_CHARS = 1000
COMPLEX_THRESHOLD = 3

_QUOTE_CHARS = ('"', "'", "“", "«", "„")
_QUOTED = re.compile(
    r'"([^"\n]{1,120})"|“([^”\n]{1,120})”|«([^»\n]{1,120})»|„([^“”\n]{1,120})[“”]'
    r"|(?<![\w'])'([^'\n]{2,80})'(?![\w'])"
)
# One token per word; hyphenated words, "f/1.8" and "35mm" stay whole.
_TOKEN = re.compile(r"[a-z0-9]+(?:[-/.'][a-z0-9]+)*")
_LENS = re.compile(r"^(?:\d{2,3}mm|f/\d+(?:\.\d+)?)$")

# Keyword tables: a word or a 2-3 word phrase -> the category it signals. Looked up once per n-gram,
# so detection costs one dict look-up per word instead of one regex scan per category.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "typography": (
        "text",
        "texts",
        "sign",
        "signs",
        "signage",
        "logo",
        "logos",
        "logotype",
        "wordmark",
        "typography",
        "typographic",
        "lettering",
        "headline",
        "caption",
        "calligraphy",
        "that says",
        "which says",
        "saying",
        "that reads",
        "which reads",
        "with the word",
        "with the words",
        "spell out",
        "spells out",
        "spelling out",
        "poster says",
        "banner says",
        "sign says",
        "badge says",
        "sign reads",
    ),
    "draft": (
        "draft",
        "drafts",
        "sketch",
        "sketches",
        "sketchy",
        "thumbnail",
        "thumbnails",
        "mockup",
        "mockups",
        "mock-up",
        "mock-ups",
        "placeholder",
        "placeholders",
        "quick preview",
    ),
    "wide_angle": (
        "wide angle",
        "wide-angle",
        "panorama",
        "panoramas",
        "panoramic",
        "ultra-wide",
        "ultrawide",
        "ultra wide",
        "vista",
        "vistas",
        "fisheye",
        "fish-eye",
        "establishing shot",
        "wide shot",
        "sweeping view",
        "sweeping landscape",
    ),
    "photoreal": (
        "photo",
        "photos",
        "photograph",
        "photographs",
        "photography",
        "photographic",
        "photoreal",
        "photorealistic",
        "photo-realistic",
        "photorealism",
        "hyperrealistic",
        "hyper-realistic",
        "realistic",
        "dslr",
        "portrait",
        "headshot",
        "product shot",
        "product photo",
        "macro",
        "bokeh",
        "studio lighting",
        "shot on",
    ),
    "background": (
        "background",
        "backgrounds",
        "backdrop",
        "backdrops",
        "abstract",
        "gradient",
        "gradients",
        "texture",
        "textures",
        "pattern",
        "patterns",
        "wallpaper",
        "wallpapers",
        "seamless",
    ),
    "join": ("and", "while", "as well as"),
    "twist": ("but", "whereas", "instead of", "as if", "looks", "looks like", "pretending"),
    "relation": (
        "with",
        "holding",
        "riding",
        "eating",
        "chasing",
        "playing",
        "sitting on",
        "standing on",
        "next to",
        "beside",
        "behind",
        "in front of",
        "on top of",
        "underneath",
        "between",
        "surrounded by",
        "reflecting",
        "reflected",
        "looking at",
    ),
    "crowd": (
        "crowd",
        "crowds",
        "group of",
        "groups of",
        "many",
        "several",
        "dozens",
        "hundreds",
        "family of",
        "team of",
        "army of",
        "busy",
        "bustling",
    ),
}
_CATEGORY_OF = MappingProxyType({word: cat for cat, words in _KEYWORDS.items() for word in words})
_PHRASE_STARTS = frozenset(word.split()[0] for word in _CATEGORY_OF if " " in word)
# complex_scene score per keyword: a twist ("but", "as if": nested logic) or a crowd weighs two.
_COMPLEX_WEIGHTS = MappingProxyType({"join": 1, "relation": 1, "twist": 2, "crowd": 2})


@dataclass(frozen=True)
class IntentResult:
    """The detected intent and the signals (fields or prompt words) that decided it."""

    intent: str
    signals: tuple[str, ...] = ()

    def explain(self) -> str:
        """'intent typography (quoted text "SALE", word "logo")' for the decision's reasons."""
        return f"intent {self.intent}" + (f" ({', '.join(self.signals)})" if self.signals else "")


def detect_intent(
    prompt: str, *, layer: str | None = None, quality: str | None = None, override: str | None = None
) -> IntentResult:
    """Classify a prompt (plus the explicit layer/quality/intent fields) by the precedence above."""
    if override:
        return IntentResult(override, ("intent given explicitly",))
    if layer in ("typography", "background"):
        return IntentResult(layer, (f"layer={layer}",))
    head = prompt[:SCAN_CHARS]
    text = head.lower()
    hits = _hits(text)
    if signals := _quoted(head) + _signals(hits, "typography"):
        return IntentResult("typography", signals)
    if quality == "draft":
        return IntentResult("draft", ("quality=draft",))
    for intent in ("draft", "wide_angle", "complex_scene", "photoreal", "background"):
        found = _complex_signals(hits) if intent == "complex_scene" else _signals(hits, intent)
        if found:
            return IntentResult(intent, found)
    return IntentResult("general")


def _hits(text: str) -> dict[str, list[str]]:
    """Every keyword of the prompt (words, 2- and 3-word phrases) grouped by category, in prompt order."""
    tokens = _TOKEN.findall(text)
    lookup = _CATEGORY_OF.get
    hits: dict[str, list[str]] = {}
    for i, token in enumerate(tokens):
        # Phrases are only built where one can start, which keeps long prompts cheap.
        grams = [token]
        if token in _PHRASE_STARTS:
            grams += (" ".join(tokens[i : i + 2]), " ".join(tokens[i : i + 3]))
        for gram in grams:
            if category := lookup(gram):
                hits.setdefault(category, []).append(gram)
        if (token[-2:] == "mm" or token[:2] == "f/") and _LENS.match(token):
            hits.setdefault("photoreal", []).append(token)
    return hits


def _quoted(prompt: str) -> tuple[str, ...]:
    """Quoted text, case kept ("SALE 50% OFF"); skipped cheaply when the prompt has no quote mark."""
    if not any(mark in prompt for mark in _QUOTE_CHARS):
        return ()
    return tuple(f"quoted text {next(g for g in m.groups() if g)!r}" for m in _QUOTED.finditer(prompt))


def _signals(hits: dict[str, list[str]], category: str) -> tuple[str, ...]:
    """Distinct words of one category, quoted for the explanation."""
    return tuple(dict.fromkeys(f'"{word}"' for word in hits.get(category, ())))


def _complex_signals(hits: dict[str, list[str]]) -> tuple[str, ...]:
    """Several subjects and relations: weighted joins, relations, twists and crowds >= threshold.

    Commas do not count: comma-separated style tags ("4k, cinematic, moody") are not a scene.
    """
    score = sum(weight * len(hits.get(cat, ())) for cat, weight in _COMPLEX_WEIGHTS.items())
    if score < COMPLEX_THRESHOLD:
        return ()
    return tuple(word for cat in _COMPLEX_WEIGHTS for word in _signals(hits, cat))
