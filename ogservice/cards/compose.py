"""Layers -> one image: background, shapes, pills and text, with measured legibility (WCAG AA 4.5:1)."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from PIL import Image, ImageDraw

from . import backgrounds, color, contrast, made
from .fonts import FontRegistry
from .kinds import KINDS, KindPlan
from .layers import Box, Direction, applies, card_direction, place, resolve_text, scaled_box
from .made import ReadyImages
from .templates import Layer, SizePreset, Template
from .text import TextBlock, TextStyle, draw_text, layout_text

MIN_CONTRAST = 4.5
INK_MARGIN = 2  # pixels a glyph's raster may pass its outline's box (pen rounding, hinting)


@dataclass(frozen=True)
class Canvas:
    """What one render needs besides the template: size, resolved fields, seed, palette."""

    preset: SizePreset
    fields: dict[str, str]
    seed: int
    palette: backgrounds.Palette
    missing: str = "placeholder"
    ready: ReadyImages = ReadyImages()  # model-made pixels used instead of drawing those layers
    images: Mapping[str, Image.Image] = field(default_factory=dict)  # image fields' pixels, by field


@dataclass(frozen=True)
class TextReport:
    """How one text layer came out: fitted size, lines, clamping, contrast, uncovered characters."""

    id: str
    size: float
    lines: int
    clamped: bool
    contrast: float
    scrim: bool
    box: Box
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class _LetteringPlan:
    """A text layer whose pixels are model lettering, fitted into the layer's box."""

    layer: Layer
    image: Image.Image  # the lettering at its final size
    outer: Box  # the pill, or the lettering's place
    ink: Box
    scale: float

    @property
    def reach(self) -> tuple[int, int]:
        """The rows drawing this layer may touch: the pill or lettering, and a scrim around it."""
        top, bottom = (
            min(self.outer[1], self.ink[1]),
            max(self.outer[1] + self.outer[3], self.ink[1] + self.ink[3]),
        )
        return math.floor(top) - contrast.MAX_PANEL_PADDING, math.ceil(bottom) + contrast.MAX_PANEL_PADDING


@dataclass
class Composition:
    image: Image.Image
    texts: list[TextReport] = field(default_factory=list)
    uncovered: tuple[str, ...] = ()  # characters no font covered, in skipped layers too
    images: list[tuple[str, Box]] = field(default_factory=list)  # image layers drawn: id, box
    direction: Direction = "ltr"  # the card's: a right-to-left card is laid out mirrored
    layers: list[tuple[str, Box]] = field(default_factory=list)  # every layer drawn: id, its outer box

    def missing(self) -> tuple[str, ...]:
        return self.uncovered


class Progress(Protocol):
    """Hears which rows each layer may touch, then how many layers are drawn (the PNG encoder cuts
    its bands by them, and on a big image compresses final rows while the rest is drawn)."""

    def layout(self, image: Image.Image, reaches: Sequence[tuple[int, int]]) -> None: ...

    def drawn(self, image: Image.Image, count: int) -> None: ...


@dataclass(frozen=True)
class _RectPlan:
    layer: Layer
    box: Box
    radius: float

    @property
    def reach(self) -> tuple[int, int]:
        """The rows drawing this layer may touch, [top, bottom)."""
        return math.floor(self.box[1]), math.ceil(self.box[1] + self.box[3])


@dataclass(frozen=True)
class _TextPlan:
    layer: Layer
    block: TextBlock
    outer: Box  # the pill, or the text box with its padding
    ink: Box  # where the laid-out block is drawn
    scale: float
    bleed: int  # how far a scrim behind this text may reach beyond it (contrast.scrim_reach)
    group: Box | None = None  # on the first layer of a text group: the box around the group's blocks
    blocks: tuple[Box, ...] = ()  # ...and those blocks (the title's, the subtitle's)

    @property
    def backdrop(self) -> Box:
        """What a scrim drawn for this layer stands behind: its group's blocks, or its own."""
        return self.group if self.group is not None else self.ink

    @property
    def reach(self) -> tuple[int, int]:
        """The rows drawing this layer may touch, [top, bottom): the pill, the glyphs' ink (fonts'
        bounding boxes, marks' offsets, INK_MARGIN for rounding and hinting), its group's blocks,
        and a scrim reaching `bleed` beyond them."""
        ink_top, ink_bottom = self.block.ink_rows()
        top = min(self.outer[1], self.ink[1] + ink_top - INK_MARGIN)
        bottom = max(self.outer[1] + self.outer[3], self.ink[1] + ink_bottom + INK_MARGIN)
        if self.group is not None:
            top, bottom = min(top, self.group[1]), max(bottom, self.group[1] + self.group[3])
        return math.floor(top - self.bleed), math.ceil(bottom + self.bleed)


