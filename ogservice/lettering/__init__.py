"""Model lettering for text layers: the prompt, isolating the lettering, and the OCR spelling guard.

Stable interface (the layer pipeline builds on exactly these; no Flask, no gateway, no Redis):

    ocr_can_read(text: str) -> tuple[bool, str]
        Whether the shipped OCR model reads every character of `text` (pure Python, no model
        load). (False, why) means: never send this text to a lettering model; set it locally and
        report "ocr-unsupported-script" with `why`.

    ocr_can_confirm(text: str) -> tuple[bool, str]
        Whether OCR can tell the text from a look-alike misspelling of it (0 for O, I for l): (False,
        why) means the same as above, reported as "ocr-ambiguous" (see lookalikes.py).

    lettering_prompt(text: str, style: LetteringStyle, transparent: bool) -> str
        The deterministic prompt for one text layer. `transparent=False` asks for a flat solid
        background (white or black, whichever is farther from the ink) that `isolate` can key out.

    isolate(image_bytes: bytes) -> PIL.Image.Image
        The model's image as an RGBA layer trimmed to its ink: alpha kept when the model returned
        transparency, else keyed out of the plain background. Raises LetteringImageError (a
        ValueError) for bytes that are not an image or hold no ink.

    check_lettering(rgba: PIL.Image.Image, expected: str) -> Verdict
        Reads the layer back with the in-process OCR engine (loaded once per process, on first
        call, about 1 s and ~70 MB) and compares it with `expected` after NFKC and unifying case,
        white space and quote/dash shapes. Verdict(ok, read, reason, detail); reason is one of
        "match", "ocr-mismatch", "ocr-unsure", "ocr-no-text", "ocr-unsupported-script",
        "ocr-ambiguous".
        Only ok=True lettering may reach a card; anything else means local typesetting.

    fit_into_box(rgba, width, height, align="start", valign="center", direction="ltr") -> Image
        The layer scaled to fit (aspect kept) and placed in a transparent width x height RGBA image
        the way a text layer aligns its block (align: start | center | end; valign: top | center |
        bottom; "start" is the right edge for right-to-left text).

Typical use for one text layer (the OCR engine runs in the worker, not the web process):

    ok, why = ocr_can_read(text)              # in planning: no model call when not ok
    ok, why = ocr_can_confirm(text)           # likewise ("ocr-ambiguous")
    prompt = lettering_prompt(text, style, transparent=model_has_transparency)
    layer = isolate(model_image_bytes)        # LetteringImageError -> local layer
    verdict = check_lettering(layer, text)    # not verdict.ok -> local layer, record verdict.reason
    pixels = fit_into_box(layer, box_w, box_h, align, valign)
"""

from __future__ import annotations

from ogservice.lettering.isolate import LetteringImageError, fit_into_box, isolate
from ogservice.lettering.lookalikes import ocr_can_confirm
from ogservice.lettering.prompt import LetteringStyle, lettering_prompt
from ogservice.lettering.scripts import ocr_can_read
from ogservice.lettering.spelling import Verdict, check_lettering

__all__ = [
    "LetteringImageError",
    "LetteringStyle",
    "Verdict",
    "check_lettering",
    "fit_into_box",
    "isolate",
    "lettering_prompt",
    "ocr_can_confirm",
    "ocr_can_read",
]
