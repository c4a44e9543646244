"""Imagen 4 on Vertex AI: exact wire fields, size choices, safety, errors and the real endpoint."""

from __future__ import annotations

import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.vertex import VertexProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.google import VertexEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("google")


def provider(emulator: VertexEmulator, **config: object) -> VertexProvider:
    values: dict[str, object] = {"api_key": "ya29.token", "project": "proj-1", "location": "us-central1"}
    values.update(config)
    return emulated(VertexProvider, emulator, **values)


def sent_parameters(emulator: VertexEmulator) -> dict:
    return emulator.requests[-1]["json"]["parameters"]


@pytest.mark.parametrize(
    ("size", "quality", "aspect", "sample_size", "pixels"),
    [
        ((1200, 630), "standard", "16:9", "1K", (1408, 768)),
        ((1080, 1920), "high", "9:16", "2K", (1536, 2816)),
        ((1024, 1024), "ultra", "1:1", "2K", (2048, 2048)),
        ((1024, 768), "draft", "4:3", "1K", (1280, 896)),
    ],
)
def test_standard_model_gets_aspect_and_sample_image_size(size, quality, aspect, sample_size, pixels):
    emulator = VertexEmulator()
    req = ImageRequest(prompt="a lighthouse", width=size[0], height=size[1], quality=quality)
    image = provider(emulator).generate(req, SPECS["imagen-4"])
    assert sent_parameters(emulator) == {
        "sampleCount": 1,
        "aspectRatio": aspect,
        "includeRaiReason": True,
        "sampleImageSize": sample_size,
    }
    assert emulator.requests[-1]["json"]["instances"] == [{"prompt": "a lighthouse"}]
    assert (image.width, image.height) == pixels
    assert image.produced == aspect and image.requested == f"{size[0]}x{size[1]}"


def test_fast_model_never_gets_sample_image_size_and_says_so():
    emulator = VertexEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x", quality="high"), SPECS["imagen-4-fast"])
    assert "sampleImageSize" not in sent_parameters(emulator)
    assert any("no sampleImageSize" in note for note in image.notes)
    assert (image.width, image.height) == (1024, 1024)


def test_nearest_aspect_is_noted_and_strict_mode_refuses_before_any_call():
    emulator = VertexEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x", width=1200, height=630), SPECS["imagen-4"])
    assert any("1200x630" in note and "16:9" in note for note in image.notes)
    strict = ImageRequest(prompt="x", width=1200, height=630, strict=True)
    with pytest.raises(errors.StrictSizeError):
        provider(emulator).generate(strict, SPECS["imagen-4"])
    assert len(emulator.requests) == 1


def test_strict_mode_accepts_an_exact_aspect():
    emulator = VertexEmulator()
    req = ImageRequest(prompt="x", aspect_ratio="9:16", strict=True)
    image = provider(emulator).generate(req, SPECS["imagen-4-ultra"])
    assert sent_parameters(emulator)["aspectRatio"] == "9:16" and image.height > image.width


def test_unsupported_options_are_dropped_and_noted():
    emulator = VertexEmulator()
    req = ImageRequest(
        prompt="x", negative_prompt="blur", style="anime", steps=30, guidance=7, transparent=True
    )
    image = provider(emulator).generate(req, SPECS["imagen-4"])
    params = sent_parameters(emulator)
    assert not {"negativePrompt", "guidanceScale", "seed"} & set(params)
    for option in ("negative_prompt", "style", "steps", "guidance", "transparent"):
        assert any(
            note.startswith(f"{option} not supported by imagen-4.0-generate-001") for note in image.notes
        )


def test_seed_is_dropped_while_the_watermark_is_on():
    emulator = VertexEmulator()
    image = provider(emulator).generate(ImageRequest(prompt="x", seed=7), SPECS["imagen-4"])
    assert "seed" not in sent_parameters(emulator)
    assert image.seed is None and any("seed not supported" in note for note in image.notes)


def test_seed_is_sent_when_the_catalog_turns_the_watermark_off():
    emulator = VertexEmulator()
    unmarked = SPECS["imagen-4"].model_copy(update={"options": {"addWatermark": False}})
    image = provider(emulator).generate(ImageRequest(prompt="x", seed=7), unmarked)
    assert sent_parameters(emulator)["seed"] == 7 and sent_parameters(emulator)["addWatermark"] is False
    assert image.seed == 7