def compose(
    template: Template, canvas: Canvas, fonts: FontRegistry, progress: Progress | None = None
) -> Composition:
    """Render every layer of the preset's layout in order onto the background: the procedural
    one, or `canvas.ready.background`; text layers with ready lettering paste it instead of text.

    All layers are laid out first (layout needs no pixels), so `progress` hears the rows each
    layer may touch before any is drawn, then, before each layer, how many are done: the PNG
    encoder cuts its bands by them and, on a big image, compresses the rows that are final while
    the rest of the card is drawn.
    """
    image = _background(template, canvas)
    direction = card_direction(template.layouts[canvas.preset.layout].layers, canvas.fields)
    plans, uncovered = _plan(template, canvas, fonts, direction)
    result = Composition(image, uncovered=uncovered, direction=direction)
    if progress is not None:
        progress.layout(image, [plan.reach for plan in plans])
    backdrops = _backdrop_slots(plans)
    scrimmed: list[Box] = []  # texts and text groups drawn over a scrim of their own
    # A lone text's colour, chosen with its scrim on the very pixels it is drawn over (no layer
    # between its backdrop and itself touches them): measured once, not again when it is drawn.
    chosen: dict[str, contrast.Legibility] = {}
    for count, plan in enumerate(plans):
        if progress is not None and count:
            progress.drawn(image, count)
        for text in backdrops.get(count, ()):
            choice = _backdrop(image, text, canvas)
            if choice.scrim is not None:
                scrimmed.append(text.backdrop)
            if text.group is None:
                chosen[text.layer.id] = choice
        result.layers.append((plan.layer.id, _outer(plan)))
        # Our own plan classes first, the registry's kinds last: an isinstance check against a
        # runtime Protocol walks its members each time, too slow for every layer of every card.
        if isinstance(plan, _TextPlan):
            report = _draw_text_layer(image, plan, canvas, chosen.get(plan.layer.id))
            if not report.scrim and any(_within(plan.ink, group) for group in scrimmed):
                report = replace(report, scrim=True)
            result.texts.append(report)
        elif isinstance(plan, _RectPlan):
            _draw_rect(image, plan.box, _fill(plan.layer.fill, canvas.palette, image, plan.box), plan.radius)
        elif isinstance(plan, _LetteringPlan):
            _draw_lettering(image, plan, canvas)
        else:  # a KindPlan
            plan.draw(image)
            result.images.append((plan.layer.id, plan.box))
    return result


def _background(template: Template, canvas: Canvas) -> Image.Image:
    preset = canvas.preset
    if canvas.ready.background is not None:
        return made.cover(canvas.ready.background, preset.width, preset.height)
    style = _resolve(template.background.style, canvas.fields) or "auto"
    return backgrounds.procedural(
        preset.width, preset.height, seed=canvas.seed, style=style, palette=canvas.palette
    )


_Plan = _RectPlan | _TextPlan | _LetteringPlan | KindPlan


def _outer(plan: _Plan) -> Box:
    """What a layer occupies: a pill or padded text box, a rule, an image (no Protocol check: slow)."""
    return plan.outer if isinstance(plan, (_TextPlan, _LetteringPlan)) else plan.box


