"""Characters whose look-alike misspellings the OCR model reads as the right character.

The recogniser reads a glyph partly by its neighbours: a model's "0FF" comes back as "OFF", "5O%"
as "50%", "l0" as "10", "HeIlo" as "Hello" (I and l are the same stroke in most sans faces), and
"Hell0" as "HellO", which the case-blind comparison then accepts. For text holding one of these
characters a matching read proves nothing, and no second read fixes that (a read of each glyph on
its own, without neighbours, measured far worse than the misreads it would catch), so such text is
never sent to a lettering model: it is set locally and reported as "ocr-ambiguous".

Measured with the emulators' lettering (Inter Bold, light on red and dark on white; see
tests/lettering/test_lookalikes.py): O/o/0, I/i/l/1 misspellings passed the guard in both colour
schemes; 5 for S, 8 for B, 2 for Z, 6 for G, 1 for i or l inside a word, rn for m, vv for w were
all read as written and refused.
"""

from __future__ import annotations

import unicodedata

# Each character whose look-alike misspelling OCR reads as it, with those look-alikes.
ABSORBED: dict[str, str] = {
    "O": "0",
    "o": "0",
    "0": "Oo",
    "1": "lI",
    "I": "l1",
    "i": "l",
    "l": "I",
}


def ocr_can_confirm(text: str) -> tuple[bool, str]:
    """(True, "") when a look-alike misspelling of `text` would be read as written; else (False, why)."""
    normal = unicodedata.normalize("NFKC", text)
    risky = sorted({char for char in normal if char in ABSORBED})
    if not risky:
        return True, ""
    shown = ", ".join(repr(char) for char in risky)
    return False, f"OCR reads look-alikes of {shown} as those characters, so it cannot confirm the spelling"