@pytest.mark.parametrize(
    ("parameters", "model", "fragment"),
    [
        ({"sampleCount": 1, "foo": 1}, "imagen-4.0-generate-001", 'Unknown name "foo"'),
        ({"negativePrompt": "blur"}, "imagen-4.0-generate-001", "negativePrompt is not supported"),
        ({"sampleImageSize": "2K"}, "imagen-4.0-fast-generate-001", "sampleImageSize is not supported"),
        ({"aspectRatio": "21:9"}, "imagen-4.0-generate-001", "aspectRatio"),
        ({"seed": 3}, "imagen-4.0-generate-001", "watermark"),
    ],
)
def test_emulator_rejects_what_vertex_rejects(parameters, model, fragment):
    emulator = VertexEmulator()
    path = f"/v1/projects/p/locations/us-central1/publishers/google/models/{model}:predict"
    body = {"instances": [{"prompt": "x"}], "parameters": parameters}
    resp = emulator.client().post(path, json=body, headers={"Authorization": "Bearer t"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT" and fragment in error["message"]


def test_missing_token_is_refused_by_vertex_and_never_sent_by_the_adapter():
    emulator = VertexEmulator()
    path = "/v1/projects/p/locations/us-central1/publishers/google/models/imagen-4.0-generate-001:predict"
    resp = emulator.client().post(path, json={"instances": [{"prompt": "x"}]})
    assert resp.status_code == 401 and resp.json()["error"]["status"] == "UNAUTHENTICATED"
    raised(provider(emulator, api_key=None), SPECS["imagen-4"], errors.NotConfigured)
    assert len(emulator.requests) == 1


def test_permission_denied_is_a_rejection_carrying_googles_status():
    emulator = VertexEmulator()
    emulator.inject("unauthorized")
    error = raised(provider(emulator), SPECS["imagen-4"], errors.RequestRejected)
    assert error.status == 403 and error.code == "PERMISSION_DENIED"


def test_all_samples_filtered_is_a_refusal_with_googles_reason():
    emulator = VertexEmulator()
    emulator.inject("safety")
    error = raised(provider(emulator), SPECS["imagen-4"], errors.ContentRefused)
    assert "Unable to show generated images" in error.message and error.code == "RAI_FILTERED"


def test_responsible_ai_prompt_block_is_a_refusal_not_a_bad_request():
    emulator = VertexEmulator()
    emulator.safety_style = "prompt"
    emulator.inject("safety")
    error = raised(provider(emulator), SPECS["imagen-4"], errors.ContentRefused)
    assert error.status == 400 and "Responsible AI" in error.message


def test_quota_429_without_retry_info_has_no_invented_delay():
    emulator = VertexEmulator()
    emulator.inject("rate_limit")
    error = raised(provider(emulator), SPECS["imagen-4"], errors.RateLimited)
    assert error.retry_after is None and error.code == "RESOURCE_EXHAUSTED"


def test_shut_down_model_surfaces_googles_not_found():
    emulator = VertexEmulator()
    emulator.retired.add("imagen-4.0-generate-001")
    error = raised(provider(emulator), SPECS["imagen-4"], errors.RequestRejected)
    assert error.status == 404 and error.code == "NOT_FOUND"
    assert "imagen-4.0-generate-001" in error.message


def test_catalog_marks_imagen_as_retired():
    assert all(SPECS[i].retired for i in ("imagen-4-fast", "imagen-4", "imagen-4-ultra"))


def test_without_base_url_the_real_regional_endpoint_and_bearer_token_are_used():
    config = ProviderConfig(name="vertex", api_key="ya29.real", project="acme", location="europe-west4")
    request = real_request(VertexProvider, config, SPECS["imagen-4"])
    assert str(request.url) == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/acme/locations/europe-west4"
        "/publishers/google/models/imagen-4.0-generate-001:predict"
    )
    assert request.headers["Authorization"] == "Bearer ya29.real"
    assert "x-goog-api-key" not in request.headers


def test_global_location_uses_the_unprefixed_host_and_overrides_keep_the_path():
    config = ProviderConfig(name="vertex", api_key="t", project="acme", location="global")
    request = VertexProvider(config).build_request(ImageRequest(prompt="x"), SPECS["imagen-4-fast"])
    assert request.url.host == "aiplatform.googleapis.com"
    override = config.model_copy(update={"base_url": "http://proxy.local/vertex/"})
    request = VertexProvider(override).build_request(ImageRequest(prompt="x"), SPECS["imagen-4-fast"])
    assert str(request.url).startswith(
        "http://proxy.local/vertex/v1/projects/acme/locations/global/publishers/"
    )


def test_missing_project_is_not_configured():
    config = ProviderConfig(name="vertex", api_key="t")
    with pytest.raises(errors.NotConfigured):
        VertexProvider(config).build_request(ImageRequest(prompt="x"), SPECS["imagen-4"])
