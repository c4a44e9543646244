"""What layout produces: a text style in, a laid-out block of lines and runs out, ready to draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from PIL import ImageFont

if TYPE_CHECKING:
    from ogservice.cards.fonts import FontFace
    from ogservice.cards.glyphs import GlyphEngine


@dataclass(frozen=True)
class TextStyle:
    """How a text field is set: family (or alias), weight, size range, line limits, alignment, language."""

    family: str = "sans"
    weight: int = 400
    min_size: int = 24
    max_size: int = 72
    max_lines: int = 3
    line_height: float = 1.15
    align: Literal["start", "center", "end"] = "start"
    uppercase: bool = False
    lang: str | None = None


@dataclass(frozen=True)
class Run:
    """A visual run: consecutive characters in one font and one direction; x is relative to the box."""

    text: str
    font_path: str
    x: float
    width: float
    direction: Literal["ltr", "rtl"]
    face: FontFace = field(repr=False, compare=False)
    font: ImageFont.FreeTypeFont | None = field(default=None, repr=False, compare=False)  # colour emoji only


@dataclass(frozen=True)
class Line:
    """One line: its runs in visual (left-to-right) order, its width, and its baseline y in the block."""

    runs: tuple[Run, ...]
    x: float
    width: float
    baseline: float


@dataclass(frozen=True)
class TextBlock:
    """A laid-out text block, ready to draw at any origin; coordinates relative to the block's top-left."""

    size: int
    lines: tuple[Line, ...]
    width: int
    height: int
    clamped: bool
    direction: Literal["ltr", "rtl"]
    missing: tuple[str, ...]
    lang: str | None = None
    glyphs: GlyphEngine | None = field(default=None, repr=False, compare=False)  # draws the runs

    def glyph_sources(self) -> list[tuple[str, str]]:
        """(character, font id) for every character drawn; the id is a path (`path#index` in a .ttc)."""
        return [(char, run.font_path) for line in self.lines for run in line.runs for char in run.text]

    def ink_rows(self) -> tuple[float, float]:
        """How far the glyphs' ink may reach, (top, bottom) from the block's top: each run's face
        bounding box around its baseline, raised or lowered by its marks' offsets."""
        top, bottom = 0.0, float(self.height)
        for line in self.lines:
            for run in line.runs:
                above, below = run.face.ink_above, run.face.ink_below
                if self.glyphs is not None and not run.face.bitmap_size:
                    shaped = self.glyphs.shape(run.face, run.text, run.direction, self.lang)
                    above, below = above + shaped.rise, below + shaped.drop
                top = min(top, line.baseline - above * self.size)
                bottom = max(bottom, line.baseline + below * self.size)
        return top, bottom

    def bbox(self, origin: tuple[int, int]) -> tuple[int, int, int, int]:
        """The block's box (left, top, right, bottom) when drawn with its top-left at `origin`."""
        return (origin[0], origin[1], origin[0] + self.width, origin[1] + self.height)
