"""Real lettering for the emulators and the lettering tests: the quoted text drawn with a bundled font.

A text-specialist model answers a prompt like `Typography only: the exact text "SALE 50% OFF", ...`
with that text lettered large on a plain or transparent background; the emulators do the same, so
the OCR guard downstream reads real glyphs. `misspell` makes the wrong-lettering failure mode.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[2] / "fonts"
LATIN = (FONTS / "inter/Inter-Bold.otf", 0)
CJK = (FONTS / "noto-sans-cjk/NotoSansCJK-Bold.ttc", 2)  # the Simplified Chinese face of the collection
BY_SCRIPT = (  # first matching range picks the face
    ((0x0590, 0x05FF), (FONTS / "noto-sans-hebrew/NotoSansHebrew-Bold.ttf", 0)),
    ((0x0600, 0x06FF), (FONTS / "noto-sans-arabic/NotoSansArabic-Bold.ttf", 0)),
    ((0x0900, 0x097F), (FONTS / "noto-sans-devanagari/NotoSansDevanagari-Bold.ttf", 0)),
    ((0x0E00, 0x0E7F), (FONTS / "noto-sans-thai/NotoSansThai-Bold.ttf", 0)),
    ((0x1100, 0x11FF), CJK),
    ((0x2E80, 0x9FFF), CJK),
    ((0xAC00, 0xD7AF), CJK),
)
QUOTED = re.compile(r'"([^"]+)"')
HEX = re.compile(r"#([0-9a-fA-F]{6})\b")


def quoted_text(prompt: str) -> str | None:
    """The first double-quoted text of a prompt (what a lettering prompt asks to be written)."""
    match = QUOTED.search(prompt)
    return match.group(1) if match else None


def misspell(text: str) -> str:
    """A deterministic wrong spelling: the second letter of the longest word dropped ("SLE 50% OFF").

    Not a look-alike swap (0 for O): the OCR model reads those by context ("0FF" as "OFF"), so a
    swap would not be the wrong lettering the guard is shown to catch; see ogservice.lettering.spelling.
    """
    longest = max(text.split(), key=len)
    start = text.index(longest)
    cut = start + min(1, len(longest) - 1)
    return text[:cut] + text[cut + 1 :]


# A model's look-alike misspellings: one character lettered as another that looks like it.
LOOKALIKES = {
    "O": "0", "0": "O", "o": "0", "l": "1", "I": "1", "1": "l", "i": "l",
    "S": "5", "5": "S", "B": "8", "8": "B", "m": "rn", "Z": "2", "G": "6",
}  # fmt: skip


def lookalike(text: str) -> str:
    """A deterministic look-alike misspelling: the first character with a look-alike swapped for it
    ("SALE 50% OFF" -> "5ALE 50% OFF", "OFF" -> "0FF", "Summer" -> "Surnmer")."""
    for index, char in enumerate(text):
        if char in LOOKALIKES:
            return text[:index] + LOOKALIKES[char] + text[index + 1 :]
    raise ValueError(f"no character of {text!r} has a look-alike")


def wrong_lettering(text: str, mode: str | None) -> str:
    """The text as a model letters it: as asked, or misspelled the way an injected failure says."""
    if mode == "misspell":
        return misspell(text)
    if mode == "lookalike":
        return lookalike(text)
    return text


def ink_and_ground(prompt: str, transparent: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Colours as a model follows the prompt: the asked ink (#rrggbb) on the asked plain background."""
    if transparent:
        ground: tuple[int, ...] = (0, 0, 0, 0)
    elif "white background" in prompt:
        ground = (255, 255, 255, 255)
    elif "black background" in prompt:
        ground = (0, 0, 0, 255)
    else:
        ground = (40, 90, 200, 255)  # the emulators' usual flat colour
    if match := HEX.search(prompt):
        return (*(int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4)), 255), ground
    light_ground = not transparent and sum(ground[:3]) > 382
    return ((20, 20, 20, 255) if light_ground else (250, 250, 250, 255)), ground


def lettering_image(
    prompt: str, width: int, height: int, *, transparent: bool, wrong: str | None = None
) -> Image.Image | None:
    """The lettering a text model would draw for `prompt` (misspelled the `wrong` way: "misspell" or
    "lookalike"); None without quotes."""
    text = quoted_text(prompt)
    if text is None:
        return None
    ink, ground = ink_and_ground(prompt, transparent)
    return draw_lettering(wrong_lettering(text, wrong), width, height, ink=ink, ground=ground)


def font_path(text: str) -> tuple[Path, int]:
    for char in text:
        for (low, high), face in BY_SCRIPT:
            if low <= ord(char) <= high:
                return face
    return LATIN


def draw_lettering(
    text: str,
    width: int,
    height: int,
    *,
    ink: tuple[int, ...] = (250, 250, 250, 255),
    ground: Image.Image | tuple[int, ...] = (0, 0, 0, 0),
    face: tuple[Path, int] | None = None,
) -> Image.Image:
    """`text` centred, as large as fits ~80% of the width, wrapped onto lines, on `ground`."""
    canvas = (
        ground.convert("RGBA")
        if isinstance(ground, Image.Image)
        else Image.new("RGBA", (width, height), ground)
    )
    path, index = face or font_path(text)
    lines, font = fit_lines(text, str(path), index, width * 0.8, height * 0.7)
    ImageDraw.Draw(canvas).multiline_text(
        (width / 2, height / 2), "\n".join(lines), font=font, fill=ink, anchor="mm", align="center"
    )
    return canvas


def fit_lines(
    text: str, path: str, index: int, max_width: float, max_height: float
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """The largest size (from two thirds of the area's height down) at which the words wrap into it."""
    size = int(max_height / 1.5)
    while True:
        font = ImageFont.truetype(path, size=size, index=index)
        lines = wrap(text, font, max_width)
        fits = all(font.getlength(line) <= max_width for line in lines)
        if size <= 12 or (fits and len(lines) * size * 1.25 <= max_height):
            return lines, font
        size = int(size * 0.9)


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    """The image as a vendor sends it: PNG and WebP keep alpha, JPEG cannot."""
    buf = io.BytesIO()
    (image.convert("RGB") if fmt == "JPEG" else image).save(buf, fmt)
    return buf.getvalue()