def _plan(
    template: Template, canvas: Canvas, fonts: FontRegistry, direction: Direction = "ltr"
) -> tuple[list[_Plan], tuple[str, ...]]:
    """Every drawn layer with its final geometry (`after` layers flow below the laid-out block), and
    the characters no font covered. A right-to-left card mirrors every box and reads "start" as
    the right edge, so templates describe one layout for both directions."""
    preset = canvas.preset
    layout = template.layouts[preset.layout]
    scale = _scale(layout.ref, preset)
    plans: list[_Plan] = []
    bottoms: dict[str, float] = {}
    rights: dict[str, float] = {}  # text layers' rendered right edge (for `beside`)
    uncovered: set[str] = set()
    applicable = [layer for layer in layout.layers if applies(layer, canvas.fields)]
    fixed = [
        (layer, scaled_box(layer, layout.ref, preset, {}, direction))
        for layer in applicable
        if not layer.after
    ]
    for layer in applicable:
        box = scaled_box(layer, layout.ref, preset, bottoms, direction, rights)
        if layer.after:
            box = _above_what_follows(layer, box, fixed, scale)
        text = resolve_text(layer.text, canvas.fields) if layer.text else ""
        if (planner := KINDS.get(layer.kind)) is not None:
            if (drawn := planner(layer, box, canvas.images, scale, direction)) is not None:
                plans.append(drawn)
                bottoms[layer.id] = drawn.box[1] + drawn.box[3]
        elif layer.kind == "rect":
            plans.append(_RectPlan(layer, box, layer.radius * scale))
            bottoms[layer.id] = box[1] + box[3]
        elif text and layer.id in canvas.ready.lettering:
            lettering = _plan_lettering(layer, box, canvas.ready.lettering[layer.id], scale, direction)
            plans.append(lettering)
            bottoms[layer.id] = lettering.ink[1] + lettering.ink[3]
        elif text:
            plan = _plan_text(layer, box, text, canvas, fonts, scale, direction)
            uncovered.update(plan.block.missing)
            # Text that takes no room (marks, controls, skipped glyphs) is not drawn, nor a flowing
            # layer left no room for even one line at its smallest size: it would cover what follows.
            if plan.block.width and not (layer.after and plan.block.height > box[3] + 0.5):
                plans.append(plan)
                bottoms[layer.id] = plan.ink[1] + plan.block.height
                # Where the text ends in reading order, in the template's (left-to-right) frame.
                end = plan.ink[0] + plan.block.width
                rights[layer.id] = end if direction == "ltr" else preset.width - plan.ink[0]
    return _grouped(plans), tuple(sorted(uncovered))


def _above_what_follows(layer: Layer, box: Box, fixed: list[tuple[Layer, Box]], scale: float) -> Box:
    """A flowing layer's box, cut short `gap` above the first fixed layer below its top in its
    column: a subtitle pushed down by a three-line title loses lines (or shrinks) instead of running
    into the price row or the call to action."""
    top, bottom = box[1], box[1] + box[3]
    for other, theirs in fixed:
        if other.id == layer.id or theirs[1] < top:
            continue
        if theirs[0] < box[0] + box[2] and box[0] < theirs[0] + theirs[2]:
            bottom = min(bottom, theirs[1] - layer.gap * scale)
    return box[0], top, box[2], max(0.0, bottom - top)


def _grouped(plans: list[_Plan]) -> list[_Plan]:
    """Plain text layers that flow `after` one another (a title and its subtitle) form a group; its
    first layer carries the box around all of their blocks, so the group gets one treatment."""
    texts = {p.layer.id: p for p in plans if isinstance(p, _TextPlan) and p.layer.kind == "text"}
    boxes: dict[str, list[Box]] = {}
    for plan in texts.values():
        head = plan
        while head.layer.after in texts:
            head = texts[head.layer.after]
        if head is not plan:
            boxes.setdefault(head.layer.id, [head.ink]).append(plan.ink)
    return [
        replace(p, group=_union(boxes[p.layer.id]), blocks=tuple(boxes[p.layer.id]))
        if isinstance(p, _TextPlan) and p.layer.id in boxes
        else p
        for p in plans
    ]


def _union(boxes: list[Box]) -> Box:
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def _within(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[0] + inner[2] <= outer[0] + outer[2]
        and inner[1] + inner[3] <= outer[1] + outer[3]
    )


