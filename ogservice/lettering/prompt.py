"""The prompt that asks a text-specialist model for one text layer's lettering.

Short and deterministic (the same layer gives the same prompt, so the layer cache can share it):
the exact text in double quotes, the style the template gives the layer, the background to draw
on, and "no other text" so the OCR check has only the quoted words to find.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogservice.cards.color import RGB, parse_color, relative_luminance, to_hex

FAMILIES = {
    "sans": "sans-serif",
    "serif": "serif",
    "display": "display serif",
    "mono": "monospaced",
}
WEIGHTS = ((300, "light"), (500, "regular"), (650, "semibold"), (800, "bold"), (1000, "black"))


@dataclass(frozen=True)
class LetteringStyle:
    """What the template says about a text layer's look; every field is optional."""

    family: str = "sans"  # a template family alias: sans | serif | display | mono (else used as is)
    weight: int = 700
    color: str = ""  # "#RRGGBB" of the ink, when the card knows it
    palette: str = ""  # theme name, e.g. "sunset", as a colour mood
    uppercase: bool = False


def weight_word(weight: int) -> str:
    return next(word for limit, word in WEIGHTS if weight <= limit)


def lettering_prompt(text: str, style: LetteringStyle, transparent: bool) -> str:
    """The prompt for `text` in `style`; a flat solid background when the model has no transparency."""
    quoted = quote(text.upper() if style.uppercase else text)
    typeface = f"{weight_word(style.weight)} {FAMILIES.get(style.family, style.family)}"
    parts = [f"Typography only: the exact text {quoted}, lettered in a clean {typeface} typeface"]
    ink = ink_color(style.color)
    if ink:
        parts.append(f"in {to_hex(ink)}")
    if style.palette:
        parts.append(f"in a {style.palette} colour mood")
    parts.append(f"on {background_words(ink, transparent)}")
    return " ".join(parts) + ". No other text, letters, logos or decoration; spell it exactly."


def quote(text: str) -> str:
    """The text in ASCII double quotes; quotes inside it become curly so the quoting stays unambiguous.

    The spelling guard treats quote shapes as equal, so the curly quotes still match the text.
    """
    inner = " ".join(text.split())
    curly = []
    opening = True
    for char in inner:
        if char == '"':
            curly.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            curly.append(char)
    return '"' + "".join(curly) + '"'


def ink_color(value: str) -> RGB | None:
    try:
        return parse_color(value) if value else None
    except ValueError:
        return None


def background_words(ink: RGB | None, transparent: bool) -> str:
    """A background the lettering can be keyed out of: as far from the ink as possible."""
    if transparent:
        return "a transparent background"
    dark_ink = ink is None or relative_luminance(ink) < 0.4
    return "a flat solid white background" if dark_ink else "a flat solid black background"
