"""Stability SD3.5 on v2beta: multipart fields, both response forms, safety, lock-out, real endpoint."""

from __future__ import annotations

import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.stability import StabilityProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.stability import PATH, StabilityEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("stability")
AUTH = {"Authorization": "Bearer sk-test"}


def provider(emulator: StabilityEmulator, api_key: str | None = "sk-test") -> StabilityProvider:
    return emulated(StabilityProvider, emulator, api_key)


def sent_form(emulator: StabilityEmulator) -> dict[str, str]:
    return emulator.requests[-1]["form"]


@pytest.mark.parametrize(
    ("size", "quality", "aspect", "pixels"),
    [
        ((1200, 630), "draft", "16:9", (1344, 768)),
        ((1080, 1920), "standard", "9:16", (768, 1344)),
        ((2100, 900), "high", "21:9", (1536, 640)),
        ((1024, 1024), "ultra", "1:1", (1024, 1024)),
        ((1080, 1350), "standard", "4:5", (896, 1088)),
    ],
)
def test_form_fields_for_sizes_and_qualities(size, quality, aspect, pixels):
    emulator = StabilityEmulator()
    req = ImageRequest(prompt="a lighthouse", width=size[0], height=size[1], quality=quality)
    image = provider(emulator).generate(req, SPECS["sd3.5-large"])
    assert sent_form(emulator) == {
        "prompt": "a lighthouse",
        "model": "sd3.5-large",
        "aspect_ratio": aspect,
        "output_format": "png",
    }
    assert (image.width, image.height) == pixels and image.produced == aspect


def test_request_is_multipart_with_bearer_and_image_accept():
    emulator = StabilityEmulator()
    provider(emulator).generate(ImageRequest(prompt="x"), SPECS["sd3.5-medium"])
    headers = emulator.requests[-1]["headers"]
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert headers["Accept"] == "image/*" and headers["Authorization"] == "Bearer sk-test"
    assert emulator.requests[-1]["path"] == PATH and emulator.requests[-1]["files"] == []


def test_negative_prompt_goes_to_large_but_is_dropped_for_turbo():
    emulator = StabilityEmulator()
    req = ImageRequest(prompt="x", negative_prompt="blurry")
    provider(emulator).generate(req, SPECS["sd3.5-large"])
    assert sent_form(emulator)["negative_prompt"] == "blurry"
    image = provider(emulator).generate(req, SPECS["sd3.5-large-turbo"])
    assert "negative_prompt" not in sent_form(emulator)
    assert "negative_prompt not supported by sd3.5-large-turbo; dropped" in image.notes


def test_guidance_style_and_seed_map_to_stability_fields():
    emulator = StabilityEmulator()
    req = ImageRequest(prompt="x", guidance=4.5, style="cinematic", seed=1234)
    image = provider(emulator).generate(req, SPECS["sd3.5-medium"])
    form = sent_form(emulator)
    assert (form["cfg_scale"], form["style_preset"], form["seed"]) == ("4.5", "cinematic", "1234")
    assert image.seed == 1234 and image.notes == ()


def test_out_of_range_guidance_is_clamped_and_unknown_options_are_noted():
    emulator = StabilityEmulator()
    req = ImageRequest(prompt="x", guidance=15, style="watercolour", steps=40, transparent=True)
    image = provider(emulator).generate(req, SPECS["sd3.5-large"])
    form = sent_form(emulator)
    assert form["cfg_scale"] == "10" and "style_preset" not in form and "steps" not in form
    assert any("cfg_scale 1-10; using 10" in n for n in image.notes)
    assert any("'watercolour' is not a sd3.5-large style_preset" in n for n in image.notes)
    assert "steps not supported by sd3.5-large; dropped" in image.notes
    assert "transparent not supported by sd3.5-large; dropped" in image.notes


def test_seed_chosen_by_stability_is_reported_from_the_header():
    emulator = StabilityEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x"), SPECS["sd3.5-large"])
    assert "seed" not in sent_form(emulator)
    assert isinstance(image.seed, int) and image.seed > 0