def _backdrop_slots(plans: list[_Plan]) -> dict[int, list[_TextPlan]]:
    """Before which layer each plain text (or text group) gets its scrim, if it needs one: right
    after the last earlier layer drawn on the text's own pixels (the contrast is measured on them),
    so earlier layers that only stand near it (a tag or eyebrow pill above a title) are drawn over
    the scrim's fall-off instead of being dimmed by it. A scrim is drawn no later than its own
    layer, whose reported rows cover it, so the band encoder never sees a final row change."""
    texts = {p.layer.id for p in plans if isinstance(p, _TextPlan) and p.layer.kind == "text"}
    slots: dict[int, list[_TextPlan]] = {}
    for index, plan in enumerate(plans):
        if not isinstance(plan, _TextPlan) or plan.layer.kind != "text" or plan.layer.after in texts:
            continue  # pills stand on their own fill; a subtitle shares its title's scrim
        under = [j + 1 for j in range(index) if _overlap(_outer(plans[j]), plan.backdrop)]
        slots.setdefault(max(under, default=0), []).append(plan)
    return slots


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _backdrop(image: Image.Image, text: _TextPlan, canvas: Canvas) -> contrast.Legibility:
    """A scrim behind a text, or one behind a whole text group, when its first layer's colour needs
    one there: a title and subtitle then share a single scrim and a single polarity, instead of a
    light scrim behind one and a dark one behind the other. Each layer of a group still checks its
    own contrast when drawn. The colour and scrim chosen (the scrim is drawn)."""
    rect = _rect(text.backdrop)
    behind = contrast.sample(image, rect)
    preferred = _preferred(text.layer.color, behind, canvas.palette)
    choice = contrast.choose_legible(image, rect, preferred, min_ratio=MIN_CONTRAST, pixels=behind)
    if choice.scrim is not None:
        # Full over each block, fading out around them: a narrow subtitle under a wide title leaves
        # the corners beside it to the fall-off (they hold no text), so the scrim follows the words.
        contrast.apply_scrim(image, rect, choice.scrim, parts=[_rect(block) for block in text.blocks])
    return choice


def _plan_text(
    layer: Layer, box: Box, text: str, canvas: Canvas, fonts: FontRegistry, scale: float, direction: Direction
) -> _TextPlan:
    pad_x, pad_y = (p * scale for p in layer.padding)
    style = TextStyle(
        family=layer.family,
        weight=layer.weight,
        min_size=max(6, round(layer.min_size * scale)),
        max_size=max(6, round(layer.max_size * scale)),
        max_lines=layer.max_lines,
        line_height=layer.line_height,
        # A pill's lines are centred on it (a button or badge), wherever the pill itself sits.
        align="center" if layer.kind == "pill" else layer.align,
        uppercase=layer.uppercase,
    )
    block = layout_text(fonts, text, int(box[2] - 2 * pad_x), int(box[3] - 2 * pad_y), style, canvas.missing)
    outer = place(
        box, block.width + 2 * pad_x, block.height + 2 * pad_y, layer.align, layer.valign, direction
    )
    ink = (outer[0] + pad_x, outer[1] + pad_y, block.width, block.height)
    if layer.kind == "pill":  # a block taller than its box (tall script metrics) keeps its pill around it
        outer = (outer[0], outer[1], max(outer[2], ink[2] + 2 * pad_x), max(outer[3], ink[3] + 2 * pad_y))
    bleed = contrast.scrim_reach(canvas.preset.width, canvas.preset.height)
    return _TextPlan(layer, block, outer, ink, scale, bleed)


def _plan_lettering(
    layer: Layer, box: Box, lettering: Image.Image, scale: float, direction: Direction
) -> _LetteringPlan:
    pad_x, pad_y = (p * scale for p in layer.padding)
    inner = (box[0] + pad_x, box[1] + pad_y, box[2] - 2 * pad_x, box[3] - 2 * pad_y)
    fitted, ink = made.fit(lettering, inner, layer.align, layer.valign)
    outer = place(box, ink[2] + 2 * pad_x, ink[3] + 2 * pad_y, layer.align, layer.valign, direction)
    ink = (outer[0] + pad_x, outer[1] + pad_y, ink[2], ink[3])
    return _LetteringPlan(layer, fitted, outer, ink, scale)


def _draw_lettering(image: Image.Image, plan: _LetteringPlan, canvas: Canvas) -> None:
    if plan.layer.kind == "pill":
        fill = _fill(plan.layer.fill, canvas.palette, image, plan.outer)
        _draw_rect(image, plan.outer, fill, plan.layer.radius * plan.scale)
    made.paste_legibly(image, plan.image, plan.ink)


