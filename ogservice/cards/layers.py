"""Layer geometry and text placeholders: scaling reference boxes, flow, alignment, "{field}" texts,
and the card's direction, which mirrors the whole layout for right-to-left text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .templates import PLACEHOLDER, Layer, SizePreset
from .text_bidi import first_strong_level

Box = tuple[float, float, float, float]  # x, y, width, height in canvas pixels
Direction = Literal["ltr", "rtl"]
DIRECTIONS: tuple[Direction, ...] = ("ltr", "rtl")
DIRECTION_FIELD = "dir"  # a template may offer it (auto | ltr | rtl) to override the main text's

SEPARATOR = " · "


def resolve_text(template: str, fields: dict[str, str]) -> str:
    """Fill "{field}" placeholders; parts joined by " · " whose fields are empty are dropped.

    "{author} · {date}" gives "Ada · 2026-11-21", "Ada" or "" depending on what is set, so one
    layer serves every combination and an empty result means the layer is not drawn.
    """
    parts = []
    for part in template.split(SEPARATOR):
        names = PLACEHOLDER.findall(part)
        if names and not all(fields.get(n, "").strip() for n in names):
            continue
        parts.append(PLACEHOLDER.sub(lambda m: fields.get(m.group(1), "").strip(), part))
    return SEPARATOR.join(p for p in parts if p.strip())


def card_direction(layers: Iterable[Layer], fields: dict[str, str]) -> Direction:
    """The card's direction: the `dir` field when it says ltr or rtl, else the direction of the
    main text, the first drawn text layer with a strong character (the title or headline; UAX #9's
    P2-P3, as the text itself is set). Every layer follows it, so a Latin site name on an Arabic
    card moves to the left with the rest of the layout."""
    forced = fields.get(DIRECTION_FIELD, "")
    if forced in DIRECTIONS:
        return forced  # type: ignore[return-value]
    for layer in layers:
        if layer.kind != "text" or not applies(layer, fields):
            continue
        level = first_strong_level(resolve_text(layer.text, fields))
        if level is not None:
            return DIRECTIONS[level]
    return "ltr"


def scaled_box(
    layer: Layer,
    ref: tuple[int, int],
    preset: SizePreset,
    bottoms: dict[str, float],
    direction: str = "ltr",
    rights: dict[str, float] | None = None,
) -> Box:
    """The layer's box in canvas pixels; `after` moves it below that layer's rendered bottom,
    `beside` starts it after that layer's rendered text (its far edge stays; `rights` holds where
    each text ends, in the template's left-to-right frame). On a right-to-left card the box is then
    mirrored (x -> width - x - w): the one place the layout flips."""
    sx, sy = preset.width / ref[0], preset.height / ref[1]
    x, y, w, h = layer.box
    top = y * sy
    if layer.after and layer.after in bottoms:
        top = bottoms[layer.after] + layer.gap * min(sx, sy)
    left, width = x * sx, w * sx
    if layer.beside and rights and layer.beside in rights:
        right = left + width
        left = min(right, max(left, rights[layer.beside] + layer.gap * min(sx, sy)))
        width = right - left
    if direction == "rtl":
        left = preset.width - left - width
    return (left, top, width, h * sy)


def place(box: Box, width: float, height: float, align: str, valign: str, direction: str = "ltr") -> Box:
    """Position a width x height block inside box; "start" is the right edge on a right-to-left card."""
    x0, y0, bw, bh = box
    width, height = min(width, bw), min(height, bh)
    horizontal = {"start": 0.0, "center": 0.5, "end": 1.0}[align]
    if direction == "rtl" and align != "center":
        horizontal = 1.0 - horizontal
    vertical = {"top": 0.0, "center": 0.5, "bottom": 1.0}[valign]
    return (x0 + (bw - width) * horizontal, y0 + (bh - height) * vertical, width, height)


def applies(layer: Layer, fields: dict[str, str]) -> bool:
    """Whether the layer is drawn for these fields: one of its `when` fields set (or none named),
    none of its `unless` fields set. Both name fields separated by spaces."""

    def given(name: str) -> bool:
        return bool(fields.get(name, "").strip())

    if layer.when and not any(given(name) for name in layer.when.split()):
        return False
    return not any(given(name) for name in layer.unless.split())
