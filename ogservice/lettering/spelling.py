"""The OCR spelling guard: read a lettering layer back and compare it with the text it must say.

Only differences that cannot change a word are forgiven: case, Unicode compatibility forms (NFKC),
the shape of quotes, apostrophes and dashes, and how much white space there is (a space still has
to separate two words where the text has one). Every letter, digit and other sign must match
exactly, so "SALE 5O% OOF" fails against "SALE 50% OFF": O and 0 are different characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from PIL import Image

from ogservice.lettering import ocr
from ogservice.lettering.lookalikes import ocr_can_confirm
from ogservice.lettering.scripts import ocr_can_read

# Below this the engine is unsure of a box; an unsure read never confirms a spelling.
MIN_CONFIDENCE = 0.80

_SHAPES = str.maketrans(
    {
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u3003\uff02", '"'),  # “ ” „ ‟ « » ″
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2039\u203a\u2032\u00b4\u0060", "'"),  # ‘ ’ ‚ ‛ ‹ › ′ ´ `
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc", "-"),  # hyphens, dashes, minus
    }
)
_SPACES = re.compile(r"\s+")
# A space only separates words between two letters or digits of a script that spaces its words:
# next to a sign ("50 %", "Hello , world") or inside Chinese or Japanese (written without spaces,
# where OCR splits a line into boxes) it cannot join or split a word.
_UNSPACED = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BY_SIGN = re.compile(rf" (?=[^\w ]|[{_UNSPACED}])|(?<=[^\w ]) |(?<=[{_UNSPACED}]) ")


@dataclass(frozen=True)
class Verdict:
    """Whether a lettering image says the expected text; `reason` is a stable code for reports.

    reason: "match" | "ocr-mismatch" | "ocr-unsure" | "ocr-no-text" | "ocr-unsupported-script"
    | "ocr-ambiguous".
    """

    ok: bool
    read: str
    reason: str
    detail: str = ""


def normalise(text: str) -> str:
    """The comparable form of a text: NFKC, shapes unified, case folded, spaces where words meet."""
    folded = unicodedata.normalize("NFKC", text).translate(_SHAPES).casefold()
    return _SPACE_BY_SIGN.sub("", _SPACES.sub(" ", folded).strip())


def compare(read: str, expected: str) -> Verdict:
    """Compare what OCR read with the expected text (no engine involved)."""
    if not read.strip():
        return Verdict(False, read, "ocr-no-text", "nothing legible in the lettering")
    got, want = normalise(read), normalise(expected)
    if got == want:
        return Verdict(True, read, "match")
    return Verdict(False, read, "ocr-mismatch", first_difference(got, want))


def first_difference(got: str, want: str) -> str:
    """A short human note on where two normalised texts part, for logs and reports."""
    got_words, want_words = got.split(" "), want.split(" ")
    for index, (seen, meant) in enumerate(zip(got_words, want_words, strict=False)):
        if seen != meant:
            return f"word {index + 1}: read {seen!r}, expected {meant!r}"
    if len(got_words) > len(want_words):
        return f"extra text {' '.join(got_words[len(want_words) :])!r}"
    return f"missing {' '.join(want_words[len(got_words) :])!r}"


def check_lettering(rgba: Image.Image, expected: str) -> Verdict:
    """Read the lettering layer (as it will be composited) and judge it against `expected`."""
    can_read, why = ocr_can_read(expected)
    if not can_read:
        return Verdict(False, "", "ocr-unsupported-script", why)
    can_confirm, why = ocr_can_confirm(expected)
    if not can_confirm:  # a read that matches would not prove the spelling (see lookalikes.py)
        return Verdict(False, "", "ocr-ambiguous", why)
    reading = ocr.read(matte(rgba))
    verdict = compare(reading.text, expected)
    if verdict.ok and reading.confidence < MIN_CONFIDENCE:
        return Verdict(False, reading.text, "ocr-unsure", f"confidence {reading.confidence:.2f}")
    return verdict


def matte(rgba: Image.Image) -> Image.Image:
    """The layer over white or black, whichever contrasts more with its ink, with a margin for OCR.

    The detector misses text that touches the image edge, and a transparent layer's hidden RGB
    values are arbitrary, so OCR must see the layer composited, as a card will show it.
    """
    layer = rgba.convert("RGBA")
    margin = max(16, layer.height // 4)
    ground = (0, 0, 0) if ink_luminance(layer) > 0.5 else (255, 255, 255)
    canvas = Image.new("RGB", (layer.width + 2 * margin, layer.height + 2 * margin), ground)
    canvas.paste(layer, (margin, margin), layer)
    return canvas


def ink_luminance(layer: Image.Image) -> float:
    """Alpha-weighted mean luma (0-1) of the layer's ink; 0 for an empty layer."""
    gray = layer.convert("L").histogram(mask=layer.getchannel("A").point(lambda a: 255 if a > 127 else 0))
    total = sum(gray)
    return sum(level * count for level, count in enumerate(gray)) / (255 * total) if total else 0.0