def _draw_text_layer(
    image: Image.Image, plan: _TextPlan, canvas: Canvas, chosen: contrast.Legibility | None = None
) -> TextReport:
    """Draw one text (on its pill), in the colour `chosen` with its backdrop if any, else in the
    colour measured here."""
    layer, block, ink = plan.layer, plan.block, plan.ink
    if layer.kind == "pill":
        _draw_rect(
            image, plan.outer, _fill(layer.fill, canvas.palette, image, plan.outer), layer.radius * plan.scale
        )
    if chosen is None:
        rgb, ratio, scrim = _legible_color(image, ink, layer.color, canvas.palette)
    elif chosen.scrim is None:
        rgb, ratio, scrim = chosen.text_rgb, chosen.ratio, False
    else:  # the reported ratio is what a reader gets, on the pixels as the scrim left them
        rgb, scrim = chosen.text_rgb, True
        ratio = contrast.measure_contrast(image, _rect(ink), rgb)
    draw_text(image, block, (round(ink[0]), round(ink[1])), rgb)
    if layer.strike:
        _strike(image, ink, block, rgb)
    return TextReport(
        id=layer.id,
        size=block.size,
        lines=len(block.lines),
        clamped=block.clamped,
        contrast=round(ratio, 2),
        scrim=scrim,
        box=(ink[0], ink[1], block.width, block.height),
        missing=tuple(block.missing),
    )


def _legible_color(
    image: Image.Image, ink: Box, wanted: str, palette: backgrounds.Palette
) -> tuple[tuple[int, int, int], float, bool]:
    """Preferred colour if it reaches 4.5:1 over the pixels behind it; else a better one or a scrim."""
    rect = _rect(ink)
    behind = contrast.sample(image, rect)  # one sample serves the muted colour and the contrast
    preferred = _preferred(wanted, behind, palette)
    choice = contrast.choose_legible(image, rect, preferred, min_ratio=MIN_CONTRAST, pixels=behind)
    if choice.scrim is None:
        return choice.text_rgb, choice.ratio, False
    contrast.apply_scrim(image, rect, choice.scrim)
    # Re-measure on the pixels as they now are: the reported ratio is what a reader gets.
    return choice.text_rgb, contrast.measure_contrast(image, rect, choice.text_rgb), True


def _rect(box: Box) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixel rectangle of an (x, y, width, height) box."""
    return round(box[0]), round(box[1]), round(box[0] + box[2]), round(box[1] + box[3])


def _preferred(wanted: str, behind: np.ndarray, palette: backgrounds.Palette) -> tuple[int, int, int] | None:
    """The layer's wanted colour; muted and on-accent are worked out from the pixels `behind` it."""
    if wanted == "auto":
        return None
    if wanted == "accent":
        return accent(palette)
    if wanted == "on-accent":
        return color.text_on(contrast.mean_color(behind))
    if wanted == "muted":
        average = contrast.mean_color(behind)
        base = (255, 255, 255) if color.relative_luminance(average) < 0.3 else (17, 17, 23)
        return color.mix(base, average, 0.25)
    return color.parse_color(wanted)


def accent(palette: backgrounds.Palette) -> tuple[int, int, int]:
    """The brand colour, exactly, when the palette has one. Otherwise a vivid colour from the
    palette's most colourful stop, light on dark palettes and deep on light ones, adjusted until it
    stands out from the background by 3:1 (WCAG's ratio for UI shapes)."""
    if palette.brand is not None:
        return palette.brand
    mean = tuple(round(sum(c[i] for c in palette.stops) / len(palette.stops)) for i in range(3))
    hue, _, saturation = colorsys.rgb_to_hls(*(v / 255 for v in max(palette.stops, key=_chroma)))
    lightness, step = (0.68, 0.04) if palette.dark else (0.42, -0.04)
    return _standing_out(hue, lightness, max(saturation, 0.65), step, [mean])  # type: ignore[list-item]


def standout(image: Image.Image, box: Box, palette: backgrounds.Palette) -> tuple[int, int, int]:
    """The accent where it stands out 3:1 from the background right around `box` (a call to action
    on a small banner sits on one part of a gradient, not on its mean); else the accent's hue made
    lighter or darker until it does. A brand colour is kept exactly: the marketer chose it."""
    base = accent(palette)
    if palette.brand is not None:
        return base
    darkest, lightest = _around(image, box)
    if min(color.contrast_ratio(base, darkest), color.contrast_ratio(base, lightest)) >= 3.0:
        return base
    hue, lightness, saturation = colorsys.rgb_to_hls(*(v / 255 for v in base))
    lighter = color.contrast_ratio((255, 255, 255), darkest) > color.contrast_ratio((0, 0, 0), lightest)
    step = 0.04 if lighter else -0.04  # towards the end of the scale with more room
    return _standing_out(hue, lightness, saturation, step, (darkest, lightest), tries=20)


