"""OpenAI adapter against its emulator: exact wire fields, sizes, dropped options and vendor failures."""

from __future__ import annotations

import base64

import httpx
import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.catalog import ModelSpec
from ogservice.gateway.providers.openai import OpenAIProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.base import png_bytes
from tests.emulators.openai import OpenAIEmulator, free_size_problem
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("openai")


def provider_for(emulator: OpenAIEmulator, key: str | None = "test-key", **client_kw) -> OpenAIProvider:
    return emulated(OpenAIProvider, emulator, key, client=emulator.client(**client_kw))


def generate(model_id: str, emulator: OpenAIEmulator | None = None, **req_kw):
    """Run one generation; returns (image, the JSON body the vendor received)."""
    emulator = emulator or OpenAIEmulator()
    image = provider_for(emulator).generate(ImageRequest(prompt="a lighthouse", **req_kw), SPECS[model_id])
    return image, emulator.requests[-1]["json"]


def raw_post(emulator: OpenAIEmulator, body: dict, key: str | None = "test-key") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with emulator.client() as client:
        return client.post("/v1/images/generations", json=body, headers=headers)


def test_catalog_fragment_lists_the_four_models_and_marks_dalle3_retired():
    assert set(SPECS) == {"dall-e-3", "gpt-image-1", "gpt-image-1.5", "gpt-image-2"}
    assert SPECS["dall-e-3"].retired and "2026-05-12" in SPECS["dall-e-3"].retired
    assert all(spec.provider == "openai" for spec in SPECS.values())


@pytest.mark.parametrize(
    ("model_id", "size", "quality", "want_size", "want_quality"),
    [
        ("gpt-image-1", (1200, 630), "draft", "1536x1024", "low"),
        ("gpt-image-1", (1024, 1024), "standard", "1024x1024", "medium"),
        ("gpt-image-1.5", (1080, 1920), "high", "1024x1536", "high"),
        ("gpt-image-1.5", (1024, 1024), "ultra", "1024x1024", "high"),
        ("dall-e-3", (1200, 630), "standard", "1792x1024", "standard"),
        ("dall-e-3", (1080, 1920), "high", "1024x1792", "hd"),
        ("dall-e-3", (1024, 1024), "draft", "1024x1024", "standard"),
    ],
)
def test_size_and_quality_fields_sent(model_id, size, quality, want_size, want_quality):
    image, body = generate(model_id, width=size[0], height=size[1], quality=quality)
    assert (body["size"], body["quality"], body["model"], body["n"]) == (want_size, want_quality, model_id, 1)
    assert f"{image.width}x{image.height}" == want_size == image.produced
    assert image.requested == f"{size[0]}x{size[1]}"


def test_gpt_models_get_only_gpt_fields_and_dalle_only_dalle_fields():
    _, gpt = generate("gpt-image-1")
    _, dalle = generate("dall-e-3")
    assert set(gpt) == {"model", "prompt", "n", "size", "quality", "output_format"}
    assert set(dalle) == {"model", "prompt", "n", "size", "quality", "response_format"}
    assert dalle["response_format"] == "b64_json"


@pytest.mark.parametrize(
    "size", [(1200, 630), (1080, 1920), (4096, 4096), (4096, 1024), (200, 200), (1000, 1001)]
)
def test_gpt_image_2_free_size_is_valid_and_keeps_orientation(size):
    image, body = generate("gpt-image-2", width=size[0], height=size[1])
    assert free_size_problem(body["size"]) is None
    w, h = (int(p) for p in body["size"].split("x"))
    assert (w, h) == (image.width, image.height)
    assert (w >= h) == (size[0] >= size[1])


def test_gpt_image_2_keeps_an_exact_multiple_of_16_size_without_a_note():
    image, body = generate("gpt-image-2", width=1280, height=720)
    assert body["size"] == "1280x720"
    assert not any(note.startswith("size") for note in image.notes)


def test_gpt_image_2_aspect_ratio_is_honoured():
    image, body = generate("gpt-image-2", aspect_ratio="16:9")
    w, h = (int(p) for p in body["size"].split("x"))
    assert abs(w / h - 16 / 9) < 0.02 and image.requested == "16:9"


def test_nearest_size_is_noted():
    image, _ = generate("gpt-image-1", width=1200, height=630)
    assert "size 1200x630 not supported by gpt-image-1; using 1536x1024" in image.notes


@pytest.mark.parametrize("model_id", ["gpt-image-1", "dall-e-3", "gpt-image-2"])
def test_strict_mode_refuses_without_calling_the_vendor(model_id):
    emulator = OpenAIEmulator()
    req = ImageRequest(prompt="x", width=1200, height=630, strict=True)
    with pytest.raises(errors.StrictSizeError) as info:
        provider_for(emulator).generate(req, SPECS[model_id])
    assert "1200x630" in str(info.value)
    assert emulator.requests == []


