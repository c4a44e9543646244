"""Gemini image models on the Gemini API: exact wire fields, refusals, errors, cost and the real endpoint."""

from __future__ import annotations

import httpx
import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.gemini import GeminiProvider
from ogservice.gateway.providers.google_errors import google_error
from ogservice.gateway.request import ImageRequest
from tests.emulators.google import GeminiEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("google")
GENERATE = "/v1beta/models/{}:generateContent"


def provider(emulator: GeminiEmulator, api_key: str | None = "AIza-test") -> GeminiProvider:
    return emulated(GeminiProvider, emulator, api_key)


def sent_config(emulator: GeminiEmulator) -> dict:
    return emulator.requests[-1]["json"]["generationConfig"]


@pytest.mark.parametrize(
    ("size", "quality", "image_config", "pixels"),
    [
        ((1200, 630), "standard", {"aspectRatio": "16:9", "imageSize": "1K"}, (1344, 768)),
        ((1080, 1350), "high", {"aspectRatio": "4:5", "imageSize": "2K"}, (1792, 2304)),
        ((1024, 1024), "ultra", {"aspectRatio": "1:1", "imageSize": "2K"}, (2048, 2048)),
        ((2520, 1080), "draft", {"aspectRatio": "21:9", "imageSize": "1K"}, (1536, 672)),
    ],
)
def test_pro_model_gets_aspect_and_image_size(size, quality, image_config, pixels):
    emulator = GeminiEmulator()
    req = ImageRequest(prompt="a nano banana dish", width=size[0], height=size[1], quality=quality)
    image = provider(emulator).generate(req, SPECS["nano-banana-pro"])
    assert sent_config(emulator) == {"responseModalities": ["IMAGE"], "imageConfig": image_config}
    assert emulator.requests[-1]["json"]["contents"] == [
        {"role": "user", "parts": [{"text": "a nano banana dish"}]}
    ]
    assert emulator.requests[-1]["path"] == GENERATE.format("gemini-3-pro-image")
    assert (image.width, image.height) == pixels and image.produced == image_config["aspectRatio"]


@pytest.mark.parametrize("quality", ["draft", "standard", "high", "ultra"])
def test_flash_image_never_gets_image_size(quality):
    emulator = GeminiEmulator()
    req = ImageRequest(prompt="x", width=1080, height=1920, quality=quality)
    image = provider(emulator).generate(req, SPECS["nano-banana"])
    assert sent_config(emulator)["imageConfig"] == {"aspectRatio": "9:16"}
    assert (image.width, image.height) == (768, 1344)
    assert any("no imageSize" in n for n in image.notes) == (quality in ("high", "ultra"))


def test_the_final_image_is_chosen_over_thought_images():
    emulator = GeminiEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x"), SPECS["nano-banana-pro"])
    assert (image.width, image.height) == (1024, 1024)  # the emulator's thought image is 64x64


def test_seed_is_sent_and_reported():
    emulator = GeminiEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x", seed=42), SPECS["nano-banana"])
    assert sent_config(emulator)["seed"] == 42 and image.seed == 42


@pytest.mark.parametrize("model_id", ["nano-banana", "nano-banana-pro", "nano-banana-2"])
def test_cost_from_usage_matches_the_published_per_image_price(model_id):
    emulator = GeminiEmulator()
    model = SPECS[model_id]
    image = provider(emulator).generate(ImageRequest(prompt="x"), model)
    assert image.cost_usd == pytest.approx(model.price_for("standard"), rel=0.05)


def test_strict_mode_refuses_before_any_call_and_accepts_exact_ratios():
    emulator = GeminiEmulator()
    with pytest.raises(errors.StrictSizeError):
        provider(emulator).generate(
            ImageRequest(prompt="x", width=1200, height=630, strict=True), SPECS["nano-banana"]
        )
    assert emulator.requests == []
    image = provider(emulator).generate(
        ImageRequest(prompt="x", aspect_ratio="21:9", strict=True), SPECS["nano-banana"]
    )
    assert image.produced == "21:9" and image.notes == ()


def test_unsupported_options_are_dropped_and_noted():
    emulator = GeminiEmulator()
    req = ImageRequest(
        prompt="x", negative_prompt="blur", style="anime", steps=20, guidance=5, transparent=True
    )
    image = provider(emulator).generate(req, SPECS["nano-banana"])
    assert set(sent_config(emulator)) == {"responseModalities", "imageConfig"}
    for option in ("negative_prompt", "style", "steps", "guidance", "transparent"):
        assert f"{option} not supported by gemini-2.5-flash-image; dropped" in image.notes