def _standing_out(
    hue: float,
    lightness: float,
    saturation: float,
    step: float,
    against: Sequence[tuple[int, int, int]],
    tries: int = 12,
) -> tuple[int, int, int]:
    """The colour of this hue and saturation, from `lightness` in `step`s, that first reaches 3:1
    against every colour of `against` (WCAG's ratio for UI shapes); the last one tried when none does."""
    for _ in range(tries):
        rgb = tuple(round(v * 255) for v in colorsys.hls_to_rgb(hue, lightness, saturation))
        if min(color.contrast_ratio(rgb, c) for c in against) >= 3.0:  # type: ignore[arg-type]
            break
        lightness = min(0.95, max(0.05, lightness + step))
    return rgb  # type: ignore[return-value]


def _around(
    image: Image.Image, box: Box, reach: int = 10
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The darkest and the lightest background around `box` (10th and 90th luminance percentile of
    the canvas under it and `reach` pixels around it, before the box is drawn)."""
    left, top = max(0, math.floor(box[0]) - reach), max(0, math.floor(box[1]) - reach)
    right = min(image.width, math.ceil(box[0] + box[2]) + reach)
    bottom = min(image.height, math.ceil(box[1] + box[3]) + reach)
    if right <= left or bottom <= top:
        return (0, 0, 0), (0, 0, 0)
    region = np.asarray(image.crop((left, top, right, bottom)).convert("RGB")).reshape(-1, 3)
    order = np.argsort(region @ np.array([2126, 7152, 722]))  # by luma, close enough to rank pixels
    low, high = region[order[len(order) // 10]], region[order[(len(order) * 9) // 10]]
    return tuple(int(v) for v in low), tuple(int(v) for v in high)  # type: ignore[return-value]


def _chroma(rgb: tuple[int, int, int]) -> int:
    return max(rgb) - min(rgb)


def _fill(value: str, palette: backgrounds.Palette, image: Image.Image, box: Box) -> tuple[int, ...]:
    if value == "standout":
        return standout(image, box, palette)
    return accent(palette) if value in ("", "accent") else color.parse_fill(value)


def _draw_rect(image: Image.Image, box: Box, fill: tuple[int, ...], radius: float) -> None:
    shape = _pixel_box(box)
    if shape is None:
        return
    # Corners are at most half the shorter side: a pill, never a shape wider than its box.
    radius = min(radius, (shape[2] - shape[0] + 1) / 2, (shape[3] - shape[1] + 1) / 2)
    if len(fill) == 4 and fill[3] < 255:  # translucent: blend an overlay of just the shape's region
        left, top = max(0, shape[0]), max(0, shape[1])
        right, bottom = min(image.width, shape[2] + 1), min(image.height, shape[3] + 1)
        if right <= left or bottom <= top:
            return
        overlay = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
        moved = (shape[0] - left, shape[1] - top, shape[2] - left, shape[3] - top)
        ImageDraw.Draw(overlay).rounded_rectangle(moved, radius=round(radius), fill=fill)
        image.paste(overlay, (left, top), overlay)
        return
    ImageDraw.Draw(image).rounded_rectangle(shape, radius=round(radius), fill=fill[:3])


def _pixel_box(box: Box) -> tuple[int, int, int, int] | None:
    """The inclusive pixel rectangle a box covers: None when it has no area, at least one pixel a side
    otherwise (a rule scaled thinner than a pixel on a small canvas stays a hairline)."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return None
    left, top = round(x), round(y)
    return left, top, max(left, round(x + w) - 1), max(top, round(y + h) - 1)


def _strike(image: Image.Image, ink: Box, block: TextBlock, rgb: tuple[int, int, int]) -> None:
    y = ink[1] + ink[3] * 0.55
    width = max(2, round(block.size / 14))
    ImageDraw.Draw(image).line([(ink[0], y), (ink[0] + ink[2], y)], fill=rgb, width=width)


def _scale(ref: tuple[int, int], preset: SizePreset) -> float:
    return min(preset.width / ref[0], preset.height / ref[1])


def _resolve(value: str, fields: dict[str, str]) -> str:
    return resolve_text(value, fields) if "{" in value else value