def test_strict_mode_accepts_an_exact_size():
    image, body = generate("gpt-image-1", width=1536, height=1024, strict=True)
    assert body["size"] == "1536x1024" and (image.width, image.height) == (1536, 1024)


def test_unsupported_options_are_dropped_and_noted():
    image, body = generate("gpt-image-1", negative_prompt="blur", seed=3, style="vivid", steps=20)
    assert not {"negative_prompt", "seed", "style", "steps"} & set(body)
    for name in ("negative_prompt", "seed", "style", "steps"):
        assert f"{name} not supported by gpt-image-1; dropped" in image.notes


def test_dalle3_keeps_its_style_and_drops_transparency():
    image, body = generate("dall-e-3", style="Natural", transparent=True)
    assert body["style"] == "natural" and "background" not in body
    assert "transparent not supported by dall-e-3; dropped" in image.notes


def test_dalle3_prompt_over_4000_chars_is_truncated_and_noted():
    emulator = OpenAIEmulator()
    image = provider_for(emulator).generate(ImageRequest(prompt="a" * 5000), SPECS["dall-e-3"])
    assert len(emulator.requests[-1]["json"]["prompt"]) == 4000
    assert any("truncated" in note for note in image.notes)


def test_transparent_background_on_gpt_image_1_but_not_gpt_image_2():
    _, body = generate("gpt-image-1", transparent=True)
    assert (body["background"], body["output_format"]) == ("transparent", "png")
    image, body2 = generate("gpt-image-2", transparent=True)
    assert "background" not in body2 and "transparent not supported by gpt-image-2; dropped" in image.notes


def test_revised_prompt_is_reported_for_dalle3():
    image, _ = generate("dall-e-3")
    assert any(note.startswith("revised prompt: ") for note in image.notes)


@pytest.mark.parametrize("model_id", ["gpt-image-1", "gpt-image-1.5"])
def test_cost_from_reported_tokens_matches_published_price(model_id):
    image, _ = generate(model_id, quality="standard")
    assert image.cost_usd == pytest.approx(SPECS[model_id].price_for("standard"), rel=0.05)


def test_dalle3_reports_no_usage_so_no_cost():
    image, _ = generate("dall-e-3")
    assert image.cost_usd is None


# --- the emulator validates like the vendor ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "gpt-image-1", "prompt": "x", "seed": 1}, "seed", "unknown_parameter"),
        (
            {"model": "gpt-image-1", "prompt": "x", "response_format": "url"},
            "response_format",
            "unknown_parameter",
        ),
        ({"model": "gpt-image-1", "prompt": "x", "style": "vivid"}, "style", "unknown_parameter"),
        (
            {"model": "dall-e-3", "prompt": "x", "background": "transparent"},
            "background",
            "unknown_parameter",
        ),
        ({"model": "gpt-image-1", "prompt": "x", "quality": "hd"}, "quality", "invalid_value"),
        ({"model": "dall-e-3", "prompt": "x", "size": "1536x1024"}, "size", "invalid_value"),
        ({"model": "gpt-image-2", "prompt": "x", "size": "1000x1000"}, "size", "invalid_value"),
        ({"model": "dall-e-3", "prompt": "x", "n": 2}, "n", "invalid_value"),
    ],
)
def test_emulator_rejects_fields_the_model_does_not_accept(body, param, code):
    resp = raw_post(OpenAIEmulator(), body)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert error["message"]


def test_emulator_requires_a_bearer_key():
    resp = raw_post(OpenAIEmulator(), {"model": "gpt-image-1", "prompt": "x"}, key=None)
    assert resp.status_code == 401 and "API key" in resp.json()["error"]["message"]
    resp = raw_post(OpenAIEmulator(), {"model": "gpt-image-1", "prompt": "x"}, key="wrong")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"


def test_unknown_field_rejection_surfaces_as_request_rejected_with_param():
    spec = SPECS["gpt-image-1"].model_copy(update={"options": {"style": "vivid"}})
    error = raised(provider_for(OpenAIEmulator()), spec, errors.RequestRejected)
    assert (error.status, error.code) == (400, "unknown_parameter")
    assert "style" in error.message


# --- vendor-specific failures ------------------------------------------------------------------------


def test_retired_dalle3_surfaces_model_not_found_clearly():
    emulator = OpenAIEmulator(retired=True)
    error = raised(provider_for(emulator), SPECS["dall-e-3"], errors.RequestRejected)
    assert (error.status, error.code, error.provider) == (404, "model_not_found", "openai")
    assert "retired" in str(error) and "dall-e-3" in str(error)
    assert not isinstance(error, errors.ContentRefused)


