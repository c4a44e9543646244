"""A1111/Forge adapter against its emulator: txt2img fields, SDXL buckets, Basic auth, info seed, errors."""

from __future__ import annotations

import base64

import httpx
import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.catalog import ModelSpec
from ogservice.gateway.providers.a1111 import A1111Provider
from ogservice.gateway.request import ImageRequest
from tests.emulators.a1111 import A1111Emulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request


@pytest.fixture
def spec() -> ModelSpec:
    return fragment_specs("a1111")["sdxl-a1111"]


@pytest.fixture
def emulator() -> A1111Emulator:
    return A1111Emulator()


def make(emulator: A1111Emulator, api_key: str | None = None) -> A1111Provider:
    return emulated(A1111Provider, emulator, api_key)


def sent(emulator: A1111Emulator) -> dict:
    return emulator.requests[-1]["json"]


@pytest.mark.parametrize(
    ("size", "quality", "bucket", "steps"),
    [((1200, 630), "standard", (1344, 768), 25), ((1080, 1920), "draft", (768, 1344), 15),
     ((1024, 1024), "high", (1024, 1024), 35), ((1600, 1100), "ultra", (1216, 832), 50)],
)
def test_txt2img_fields_per_size_and_quality(emulator, spec, size, quality, bucket, steps):
    req = ImageRequest(prompt="a lighthouse", negative_prompt="text", width=size[0], height=size[1],
                       quality=quality, seed=11)
    image = make(emulator).generate(req, spec)
    assert emulator.requests[0]["path"] == "/sdapi/v1/txt2img"
    assert sent(emulator) == {
        "prompt": "a lighthouse", "negative_prompt": "text", "width": bucket[0], "height": bucket[1],
        "seed": 11, "steps": steps, "batch_size": 1, "n_iter": 1, "send_images": True, "save_images": False,
        "override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0"},
        "override_settings_restore_afterwards": True,
        "sampler_name": "DPM++ 2M", "scheduler": "Karras", "cfg_scale": 6.0,
    }
    assert (image.width, image.height) == bucket and image.produced == f"{bucket[0]}x{bucket[1]}"


def test_seed_comes_from_the_info_json_string(emulator, spec):
    image = make(emulator).generate(ImageRequest(prompt="x"), spec)
    assert sent(emulator)["seed"] == -1
    assert image.seed == emulator.random_seed


def test_guidance_becomes_cfg_scale_and_unsupported_options_are_noted(emulator, spec):
    req = ImageRequest(prompt="x", guidance=45 / 2, style="neon", transparent=True)
    image = make(emulator).generate(req, spec)
    assert sent(emulator)["cfg_scale"] == 22.5
    assert "style" not in sent(emulator)
    assert "style not supported by sdxl-a1111; dropped" in image.notes
    assert "transparent not supported by sdxl-a1111; dropped" in image.notes


def test_strict_mode_refuses_non_bucket_sizes_without_a_call(emulator, spec):
    raised(make(emulator), spec, errors.StrictSizeError, width=1200, height=630, strict=True)
    assert emulator.requests == []
    loose = make(emulator).generate(ImageRequest(prompt="x", width=1200, height=630), spec)
    assert any("1344x768" in note for note in loose.notes)


def test_basic_auth_from_user_colon_pass(emulator, spec):
    emulator.credentials = ("ogs", "s3cret")
    image = make(emulator, "ogs:s3cret").generate(ImageRequest(prompt="x"), spec)
    assert image.width > 0
    expected = "Basic " + base64.b64encode(b"ogs:s3cret").decode()
    assert emulator.requests[0]["headers"]["Authorization"] == expected


def test_wrong_basic_credentials_are_rejected_with_the_webui_message(emulator, spec):
    emulator.credentials = ("ogs", "s3cret")
    error = raised(make(emulator, "ogs:wrong"), spec, errors.RequestRejected)
    assert error.status == 401 and "Incorrect username or password" in error.message


def test_a_key_that_is_not_user_pass_is_a_configuration_error(emulator, spec):
    raised(make(emulator, "just-a-token"), spec, errors.NotConfigured)


def test_unknown_sampler_surfaces_sampler_not_found(emulator, spec):
    odd = spec.model_copy(update={"options": {**spec.options, "sampler_name": "Heun++ 9"}})
    error = raised(make(emulator), odd, errors.RequestRejected)
    failure = (error.status, error.code, error.message)
    assert failure == (404, "HTTPException", "Sampler not found")


def test_cuda_oom_is_unavailable_with_the_errors_text(emulator, spec):
    emulator.inject("server_error")
    error = raised(make(emulator), spec, errors.ProviderUnavailable)
    assert "CUDA out of memory" in error.message and error.code == "OutOfMemoryError"


@pytest.mark.parametrize(("body", "loc"), [({"prompt": "x", "hires": True}, ["body", "hires"]),
                                           ({"prompt": "x", "steps": "many"}, ["body", "steps"]),
                                           ({"prompt": "x", "scheduler": "fast"}, ["body", "scheduler"])])
def test_emulator_rejects_unknown_and_bad_fields_with_422(emulator, body, loc):
    with emulator.client() as client:
        resp = client.post("/sdapi/v1/txt2img", json=body)
    assert resp.status_code == 422 and [d["loc"] for d in resp.json()["detail"]] == [loc]
    assert "X-Process-Time" in resp.headers


def test_empty_images_is_a_bad_response_not_a_refusal(emulator, spec):
    resp = httpx.Response(200, json={"images": [], "parameters": {}, "info": "{}"},
                          request=httpx.Request("POST", "http://gpu:7860/sdapi/v1/txt2img"))
    with pytest.raises(errors.BadResponse):
        make(emulator).parse_response(resp, ImageRequest(prompt="x"), spec)


def test_without_base_url_the_documented_local_default_is_used(spec):
    built = real_request(A1111Provider, ProviderConfig(name="a1111"), spec)
    assert str(built.url) == "http://127.0.0.1:7860/sdapi/v1/txt2img"
    assert "Authorization" not in built.headers
