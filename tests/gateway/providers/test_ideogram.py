"""Ideogram adapter against its emulator: wire fields, endpoints, dropped options and vendor failures."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.ideogram import IdeogramProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.ideogram import IdeogramEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("ideogram")
LEGACY = ["ideogram-v1-turbo", "ideogram-v2", "ideogram-v2-turbo", "ideogram-v2a", "ideogram-v2a-turbo"]


def provider_for(emulator: IdeogramEmulator, key: str | None = "test-key", **client_kw) -> IdeogramProvider:
    provider = emulated(IdeogramProvider, emulator, key, client=emulator.client(**client_kw))
    provider.sleep = lambda seconds: None
    return provider


def generate(model_id: str, emulator: IdeogramEmulator | None = None, **req_kw):
    """Run one generation; returns (image, what the vendor received: path and fields)."""
    emulator = emulator or IdeogramEmulator()
    image = provider_for(emulator).generate(
        ImageRequest(prompt="a poster that says HELLO", **req_kw), SPECS[model_id]
    )
    seen = emulator.requests[-1]
    fields = (
        seen["json"]["image_request"] if seen["path"] == "/generate" else seen.get("form", seen.get("json"))
    )
    return image, seen["path"], fields


def post(emulator: IdeogramEmulator, path: str, key: str | None = "test-key", **kw) -> httpx.Response:
    headers = {"Api-Key": key} if key else {}
    with emulator.client() as client:
        return client.post(path, headers=headers, **kw)


def test_catalog_fragment_maps_ids_to_vendor_models():
    assert {s.id: s.vendor_model for s in SPECS.values()} == {
        "ideogram-v1-turbo": "V_1_TURBO",
        "ideogram-v2": "V_2",
        "ideogram-v2-turbo": "V_2_TURBO",
        "ideogram-v2a": "V_2A",
        "ideogram-v2a-turbo": "V_2A_TURBO",
        "ideogram-v3": "V_3",
    }
    assert SPECS["ideogram-v3"].capabilities.transparency
    assert not any(SPECS[m].capabilities.transparency for m in LEGACY)


@pytest.mark.parametrize("model_id", LEGACY)
@pytest.mark.parametrize(
    ("size", "aspect", "resolution"),
    [
        ((1200, 630), "ASPECT_16_9", (1312, 736)),
        ((1080, 1920), "ASPECT_9_16", (736, 1312)),
        ((800, 800), "ASPECT_1_1", (1024, 1024)),
    ],
)
def test_legacy_sends_the_nearest_aspect_in_an_image_request(model_id, size, aspect, resolution):
    image, path, fields = generate(model_id, width=size[0], height=size[1], seed=42)
    assert path == "/generate"
    assert fields == {
        "prompt": "a poster that says HELLO",
        "model": SPECS[model_id].vendor_model,
        "aspect_ratio": aspect,
        "magic_prompt_option": "OFF",
        "num_images": 1,
        "seed": 42,
    }
    assert (image.width, image.height) == resolution and image.produced == "{}x{}".format(*resolution)
    assert image.requested == f"{size[0]}x{size[1]}" and image.seed == 42


@pytest.mark.parametrize(
    ("quality", "speed"),
    [("draft", "FLASH"), ("standard", "DEFAULT"), ("high", "QUALITY"), ("ultra", "QUALITY")],
)
def test_v3_is_multipart_with_rendering_speed_per_quality(quality, speed):
    emulator = IdeogramEmulator()
    image, path, fields = generate("ideogram-v3", emulator, width=1200, height=630, quality=quality)
    assert path == "/v1/ideogram-v3/generate"
    assert emulator.requests[-1]["headers"]["Content-Type"].startswith("multipart/form-data")
    assert fields == {
        "prompt": "a poster that says HELLO",
        "aspect_ratio": "2x1",
        "rendering_speed": speed,
        "magic_prompt": "OFF",
        "num_images": "1",
    }
    assert (image.width, image.height) == (1408, 704)


def test_v3_transparent_uses_the_transparent_endpoint_and_returns_alpha():
    image, path, fields = generate("ideogram-v3", transparent=True, quality="high")
    assert path == "/v1/ideogram-v3/generate-transparent"
    assert fields["rendering_speed"] == "QUALITY"
    with Image.open(io.BytesIO(image.data)) as img:
        assert img.mode == "RGBA" and img.getextrema()[3] == (0, 0)


def test_v3_transparent_draft_runs_at_turbo_and_says_so():
    image, _, fields = generate("ideogram-v3", transparent=True, quality="draft")
    assert fields["rendering_speed"] == "TURBO"
    assert "rendering_speed FLASH not offered for transparent images; using TURBO" in image.notes


def test_legacy_transparency_and_quality_are_noted_not_sent():
    image, path, fields = generate("ideogram-v2", transparent=True, quality="high")
    assert path == "/generate" and "rendering_speed" not in fields
    assert "transparent not supported by V_2; dropped" in image.notes
    assert "quality high not adjustable on V_2; ignored" in image.notes


@pytest.mark.parametrize(
    ("model_id", "sent"),
    [
        ("ideogram-v2", True),
        ("ideogram-v1-turbo", True),
        ("ideogram-v2a", False),
        ("ideogram-v2a-turbo", False),
        ("ideogram-v3", True),
    ],
)
def test_negative_prompt_only_where_the_model_accepts_it(model_id, sent):
    image, _, fields = generate(model_id, negative_prompt="blurry text")
    assert ("negative_prompt" in fields) is sent
    note = f"negative_prompt not supported by {SPECS[model_id].vendor_model}; dropped"
    assert (note in image.notes) is not sent


@pytest.mark.parametrize(
    ("model_id", "style", "style_type"),
    [
        ("ideogram-v2", "design", "DESIGN"),
        ("ideogram-v2a", "Render 3D", "RENDER_3D"),
        ("ideogram-v3", "fiction", "FICTION"),
        ("ideogram-v3", "anime", None),
        ("ideogram-v1-turbo", "design", None),
        ("ideogram-v2", "watercolor", None),
    ],
)
def test_style_type_sent_only_when_the_model_knows_it(model_id, style, style_type):
    image, _, fields = generate(model_id, style=style)
    assert fields.get("style_type") == style_type
    assert any(note.startswith(f"style {style!r}") for note in image.notes) is (style_type is None)


def test_steps_and_guidance_are_dropped_with_notes():
    image, _, fields = generate("ideogram-v3", steps=30, guidance=7.5)
    assert not {"steps", "guidance"} & set(fields)
    assert {"steps not supported by V_3; dropped", "guidance not supported by V_3; dropped"} <= set(
        image.notes
    )


def test_nearest_aspect_is_noted():
    image, _, _ = generate("ideogram-v2", width=1200, height=630)
    assert "size 1200x630 not supported by ideogram-v2; using ASPECT_16_9" in image.notes


@pytest.mark.parametrize("model_id", ["ideogram-v2", "ideogram-v3"])
def test_strict_mode_refuses_an_inexact_aspect_without_calling(model_id):
    emulator = IdeogramEmulator()
    with pytest.raises(errors.StrictSizeError):
        provider_for(emulator).generate(
            ImageRequest(prompt="x", width=1200, height=630, strict=True), SPECS[model_id]
        )
    assert emulator.requests == []


def test_strict_mode_accepts_an_exact_aspect():
    image, _, fields = generate("ideogram-v3", aspect_ratio="16:9", strict=True)
    assert fields["aspect_ratio"] == "16x9" and image.requested == "16:9"


def test_vendor_prompt_rewrite_is_reported():
    spec = SPECS["ideogram-v2"].model_copy(update={"options": {"magic_prompt_option": "ON"}})
    emulator = IdeogramEmulator()
    image = provider_for(emulator).generate(ImageRequest(prompt="hello"), spec)
    assert emulator.requests[-1]["json"]["image_request"]["magic_prompt_option"] == "ON"
    assert any(note.startswith("prompt rewritten by the vendor: ") for note in image.notes)


def test_the_image_url_is_fetched_without_the_api_key():
    sent: list[httpx.Request] = []
    emulator = IdeogramEmulator()
    provider_for(emulator, event_hooks={"request": [sent.append]}).generate(
        ImageRequest(prompt="x"), SPECS["ideogram-v3"]
    )
    assert [r.method for r in sent] == ["POST", "GET"]
    assert sent[0].headers["api-key"] == "test-key" and "api-key" not in sent[1].headers


def test_seed_chosen_by_the_vendor_is_reported():
    image, _, fields = generate("ideogram-v2")
    assert "seed" not in fields and isinstance(image.seed, int)


# --- the emulator validates like the vendor ---------------------------------------------------------


@pytest.mark.parametrize(
    "image_request",
    [
        {"prompt": "x", "model": "V_2", "foo": 1},
        {"prompt": "x", "model": "V_2A", "negative_prompt": "y"},
        {"prompt": "x", "model": "V_1_TURBO", "style_type": "DESIGN"},
        {"prompt": "x", "model": "V_2", "aspect_ratio": "16:9"},
        {"prompt": "x", "model": "V_2", "aspect_ratio": "ASPECT_16_9", "resolution": "RESOLUTION_1024_1024"},
        {"prompt": "x", "model": "V_3"},
        {"prompt": "x", "model": "V_2", "seed": -1},
    ],
)
def test_emulator_legacy_rejects_what_the_model_does_not_accept(image_request):
    resp = post(IdeogramEmulator(), "/generate", json={"image_request": image_request})
    assert resp.status_code == 400 and isinstance(resp.json()["detail"], str)


def test_emulator_legacy_requires_the_image_request_wrapper():
    resp = post(IdeogramEmulator(), "/generate", json={"prompt": "x", "model": "V_2"})
    assert resp.status_code == 400 and "image_request" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/v1/ideogram-v3/generate", {"prompt": "x", "magic_prompt_option": "OFF"}),
        ("/v1/ideogram-v3/generate", {"prompt": "x", "rendering_speed": "FAST"}),
        ("/v1/ideogram-v3/generate", {"prompt": "x", "aspect_ratio": "16:9"}),
        ("/v1/ideogram-v3/generate", {"prompt": "x", "style_type": "ANIME"}),
        ("/v1/ideogram-v3/generate", {"prompt": "x", "upscale_factor": "X2"}),
        ("/v1/ideogram-v3/generate-transparent", {"prompt": "x", "rendering_speed": "FLASH"}),
        ("/v1/ideogram-v3/generate", {"aspect_ratio": "1x1"}),
    ],
)
def test_emulator_v3_rejects_unknown_fields_and_bad_values(path, form):
    resp = post(IdeogramEmulator(), path, files=[(k, (None, v)) for k, v in form.items()])
    assert resp.status_code == 400 and resp.json()["detail"]


def test_emulator_v3_accepts_json_too():
    resp = post(
        IdeogramEmulator(),
        "/v1/ideogram-v3/generate",
        json={"prompt": "x", "aspect_ratio": "16x9", "seed": 5},
    )
    assert resp.status_code == 200
    item = resp.json()["data"][0]
    assert (item["resolution"], item["seed"], item["is_image_safe"]) == ("1312x736", 5, True)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer test-key"}, {"Api-Key": "wrong"}])
def test_emulator_requires_the_api_key_header(headers):
    with IdeogramEmulator().client() as client:
        resp = client.post(
            "/generate", headers=headers, json={"image_request": {"prompt": "x", "model": "V_2"}}
        )
    assert resp.status_code == 401 and resp.json()["detail"]


# --- vendor-specific failures ------------------------------------------------------------------------


def failing(
    kind: str, model_id: str = "ideogram-v3", emulator: IdeogramEmulator | None = None
) -> errors.GatewayError:
    emulator = emulator or IdeogramEmulator()
    emulator.inject(kind)
    return raised(provider_for(emulator), SPECS[model_id], errors.GatewayError)


def test_rate_limit_has_no_retry_signal_by_default():
    error = failing("rate_limit")
    assert type(error) is errors.RateLimited and error.retry_after is None and error.status == 429


def test_rate_limit_honours_a_retry_after_header_if_sent():
    emulator = IdeogramEmulator()
    emulator.rate_limit_headers = {"Retry-After": "7"}
    error = failing("rate_limit", emulator=emulator)
    assert isinstance(error, errors.RateLimited) and error.retry_after == 7.0


@pytest.mark.parametrize("answer", ["422", "unsafe_image"])
@pytest.mark.parametrize("model_id", ["ideogram-v2a", "ideogram-v3"])
def test_both_safety_answers_are_content_refused(answer, model_id):
    error = failing("safety", model_id, IdeogramEmulator(safety_answer=answer))
    assert type(error) is errors.ContentRefused
    assert error.status == (422 if answer == "422" else 200)


def test_validation_style_422_is_a_rejection_not_a_safety_block():
    resp = httpx.Response(
        422,
        json={"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]},
        request=httpx.Request("POST", "https://api.ideogram.ai/generate"),
    )
    error = IdeogramProvider(ProviderConfig(name="ideogram", api_key="k")).error_for(resp)
    assert type(error) is errors.RequestRejected and "field required" in error.message


@pytest.mark.parametrize("model_id", ["ideogram-v2", "ideogram-v3"])
def test_expired_image_url_is_bad_response(model_id):
    error = failing("expired_url", model_id)
    assert type(error) is errors.BadResponse and error.status == 403 and "expired" in error.message


@pytest.mark.parametrize("kind", ["malformed", "not_image"])
def test_bad_bodies_and_non_image_files_are_bad_response(kind):
    assert type(failing(kind)) is errors.BadResponse


def test_server_error_and_unauthorized_map_with_the_vendor_detail():
    error = failing("server_error")
    assert type(error) is errors.ProviderUnavailable and error.message == "Internal Server Error"
    error = failing("unauthorized")
    assert type(error) is errors.KeyRefused and error.status == 401 and "Api-Key" in error.message


# --- real vendor -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "transparent", "url"),
    [
        ("ideogram-v2", False, "https://api.ideogram.ai/generate"),
        ("ideogram-v3", False, "https://api.ideogram.ai/v1/ideogram-v3/generate"),
        ("ideogram-v3", True, "https://api.ideogram.ai/v1/ideogram-v3/generate-transparent"),
    ],
)
def test_without_base_url_the_real_vendor_is_called_with_api_key_header(model_id, transparent, url):
    config = ProviderConfig(name="ideogram", api_key="real-key")
    request = real_request(IdeogramProvider, config, SPECS[model_id], transparent=transparent)
    assert str(request.url) == url
    assert request.headers["api-key"] == "real-key" and "authorization" not in request.headers
    kind = "application/json" if model_id == "ideogram-v2" else "multipart/form-data"
    assert request.headers["content-type"].startswith(kind)


def test_missing_key_is_not_configured():
    with pytest.raises(errors.NotConfigured):
        IdeogramProvider(ProviderConfig(name="ideogram")).build_request(
            ImageRequest(prompt="x"), SPECS["ideogram-v2"]
        )