@pytest.mark.parametrize(
    ("model", "body", "fragment"),
    [
        (
            "gemini-2.5-flash-image",
            {"contents": [{"parts": [{"text": "x"}]}], "extra": 1},
            'Unknown name "extra"',
        ),
        (
            "gemini-2.5-flash-image",
            {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"personGeneration": "allow_all"}},
            'Unknown name "personGeneration"',
        ),
        (
            "gemini-2.5-flash-image",
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {"imageSize": "2K"}},
            },
            "Image size is not supported",
        ),
        (
            "gemini-3-pro-image",
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"responseModalities": ["PICTURE"]},
            },
            "Invalid value at 'generation_config.response_modalities[0]'",
        ),
        (
            "gemini-3-pro-image",
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {"imageSize": "8K"}},
            },
            "Unsupported image size",
        ),
    ],
)
def test_emulator_rejects_what_gemini_rejects(model, body, fragment):
    emulator = GeminiEmulator()
    resp = emulator.client().post(GENERATE.format(model), json=body, headers={"x-goog-api-key": "k"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and fragment in error["message"]
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


@pytest.mark.parametrize(
    ("style", "code", "fragment"),
    [
        ("prompt", "PROHIBITED_CONTENT", "PROHIBITED_CONTENT"),
        ("image", "IMAGE_SAFETY", "IMAGE_SAFETY"),
        ("text", "STOP", "I can't create images of that"),
    ],
)
def test_every_200_without_an_image_is_a_refusal(style, code, fragment):
    emulator = GeminiEmulator()
    emulator.safety_style = style
    emulator.inject("safety")
    error = raised(provider(emulator), SPECS["nano-banana"], errors.ContentRefused)
    assert error.code == code and fragment in error.message and error.status == 200


def test_rate_limit_reads_retry_info_delay():
    emulator = GeminiEmulator()
    emulator.retry_delay = "13.5s"
    emulator.inject("rate_limit")
    error = raised(provider(emulator), SPECS["nano-banana"], errors.RateLimited)
    assert error.retry_after == 13.5 and error.code == "RESOURCE_EXHAUSTED"


def test_invalid_key_carries_the_error_info_reason():
    emulator = GeminiEmulator()
    emulator.inject("unauthorized")
    error = raised(provider(emulator), SPECS["nano-banana"], errors.RequestRejected)
    assert error.status == 400 and error.code == "API_KEY_INVALID"


def test_missing_key_is_refused_by_gemini_and_never_sent_by_the_adapter():
    emulator = GeminiEmulator()
    resp = emulator.client().post(GENERATE.format("gemini-2.5-flash-image"), json={"contents": []})
    assert resp.status_code == 403 and resp.json()["error"]["status"] == "PERMISSION_DENIED"
    raised(provider(emulator, api_key=None), SPECS["nano-banana"], errors.NotConfigured)


def test_shut_down_preview_id_surfaces_not_found_clearly():
    emulator = GeminiEmulator()
    preview = SPECS["nano-banana-pro"].model_copy(update={"vendor_model": "gemini-3-pro-image-preview"})
    error = raised(provider(emulator), preview, errors.RequestRejected)
    assert error.status == 404 and error.code == "NOT_FOUND"
    assert "models/gemini-3-pro-image-preview is not found" in error.message


def test_overload_is_unavailable_and_a_non_google_error_body_still_maps():
    emulator = GeminiEmulator()
    emulator.inject("server_error")
    error = raised(provider(emulator), SPECS["nano-banana"], errors.ProviderUnavailable)
    assert error.status == 503 and error.code == "UNAVAILABLE"
    html = httpx.Response(502, text="<html>bad gateway</html>")
    assert isinstance(google_error(html, "gemini"), errors.ProviderUnavailable)


def test_without_base_url_the_real_endpoint_and_api_key_header_are_used():
    request = real_request(
        GeminiProvider, ProviderConfig(name="gemini", api_key="AIza-real"), SPECS["nano-banana-pro"]
    )
    assert (
        str(request.url)
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-3-pro-image:generateContent"
    )
    assert request.headers["x-goog-api-key"] == "AIza-real"
    assert "key" not in request.url.params and "Authorization" not in request.headers
