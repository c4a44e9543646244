"""Which texts the shipped OCR model reads reliably, decided from the characters alone (no model load).

Text it cannot read is never sent to a lettering model: the spelling guard could not confirm it, so
the layer is set locally and reported as "ocr-unsupported-script". The table is measured, not
assumed: bench/lettering_scripts.py renders every candidate character with the bundled fonts and
reads it back (figures in its docstring).
"""

from __future__ import annotations

import unicodedata

# Ranges of code points read reliably (inclusive), by script.
READABLE_RANGES: tuple[tuple[str, int, int], ...] = (
    ("Latin", 0x0020, 0x007E),  # ASCII letters, digits, punctuation
    ("Latin", 0x00A1, 0x00FF),  # Latin-1 signs and accented letters (exceptions below)
    ("Latin", 0x0100, 0x017F),  # Latin Extended-A: Central European letters
    ("Latin", 0x2010, 0x2026),  # dashes, quotes, bullet, ellipsis
    ("Latin", 0x20AC, 0x20AC),  # euro sign
    ("Han", 0x3000, 0x303F),  # CJK punctuation
    ("Kana", 0x3041, 0x30FF),  # hiragana and katakana
    ("Han", 0x4E00, 0x9FFF),  # CJK unified ideographs
    ("Han", 0xFF01, 0xFF5E),  # fullwidth forms (NFKC makes them ASCII)
)
# Letters inside those ranges the model reads as something else (measured): Æ/æ come back as "AE",
# Œ/œ as "OE", Ð/ð/Þ/þ as other letters; accepting them would have to accept the misreading too.
UNREADABLE = frozenset("ÆæŒœÐðÞþ")


def script_of(char: str) -> str:
    """A short script name for reports, from the character's Unicode name ("Cyrillic", "Arabic")."""
    name = unicodedata.name(char, "")
    return name.split(" ")[0].title() if name else f"U+{ord(char):04X}"


def readable(char: str) -> bool:
    if char.isspace():
        return True
    code = ord(char)
    return char not in UNREADABLE and any(low <= code <= high for _, low, high in READABLE_RANGES)


def ocr_can_read(text: str) -> tuple[bool, str]:
    """(True, "") when the OCR model reads every character of `text`; else (False, why)."""
    if not text.strip():
        return False, "no text to letter"
    normal = unicodedata.normalize("NFC", text)
    unreadable = sorted({char for char in normal if not readable(char)})
    if not unreadable:
        return True, ""
    scripts = sorted({script_of(char) for char in unreadable})
    shown = "".join(unreadable[:8])
    return False, f"the OCR model cannot read {', '.join(scripts)} text ({shown!r})"
