"""The in-process OCR engine: RapidOCR with the PP-OCR models shipped inside its wheel.

Loaded once per process, on first use (`engine()`), so a web process that never checks lettering
never imports onnxruntime or OpenCV. The models are read from the installed package; nothing is
downloaded at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

# Detection scales the image so its LONGER side is at most this; RapidOCR's default scales the
# shorter side UP to 736, which made a wide strip of lettering ~8x slower (2 s against 0.27 s) and
# misread more words ("ms" for "miss") than at its natural size.
DETECT_MAX_SIDE = 960
# Keep every box the recogniser reads, however unsure: the spelling guard must see an uncertain
# word (and refuse it), never have it silently dropped.
ENGINE_PARAMS: dict[str, Any] = {
    "Global.log_level": "critical",
    "Global.use_cls": False,  # lettering is upright; the 180-degree classifier only adds flips
    "Global.text_score": 0.0,
    "Det.limit_type": "max",
    "Det.limit_side_len": DETECT_MAX_SIDE,
}

_lock = threading.Lock()
_engine: Any = None


@dataclass(frozen=True)
class Word:
    """One box the engine read: its text, its confidence (0-1) and its corners (x, y)."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]

    @property
    def top(self) -> float:
        return min(y for _, y in self.box)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.box)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.box)


@dataclass(frozen=True)
class Reading:
    """What the engine read in one image, in reading order (lines top to bottom, words left to right)."""

    lines: tuple[tuple[Word, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(word.text for word in line) for line in self.lines)

    @property
    def confidence(self) -> float:
        """The least confident box (1.0 when nothing was read)."""
        return min((word.score for line in self.lines for word in line), default=1.0)


def engine() -> Any:
    """The process's RapidOCR instance, created on first call (about 1 s, ~70 MB)."""
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR  # heavy: onnxruntime + OpenCV, only when lettering is checked

            _engine = RapidOCR(params=dict(ENGINE_PARAMS))
        return _engine


def read(image: Image.Image) -> Reading:
    """Read the text of an RGB image (callers matte RGBA first, see `spelling.matte`)."""
    output = engine()(image.convert("RGB"))
    if not output.txts:
        return Reading(())
    words = [
        Word(text, float(score), tuple((float(x), float(y)) for x, y in np.asarray(box)))
        for box, text, score in zip(output.boxes, output.txts, output.scores, strict=True)
        if text.strip()
    ]
    return Reading(reading_order(words))


def read_text(image: Image.Image) -> str:
    """The text in `image`, lines joined by newlines."""
    return read(image).text


def reading_order(words: Sequence[Word]) -> tuple[tuple[Word, ...], ...]:
    """Group boxes into lines (a box joins a line its vertical centre falls inside), then left to right.

    The engine returns boxes in detection order, which put "Quick Brown Fox The" for one line.
    """
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        centre = (word.top + word.bottom) / 2
        if lines and lines[-1][0].top <= centre <= lines[-1][0].bottom:
            lines[-1].append(word)
        else:
            lines.append([word])
    return tuple(tuple(sorted(line, key=lambda w: w.left)) for line in lines)
