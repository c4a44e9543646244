"""The kind registry: layer kinds drawn from pixels the caller resolved, by name.

A kind here is a planner: (layer, its box in canvas pixels, the card's resolved images by field,
scale, the card's direction: "start" is the right edge on a right-to-left card) -> a plan that
knows its rows (`reach`, for the band encoder), its `box` (for `after` flow and reports) and how to
`draw` itself, or None when there is nothing to draw. compose looks a layer's kind up here before
its own text, pill and rect kinds, so a new pixel-fed kind (a QR code, a chart) is one entry and
one module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from PIL import Image

from . import image_layer
from .layers import Box, Direction
from .templates import Layer


@runtime_checkable
class KindPlan(Protocol):
    @property
    def layer(self) -> Layer: ...

    @property
    def box(self) -> Box: ...

    @property
    def reach(self) -> tuple[int, int]: ...

    def draw(self, image: Image.Image) -> None: ...


Planner = Callable[[Layer, Box, Mapping[str, Image.Image], float, Direction], KindPlan | None]

KINDS: dict[str, Planner] = {
    "image": image_layer.plan_from_images,
}