def test_retired_flag_leaves_gpt_models_working():
    image, _ = generate("gpt-image-1", OpenAIEmulator(retired=True))
    assert image.width == 1024


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"x-ratelimit-reset-requests": "6m0s"}, 360.0),
        ({"x-ratelimit-reset-requests": "20ms", "x-ratelimit-reset-tokens": "1m30s"}, 90.0),
        ({}, None),
    ],
)
def test_rate_limit_reads_the_vendor_retry_signal(headers, seconds):
    emulator = OpenAIEmulator()
    emulator.rate_limit_headers = headers
    emulator.inject("rate_limit")
    error = raised(provider_for(emulator), SPECS["gpt-image-1"], errors.RateLimited)
    assert error.retry_after == seconds
    assert error.code == "rate_limit_exceeded"


def test_exhausted_quota_is_not_a_rate_limit():
    resp = httpx.Response(
        429,
        json={
            "error": {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        },
        request=httpx.Request("POST", "https://api.openai.com/v1/images/generations"),
    )
    error = OpenAIProvider(ProviderConfig(name="openai", api_key="k")).error_for(resp)
    assert type(error) is errors.RequestRejected and error.code == "insufficient_quota"


@pytest.mark.parametrize(
    ("model_id", "code"), [("dall-e-3", "content_policy_violation"), ("gpt-image-1", "moderation_blocked")]
)
def test_safety_blocks_are_content_refused_with_the_vendor_code(model_id, code):
    emulator = OpenAIEmulator()
    emulator.inject("safety")
    error = raised(provider_for(emulator), SPECS[model_id], errors.ContentRefused)
    assert (error.status, error.code) == (400, code)


def test_a_200_without_images_is_content_refused():
    provider = OpenAIProvider(ProviderConfig(name="openai", api_key="k"))
    resp = httpx.Response(200, json={"created": 1, "data": []}, request=httpx.Request("POST", "https://x/v1"))
    with pytest.raises(errors.ContentRefused):
        provider.parse_response(resp, ImageRequest(prompt="x"), SPECS["gpt-image-1"])


@pytest.mark.parametrize("kind", ["malformed", "not_image"])
def test_bad_bodies_are_bad_response(kind):
    emulator = OpenAIEmulator()
    emulator.inject(kind)
    raised(provider_for(emulator), SPECS["gpt-image-1"], errors.BadResponse)


def test_server_error_is_provider_unavailable_with_the_vendor_message():
    emulator = OpenAIEmulator()
    emulator.inject("server_error")
    error = raised(provider_for(emulator), SPECS["gpt-image-1"], errors.ProviderUnavailable)
    assert error.status == 500 and "server had an error" in error.message


def url_spec() -> ModelSpec:
    return SPECS["dall-e-3"].model_copy(update={"options": {"response_format": "url"}})


def test_dalle3_url_response_is_fetched_without_the_api_key():
    sent: list[httpx.Request] = []
    emulator = OpenAIEmulator()
    provider = provider_for(emulator, event_hooks={"request": [sent.append]})
    image = provider.generate(ImageRequest(prompt="x", width=1792, height=1024), url_spec())
    assert [r.method for r in sent] == ["POST", "GET"]
    assert "authorization" not in sent[1].headers and sent[0].headers["authorization"] == "Bearer test-key"
    assert (image.width, image.height) == (1792, 1024)
    assert any(note.startswith("revised prompt") for note in image.notes)


def test_expired_image_url_is_bad_response():
    emulator = OpenAIEmulator()
    emulator.inject("expired_url")
    error = raised(provider_for(emulator), url_spec(), errors.BadResponse)
    assert error.status == 403 and "expired" in error.message


# --- real vendor -------------------------------------------------------------------------------------


def test_without_base_url_the_real_vendor_is_called_with_bearer_auth():
    request = real_request(
        OpenAIProvider, ProviderConfig(name="openai", api_key="sk-real"), SPECS["gpt-image-1"]
    )
    assert str(request.url) == "https://api.openai.com/v1/images/generations"
    assert request.headers["authorization"] == "Bearer sk-real"
    assert request.headers["content-type"] == "application/json"


def test_sdk_style_base_url_with_v1_is_not_doubled():
    provider = OpenAIProvider(
        ProviderConfig(name="openai", api_key="k", base_url="https://proxy.example/v1/")
    )
    request = provider.build_request(ImageRequest(prompt="x"), SPECS["gpt-image-1"])
    assert str(request.url) == "https://proxy.example/v1/images/generations"


def test_missing_key_is_not_configured():
    provider = OpenAIProvider(ProviderConfig(name="openai"))
    with pytest.raises(errors.NotConfigured):
        provider.build_request(ImageRequest(prompt="x"), SPECS["gpt-image-1"])


def test_a_garbled_usage_block_never_fails_the_call():
    body = {
        "data": [{"b64_json": base64.b64encode(png_bytes(64, 64)).decode()}],
        "usage": {"input_tokens": None},
    }
    resp = httpx.Response(200, json=body, request=httpx.Request("POST", "https://api.openai.com/v1/x"))
    provider = OpenAIProvider(ProviderConfig(name="openai", api_key="k"))
    image = provider.parse_response(resp, ImageRequest(prompt="x"), SPECS["gpt-image-1"])
    assert image.width == 64 and image.cost_usd == 0.0
