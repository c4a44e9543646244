"""Comparing a render with its golden image: each layer present with its ink, and any other
difference only the anti-aliasing a FreeType or Pillow update may move.

A global pixel tolerance alone lets a small layer vanish (a byline is well under 1% of a card), so
each golden has a manifest of its text layers: the box each was drawn in and how much ink it has.
A render must have the same layers, each near its golden box and with about the same ink there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BOX_SLACK = 3.0  # pixels a layer's box may move (a font update changing an advance by a hair)
INK_RANGE = (0.75, 1.33)  # a layer's ink may vary this much (anti-aliasing), never vanish or double
INK_STEP = 64  # a pixel is ink when it differs this much (max channel) from the background near it
STRIP = 16  # columns over which the background counts as one colour
STRONG = 64  # a pixel changed strongly: more than anti-aliasing at an unmoved edge
EDGE = 24  # a golden pixel is on an edge when a neighbour differs from it by more than this


def ink(pixels: np.ndarray, box: tuple[float, float, float, float]) -> int:
    """Pixels inside box that stand out from the background around them: each 16-pixel-wide strip's
    median colour (the background under a gradient; letters cover well under half of a strip)."""
    return int(ink_mask(pixels, box).sum())


def ink_box(pixels: np.ndarray, box: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) on the canvas of the ink inside box; None when it has none."""
    mask = ink_mask(pixels, box)
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if not len(rows):
        return None
    left, top = max(0, round(box[0])), max(0, round(box[1]))
    return left + int(cols[0]), top + int(rows[0]), left + int(cols[-1]) + 1, top + int(rows[-1]) + 1


def ink_mask(pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Which pixels of box are ink (see `ink`), as a boolean array of the box's clipped region."""
    x, y, w, h = box
    region = pixels[max(0, round(y)) : round(y + h), max(0, round(x)) : round(x + w)].astype(np.int16)
    mask = np.zeros(region.shape[:2], bool)
    for left in range(0, region.shape[1], STRIP):
        strip = region[:, left : left + STRIP]
        background = np.median(strip.reshape(-1, 3), axis=0)
        mask[:, left : left + STRIP] = np.abs(strip - background).max(axis=2) > INK_STEP
    return mask


def manifest(pixels: np.ndarray, reports) -> dict[str, dict]:
    """{layer id: {"box": [x, y, w, h], "ink": pixels}} of the text layers a render drew."""
    return {r.id: {"box": [round(float(v), 2) for v in r.box], "ink": ink(pixels, r.box)} for r in reports}


def write(path: Path, pixels: np.ndarray, reports) -> None:
    path.write_text(json.dumps(manifest(pixels, reports), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def layer_problems(pixels: np.ndarray, reports, expected: dict[str, dict]) -> list[str]:
    """What is wrong with each layer of a render against its golden manifest (empty: all present)."""
    drawn = {r.id: r for r in reports}
    problems = [f"{name}: not drawn" for name in expected if name not in drawn]
    problems += [f"{name}: drawn, but not in the golden" for name in drawn if name not in expected]
    for name, want in expected.items():
        if name not in drawn:
            continue
        moved = max(abs(a - b) for a, b in zip(drawn[name].box, want["box"], strict=True))
        if moved > BOX_SLACK:
            problems.append(f"{name}: box {drawn[name].box} moved from {want['box']}")
        got = ink(pixels, want["box"])
        low, high = (want["ink"] * bound for bound in INK_RANGE)
        if not low <= got <= high:
            problems.append(f"{name}: {got} ink pixels in its box, the golden has {want['ink']}")
    return problems


def off_edge_changes(actual: np.ndarray, golden: np.ndarray) -> int:
    """Strongly changed pixels that are not on (or next to) an edge of the golden or of the render:
    a change there is not anti-aliasing moving, it is something drawn or left out."""
    strong = np.abs(actual - golden).max(axis=2) > STRONG
    return int((strong & ~(_edges(golden) | _edges(actual))).sum())


def _edges(pixels: np.ndarray) -> np.ndarray:
    """Pixels within one pixel of a place where neighbouring pixels differ by more than EDGE."""
    step_x = np.abs(np.diff(pixels, axis=1)).max(axis=2) > EDGE
    step_y = np.abs(np.diff(pixels, axis=0)).max(axis=2) > EDGE
    edge = np.zeros(pixels.shape[:2], bool)
    edge[:, :-1] |= step_x
    edge[:, 1:] |= step_x
    edge[:-1, :] |= step_y
    edge[1:, :] |= step_y
    grown = edge.copy()  # one more pixel around: an edge moved by a pixel lands here
    grown[:, 1:] |= edge[:, :-1]
    grown[:, :-1] |= edge[:, 1:]
    grown[1:, :] |= edge[:-1, :]
    grown[:-1, :] |= edge[1:, :]
    return grown
