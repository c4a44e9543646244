"""Layer geometry and text placeholders: scaling reference boxes, flow, alignment, "{field}" texts."""

from __future__ import annotations

from .templates import PLACEHOLDER, Layer, SizePreset

Box = tuple[float, float, float, float]  # x, y, width, height in canvas pixels

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


def scaled_box(
    layer: Layer,
    ref: tuple[int, int],
    preset: SizePreset,
    bottoms: dict[str, float],
    rights: dict[str, float] | None = None,
) -> Box:
    """The layer's box in canvas pixels; `after` moves it below that layer's rendered bottom,
    `beside` starts it right of that layer's rendered text (its right edge stays)."""
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
    return (left, top, width, h * sy)


def place(box: Box, width: float, height: float, align: str, valign: str, direction: str = "ltr") -> Box:
    """Position a width x height block inside box; "start" is the right edge for right-to-left text."""
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
