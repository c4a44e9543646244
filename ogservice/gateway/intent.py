"""Rule-based intent detection: what kind of image a prompt asks for, and the words that said so.

Pure and cheap (a handful of precompiled regexes, microseconds per prompt). Precedence, first wins:

  1. an explicit `intent` override
  2. the layer: layer=typography -> typography, layer=background -> background (the caller knows best)
  3. typography signals in the prompt: quoted text and sign/lettering words in every script the card
     engine sets (intent_words.py). A misspelled word ruins an image whatever else it asks for, so
     text beats every other prompt signal, even quality=draft (the rules then pick a fast text model).
     Words about text that is absent or only given room do not count ("no text", "without a logo",
     "empty space for text", "headline area"). A hero layer is never typography: its text is a layer
     of its own, so words about text in a hero prompt are ignored (and the explanation says so).
  4. quality=draft, then draft words (draft, sketch, thumbnail, mockup...)
  5. wide_angle (wide angle, panorama, ultra-wide, vista)
  6. complex_scene (several subjects and relations; a weighted score, see `_complex_signals`)
  7. photoreal or background. Background words (background, abstract, gradient, texture, pattern,
     wallpaper) outweigh photographic style words (bokeh, macro, DSLR, 35mm, realistic...), so
     "gradient background with soft bokeh" is a background. A photographic subject (photo, portrait,
     product shot...) wins when it comes first, and a background word that only sets a subject
     ("on a white background", "against a gradient backdrop") does not count: "product shot on a
     white background" is a photo.
  8. general
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal, get_args

from .intent_words import KEYWORDS, fold, is_sign_word, quoted_spans, spaceless_sign_words

Intent = Literal["typography", "photoreal", "complex_scene", "wide_angle", "background", "draft", "general"]
INTENTS: tuple[str, ...] = get_args(Intent)

# Intent is decided from the opening ~170 words of a prompt; this bounds the cost of 32k-character prompts.
SCAN_CHARS = 1000
COMPLEX_THRESHOLD = 3
# Layers whose prompt words never make them typography (their text is another layer).
PICTURE_LAYERS = frozenset({"hero"})

# One token per word, in any script; hyphenated words, "f/1.8" and "35mm" stay whole.
_TOKEN = re.compile(r"[^\W_]+(?:[-/.'’][^\W_]+)*")
_LENS = re.compile(r"^(?:\d{2,3}mm|f/\d+(?:\.\d+)?)$")
_CATEGORY_OF = MappingProxyType({word: cat for cat, words in KEYWORDS.items() for word in words})
_PHRASE_STARTS = frozenset(word.split()[0] for word in _CATEGORY_OF if " " in word)
# complex_scene score per keyword: a twist ("but", "as if": nested logic) or a crowd weighs two.
_COMPLEX_WEIGHTS = MappingProxyType({"join": 1, "relation": 1, "twist": 2, "crowd": 2})

# Context words, looked for among the few words before a keyword in the same clause (commas and
# full stops end one): negations cancel a text word, "space ... for" turns it into layout, and a
# preposition turns a background word into the setting of a subject.
_REACH = 4
_ROOM_REACH = 7  # "empty space on the right side for the headline"
_SETTING_REACH = 6  # "a cat on a clean pastel gradient background"
_NEGATIONS = frozenset({"no", "without", "ohne", "senza", "sem", "без", "χωρις", "بدون", "בלי", "ללא"})
# Negations that are English words too ("Sin City", "sans serif"): only right before the word.
_NEXT_TO_NEGATION = (["sin"], ["sans"])
_ROOM = frozenset({"space", "room", "area", "place", "spot", "margin"})
_ROOM_LINKS = frozenset({"for", "to"})
_ROOM_AFTER = frozenset({"area", "space", "box", "zone"})  # "headline area", "text space"
_SETTINGS = frozenset({"on", "onto", "against", "over", "with", "behind", "before", "front"})
_CLAUSE_END = re.compile(r"[,.;:!?()\[\]\n]")

Hits = dict[str, list[tuple[int, str]]]  # category -> (word index, word or phrase), in prompt order


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
    text = fold(head.lower())
    hits = _hits(text)
    text_signals = _text_signals(head, text, hits)
    if text_signals and layer not in PICTURE_LAYERS:
        return IntentResult("typography", text_signals)
    found = _picture_intent(hits, quality)
    if text_signals:  # a hero layer: say which words were outweighed
        return replace(found, signals=(*found.signals, f"layer={layer} outweighs {', '.join(text_signals)}"))
    return found


def _text_signals(head: str, text: str, hits: Hits) -> tuple[str, ...]:
    """Quoted text (case kept) and lettering words, in any script."""
    quoted = tuple(f"quoted text {span!r}" for span in quoted_spans(head))
    spaceless = tuple(f'"{word}"' for word in dict.fromkeys(spaceless_sign_words(text)))
    return quoted + _signals(hits, "typography") + spaceless


def _picture_intent(hits: Hits, quality: str | None) -> IntentResult:
    """Precedence 4-8: what kind of picture a prompt without (counted) text asks for."""
    if quality == "draft":
        return IntentResult("draft", ("quality=draft",))
    for intent in ("draft", "wide_angle"):
        if found := _signals(hits, intent):
            return IntentResult(intent, found)
    if found := _complex_signals(hits):
        return IntentResult("complex_scene", found)
    return _photo_or_background(hits)


def _photo_or_background(hits: Hits) -> IntentResult:
    """Background words beat photographic style; a photographic subject mentioned first beats them."""
    background, photo = hits.get("background"), hits.get("photo")
    if background and not (photo and photo[0][0] < background[0][0] - 1):  # "photo background": one noun
        return IntentResult("background", _signals(hits, "background"))
    if found := _signals(hits, "photo") + _signals(hits, "photo_style"):
        return IntentResult("photoreal", found)
    return IntentResult("general")


def _hits(text: str) -> Hits:
    """Every keyword of the prompt (words, 2- and 3-word phrases) grouped by category, in prompt order.

    Typography words that are negated or only given room, and background words that set a subject,
    are left out (see `_counts`).
    """
    tokens, clause_starts = _tokens(text)
    lookup = _CATEGORY_OF.get
    hits: Hits = {}
    for i, token in enumerate(tokens):
        before = tokens[clause_starts[i] : i]
        # Phrases are only built where one can start, which keeps long prompts cheap.
        grams = [token]
        if token in _PHRASE_STARTS:
            grams += (" ".join(tokens[i : i + 2]), " ".join(tokens[i : i + 3]))
        for gram in grams:
            if (category := lookup(gram)) and _counts(category, before, tokens[i + 1 : i + 2]):
                hits.setdefault(category, []).append((i, gram))
        if (token[-2:] == "mm" or token[:2] == "f/") and _LENS.match(token):
            hits.setdefault("photo_style", []).append((i, token))
        elif is_sign_word(token) and _counts("typography", before, []):
            hits.setdefault("typography", []).append((i, token))
    return hits


def _tokens(text: str) -> tuple[list[str], list[int]]:
    """The words of `text`, and for each the index of the first word of its clause."""
    tokens: list[str] = []
    starts: list[int] = []
    start, end = 0, 0
    for match in _TOKEN.finditer(text):
        if _CLAUSE_END.search(text, end, match.start()):
            start = len(tokens)
        tokens.append(match.group())
        starts.append(start)
        end = match.end()
    return tokens, starts


def _counts(category: str, before: list[str], after: list[str]) -> bool:
    """False for a word its clause cancels: "no text", "space for a headline", "on a white backdrop"."""
    if category == "typography":
        negated = any(w in _NEGATIONS for w in before[-_REACH:]) or before[-1:] in _NEXT_TO_NEGATION
        return not (negated or _room_for(before) or after and after[0] in _ROOM_AFTER)
    if category == "background":
        return not any(word in _SETTINGS for word in before[-_SETTING_REACH:])
    return True


def _room_for(before: list[str]) -> bool:
    """True after "space/room/area ... for/to": the prompt makes room for text instead of asking for it."""
    near = before[-_ROOM_REACH:]
    return any(w in _ROOM_LINKS and any(r in _ROOM for r in near[:j]) for j, w in enumerate(near))


def _signals(hits: Hits, category: str) -> tuple[str, ...]:
    """Distinct words of one category, quoted for the explanation."""
    return tuple(dict.fromkeys(f'"{word}"' for _, word in hits.get(category, ())))


def _complex_signals(hits: Hits) -> tuple[str, ...]:
    """Several subjects and relations: weighted joins, relations, twists and crowds >= threshold.

    Commas do not count: comma-separated style tags ("4k, cinematic, moody") are not a scene.
    """
    score = sum(weight * len(hits.get(cat, ())) for cat, weight in _COMPLEX_WEIGHTS.items())
    if score < COMPLEX_THRESHOLD:
        return ()
    return tuple(word for cat in _COMPLEX_WEIGHTS for word in _signals(hits, cat))
