"""The Ideogram and OpenAI emulators letter the prompt's quoted text, and misspell it on demand.

Driven through the real adapters, as the layer pipeline will call them: what comes back is isolated
and read by the OCR guard.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ogservice.gateway.providers.ideogram import IdeogramProvider
from ogservice.gateway.providers.openai import OpenAIProvider
from ogservice.gateway.request import ImageRequest
from ogservice.lettering import (
    LetteringImageError,
    LetteringStyle,
    check_lettering,
    isolate,
    lettering_prompt,
)
from tests.emulators.ideogram import IdeogramEmulator
from tests.emulators.lettering import lookalike, misspell
from tests.emulators.openai import OpenAIEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs

TEXT = "SAVE 25% NEXT WEEK"  # no character whose look-alike OCR would accept (lookalikes.py)
VENDORS = {
    # model id: (adapter, emulator, catalog fragment, transparency asked)
    "ideogram-v3": (IdeogramProvider, IdeogramEmulator, "ideogram", True),
    "ideogram-v2-turbo": (IdeogramProvider, IdeogramEmulator, "ideogram", False),
    "gpt-image-1": (OpenAIProvider, OpenAIEmulator, "openai", True),
    "gpt-image-2": (OpenAIProvider, OpenAIEmulator, "openai", False),
}


def generate(model_id: str, prompt: str, inject: str | None = None) -> tuple[bytes, bool]:
    provider_cls, emulator_cls, fragment, transparent = VENDORS[model_id]
    emulator = emulator_cls()
    if inject:
        emulator.inject(inject)
    provider = emulated(provider_cls, emulator)
    request = ImageRequest(prompt=prompt, width=1200, height=630, transparent=transparent)
    image = provider.generate(request, fragment_specs(fragment)[model_id])
    return image.data, transparent


def lettering_for(model_id: str, inject: str | None = None) -> bytes:
    transparent = VENDORS[model_id][3]
    return generate(model_id, lettering_prompt(TEXT, LetteringStyle(color="#fff8e1"), transparent), inject)[0]


@pytest.mark.parametrize("model_id", VENDORS)
def test_emulated_lettering_is_confirmed_by_ocr(ocr_engine, model_id):
    verdict = check_lettering(isolate(lettering_for(model_id)), TEXT)
    assert verdict.ok, verdict


@pytest.mark.parametrize("model_id", VENDORS)
def test_misspell_failure_letters_a_wrong_spelling_that_ocr_refuses(ocr_engine, model_id):
    verdict = check_lettering(isolate(lettering_for(model_id, inject="misspell")), TEXT)
    assert (verdict.ok, verdict.reason) == (False, "ocr-mismatch")
    assert verdict.read.split() == misspell(TEXT).split()


@pytest.mark.parametrize("model_id", VENDORS)
def test_lookalike_failure_letters_a_lookalike_that_ocr_refuses(ocr_engine, model_id):
    verdict = check_lettering(isolate(lettering_for(model_id, inject="lookalike")), TEXT)
    assert (verdict.ok, verdict.reason) == (False, "ocr-mismatch")
    assert verdict.read.split() == lookalike(TEXT).split()  # "5AVE 25% NEXT WEEK"


def test_transparent_endpoint_returns_lettering_on_transparency():
    with Image.open(io.BytesIO(lettering_for("ideogram-v3"))) as image:
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)
        assert alpha.getpixel((0, 0)) == 0


def test_prompts_without_quoted_text_still_get_a_flat_image():
    data, _ = generate("gpt-image-2", "abstract teal shapes, no text")
    with pytest.raises(LetteringImageError, match="no ink"):
        isolate(data)


def test_misspell_drops_a_letter_of_the_longest_word():
    assert misspell("SALE 50% OFF") == "SLE 50% OFF"
    assert misspell("Hello World") == "Hllo World"
    assert misspell("\u590f\u5b63\u5927\u4fc3\u9500") == "\u590f\u5927\u4fc3\u9500"
