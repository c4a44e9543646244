"""Which layers of a card a model should make, and what to ask for: pure, from template and fields.

A background prompt never carries the card's words (templates are validated for that, and every
prompt ends with NO_TEXT): text is its own layer, set locally or lettered by a text specialist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..cards.backgrounds import seed_from
from ..cards.fields import CardRequest
from ..cards.layers import applies, resolve_text, scaled_box
from ..cards.templates import BACKGROUND_SOURCES, TEXT_RENDERS, Layer, source_of
from ..lettering.prompt import LetteringStyle

NO_TEXT = "no text, no letters, no words, no logos, no watermark"
LETTERING_LONG_SIDE = 1024  # lettering is asked for at its box's shape, this many pixels wide (or tall)
MIN_SIDE = 64  # the smallest side any image model accepts
SEED_RANGE = 2**31  # vendors take 31-bit seeds

Kind = Literal["background", "lettering"]


@dataclass(frozen=True)
class LayerAsk:
    """One layer a card wants from a model: its slot, what to draw and at what size."""

    slot: str  # "background" or the text layer's id
    kind: Kind
    prompt: str  # background: the full prompt; lettering: "" (made from text and style once routed)
    text: str  # lettering: the exact words to draw (and to read back); background: ""
    width: int
    height: int
    seed: int
    quality: str
    intent: str
    style: LetteringStyle | None = None  # lettering: the layer's look, from the template


def plan_asks(req: CardRequest) -> list[LayerAsk]:
    """The model-made layers this request asks for, background first; empty for a fully local card."""
    asks = [ask] if (ask := _background(req)) is not None else []
    layout = req.template.layouts[req.preset.layout]
    for layer in layout.layers:
        if not applies(layer, req.fields) or layer.kind in ("rect", "image"):
            continue
        if source_of(layer.render, req.fields, TEXT_RENDERS) == "model":
            if (ask := _lettering(req, layer, layout.ref)) is not None:
                asks.append(ask)
    return asks


def _background(req: CardRequest) -> LayerAsk | None:
    bg = req.template.background
    if source_of(bg.source, req.fields, BACKGROUND_SOURCES) != "model":
        return None
    custom = req.fields.get(bg.prompt_field, "").strip() if bg.prompt_field else ""
    prompt = f"{custom or resolve_text(bg.prompt, req.fields)}, {NO_TEXT}"
    # The seed follows the prompt (or the URL's seed), not the title: every card asking for the
    # same background (a category's prompt) shares one generated layer.
    seed = (req.seed if req.seed is not None else seed_from("background", prompt)) % SEED_RANGE
    size = (req.preset.width, req.preset.height)
    return LayerAsk(
        "background", "background", prompt, "", *_model_size(size, max(size)), seed, bg.quality, bg.intent
    )


def _lettering(req: CardRequest, layer: Layer, ref: tuple[int, int]) -> LayerAsk | None:
    text = resolve_text(layer.text, req.fields)
    if not text:
        return None  # an empty layer is not drawn, locally or otherwise
    text = text.upper() if layer.uppercase else text
    _, _, width, height = scaled_box(layer, ref, req.preset, {})
    style = LetteringStyle(
        family=layer.family,
        weight=layer.weight,
        color=layer.color if layer.color.startswith("#") else "",
        palette=_theme(req),
        uppercase=layer.uppercase,
    )
    seed = seed_from("lettering", text, repr(style)) % SEED_RANGE
    size = _model_size((width, height), LETTERING_LONG_SIDE)
    quality = req.template.background.quality
    return LayerAsk(layer.id, "lettering", "", text, *size, seed, quality, "typography", style)


def _theme(req: CardRequest) -> str:
    """The card's theme name (a colour mood for the lettering), '' when a brand colour sets it."""
    bg = req.template.background
    if bg.brand and req.fields.get(bg.brand.strip("{}")):
        return ""
    return resolve_text(bg.theme, req.fields) if "{" in bg.theme else bg.theme


def _model_size(size: tuple[float, float], long_side: float) -> tuple[int, int]:
    """The size to ask a model for: the shape of `size`, its long side `long_side`, within 64..4096."""
    width, height = max(1.0, size[0]), max(1.0, size[1])
    scale = min(4096, long_side) / max(width, height)
    return max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale))
