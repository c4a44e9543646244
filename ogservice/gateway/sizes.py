"""Explicit nearest-size and nearest-aspect matching, so no vendor silently squares an image."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import StrictSizeError
from .request import ImageRequest


@dataclass(frozen=True)
class SizeChoice:
    """The vendor value chosen for a request and a note when it is not exact."""

    value: str
    exact: bool
    note: str = ""


def parse_ratio(text: str) -> float:
    """'16:9', '16x9', 'ASPECT_16_9' or '1536x1024' -> width/height."""
    cleaned = text.upper().removeprefix("ASPECT_").replace("X", ":").replace("_", ":")
    w, h = (float(p) for p in cleaned.split(":"))
    return w / h


def _distance(a: float, b: float) -> float:
    # Compare ratios on a log scale so 2:1 and 1:2 are equally far from 1:1.
    return abs(math.log(a) - math.log(b))


def nearest_aspect(req: ImageRequest, options: Iterable[str], *, vendor: str = "") -> SizeChoice:
    """The option whose ratio is closest to the request's; strict requests need an exact match."""
    wanted = req.ratio()
    best = min(options, key=lambda o: _distance(parse_ratio(o), wanted))
    exact = _distance(parse_ratio(best), wanted) < 0.01
    return _choice(req, best, exact, vendor)


def nearest_size(req: ImageRequest, sizes: Iterable[str], *, vendor: str = "") -> SizeChoice:
    """The 'WxH' size closest in aspect, then in area, to the requested size."""
    wanted_ratio, wanted_area = req.ratio(), req.width * req.height

    def score(size: str) -> tuple[float, float]:
        w, h = (int(p) for p in size.lower().split("x"))
        return (round(_distance(w / h, wanted_ratio), 3), abs(math.log(w * h / wanted_area)))

    best = min(sizes, key=score)
    w, h = (int(p) for p in best.lower().split("x"))
    exact = (w, h) == (req.width, req.height) and not req.aspect_ratio
    exact = exact or (bool(req.aspect_ratio) and _distance(w / h, wanted_ratio) < 0.01)
    return _choice(req, best, exact, vendor)


def requested_label(req: ImageRequest) -> str:
    return req.aspect_ratio or f"{req.width}x{req.height}"


def _choice(req: ImageRequest, value: str, exact: bool, vendor: str) -> SizeChoice:
    asked = requested_label(req)
    if exact:
        return SizeChoice(value, True)
    if req.strict:
        raise StrictSizeError(
            f"{asked} is not supported; nearest is {value}", provider=vendor, code="strict_size"
        )
    return SizeChoice(value, False, f"size {asked} not supported by {vendor or 'the model'}; using {value}")