def test_strict_mode_refuses_before_any_call():
    emulator = StabilityEmulator()
    with pytest.raises(errors.StrictSizeError):
        provider(emulator).generate(
            ImageRequest(prompt="x", width=1200, height=630, strict=True), SPECS["sd3.5-large"]
        )
    assert emulator.requests == []
    image = provider(emulator).generate(
        ImageRequest(prompt="x", aspect_ratio="9:21", strict=True), SPECS["sd3.5-large"]
    )
    assert image.produced == "9:21" and image.width < image.height


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"prompt": "x", "steps": "30"}, "steps: is not allowed"),
        ({"prompt": "x", "output_format": "webp"}, "output_format: must be one of"),
        (
            {"prompt": "x", "model": "sd3.5-large-turbo", "negative_prompt": "y"},
            "negative_prompt: not supported",
        ),
        ({"prompt": "x", "cfg_scale": "12"}, "cfg_scale: must be a number between 1 and 10"),
        ({"prompt": ""}, "prompt: cannot be empty"),
    ],
)
def test_emulator_rejects_what_stability_rejects(fields, fragment):
    emulator = StabilityEmulator()
    files = [(k, (None, v)) for k, v in fields.items()]
    resp = emulator.client().post(PATH, files=files, headers={**AUTH, "Accept": "image/*"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["name"] == "bad_request" and body["id"] and any(fragment in e for e in body["errors"])


def test_emulator_requires_multipart_and_a_key():
    emulator = StabilityEmulator()
    resp = emulator.client().post(PATH, json={"prompt": "x"}, headers=AUTH)
    assert resp.status_code == 400 and "multipart/form-data" in resp.json()["errors"][0]
    resp = emulator.client().post(PATH, files=[("prompt", (None, "x"))])
    assert resp.status_code == 401 and resp.json()["name"] == "unauthorized"


def test_json_accept_form_is_parsed_too():
    emulator = StabilityEmulator()
    resp = emulator.client().post(
        PATH,
        files=[("prompt", (None, "x")), ("aspect_ratio", (None, "16:9")), ("seed", (None, "9"))],
        headers={**AUTH, "Accept": "application/json"},
    )
    assert resp.headers["content-type"].startswith("application/json")
    stability = provider(emulator)
    req = ImageRequest(prompt="x", aspect_ratio="16:9")
    image = stability.parse_response(resp, req, SPECS["sd3.5-large"])
    assert (image.width, image.height, image.seed) == (1344, 768, 9)


@pytest.mark.parametrize(
    ("style", "status", "code"),
    [("moderation", 403, "content_moderation"), ("filtered", 200, "CONTENT_FILTERED")],
)
def test_both_safety_answers_are_refusals(style, status, code):
    emulator = StabilityEmulator()
    emulator.safety_style = style
    emulator.inject("safety")
    error = raised(provider(emulator), SPECS["sd3.5-large"], errors.ContentRefused)
    assert (error.status, error.code) == (status, code)


def test_rate_limit_waits_out_the_fixed_sixty_second_lockout():
    emulator = StabilityEmulator()
    emulator.inject("rate_limit")
    error = raised(provider(emulator), SPECS["sd3.5-large-turbo"], errors.RateLimited)
    assert error.retry_after == 60.0 and error.code == "rate_limit_exceeded"
    assert "timed out for 60 seconds" in error.message


def test_missing_key_is_never_sent():
    emulator = StabilityEmulator()
    raised(provider(emulator, api_key=None), SPECS["sd3.5-large"], errors.NotConfigured)
    assert emulator.requests == []


def test_without_base_url_the_real_endpoint_and_bearer_key_are_used():
    request = real_request(
        StabilityProvider, ProviderConfig(name="stability", api_key="sk-real"), SPECS["sd3.5-large"]
    )
    assert str(request.url) == "https://api.stability.ai/v2beta/stable-image/generate/sd3"
    assert request.headers["Authorization"] == "Bearer sk-real" and request.headers["Accept"] == "image/*"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
