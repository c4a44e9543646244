"""Draw a laid-out text block onto an image: run by run, colour emoji from their bitmap strike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from ogservice.cards.fonts import FEATURES

if TYPE_CHECKING:
    from ogservice.cards.text import Run, TextBlock


def draw_text(
    image: Image.Image, block: TextBlock, origin: tuple[int, int], color: tuple[int, int, int]
) -> None:
    """Draw every run of `block` with its top-left at `origin` in `color` (emoji keep their colours)."""
    draw = ImageDraw.Draw(image)
    for line in block.lines:
        for run in line.runs:
            x, y = origin[0] + run.x, origin[1] + line.baseline
            if run.face.bitmap_size:
                _draw_bitmap_run(image, run, (x, y), block.size)
            else:
                draw.text(
                    (x, y),
                    run.text,
                    font=run.font,
                    fill=color,
                    anchor="ls",
                    direction=run.direction,
                    features=list(FEATURES),
                    language=block.lang,
                )


def _draw_bitmap_run(image: Image.Image, run: Run, at: tuple[float, float], size: int) -> None:
    """Render a colour-bitmap run at its strike size, scale it to the line size, alpha-composite it."""
    strike = run.face.bitmap_size or size
    ascent, descent = run.font.getmetrics()
    width = max(1, round(run.font.getlength(run.text, direction=run.direction)))
    tile = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((0, ascent), run.text, font=run.font, anchor="ls", embedded_color=True)
    scale = size / strike
    tile = tile.resize(
        (max(1, round(width * scale)), max(1, round((ascent + descent) * scale))), Image.LANCZOS
    )
    box = (round(at[0]), round(at[1] - ascent * scale))
    if image.mode == "RGBA":
        image.alpha_composite(tile, box)
    else:
        image.paste(tile, box, tile)
