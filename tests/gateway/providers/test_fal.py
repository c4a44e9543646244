"""fal queue adapter against its emulator: inputs sent, queue walk, URL host rules, failures, real host."""

from __future__ import annotations

import time

import httpx
import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.fal import FalProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.fal import FalEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("fal")
KEY = {"Authorization": "Key test-key"}


@pytest.fixture
def emulator() -> FalEmulator:
    return FalEmulator()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(emulator: FalEmulator, sleeps: list[float]) -> FalProvider:
    adapter = emulated(FalProvider, emulator)
    adapter.sleep = sleeps.append
    return adapter


def submitted(emulator: FalEmulator) -> dict:
    return emulator.requests[0]["json"]


@pytest.mark.parametrize(
    ("model_id", "size", "quality", "image_size", "steps", "fmt"),
    [
        ("flux-schnell", (1024, 1024), "standard", "square_hd", 4, "png"),
        ("flux-schnell", (1200, 630), "draft", {"width": 1216, "height": 640}, 2, "jpeg"),
        ("flux-schnell", (1080, 1920), "high", {"width": 720, "height": 1280}, 6, "png"),
        ("flux-dev", (1024, 768), "ultra", "landscape_4_3", 50, "png"),
        ("flux-dev", (600, 800), "standard", "portrait_4_3", 28, "png"),
    ],
)
def test_inputs_sent_per_size_and_quality(
    provider, emulator, model_id, size, quality, image_size, steps, fmt
):
    req = ImageRequest(prompt="a red fox", width=size[0], height=size[1], quality=quality, seed=9)
    image = provider.generate(req, SPECS[model_id])
    assert emulator.requests[0]["path"] == "/" + SPECS[model_id].vendor_model
    assert submitted(emulator) == {
        "prompt": "a red fox", "image_size": image_size, "num_images": 1, "output_format": fmt,
        "enable_safety_checker": True, "seed": 9, "num_inference_steps": steps,
    }
    assert image.media_type == ("image/jpeg" if fmt == "jpeg" else "image/png")
    assert f"{image.width}x{image.height}" == image.produced
    assert image.requested == f"{size[0]}x{size[1]}" and image.seed == 9


def test_strict_mode_refuses_an_unoffered_size_before_any_call(provider, emulator):
    raised(provider, SPECS["flux-dev"], errors.StrictSizeError, width=1200, height=630, strict=True)
    assert emulator.requests == []
    exact_size = ImageRequest(prompt="x", width=1216, height=640, strict=True)
    exact = provider.generate(exact_size, SPECS["flux-dev"])
    assert exact.notes == () and (exact.width, exact.height) == (1216, 640)


def test_nearest_size_and_dropped_options_are_noted(provider, emulator):
    req = ImageRequest(prompt="x", width=1200, height=630, negative_prompt="text", guidance=5.0, style="neon")
    image = provider.generate(req, SPECS["flux-schnell"])
    assert not {"negative_prompt", "guidance_scale", "style"} & set(submitted(emulator))
    assert any("1200x630" in n and "1216x640" in n for n in image.notes)
    assert "negative_prompt not supported by fal-ai/flux/schnell; dropped" in image.notes
    assert "guidance not supported by fal-ai/flux/schnell; dropped" in image.notes


def test_guidance_reaches_flux_dev(provider, emulator):
    provider.generate(ImageRequest(prompt="x", guidance=4.5), SPECS["flux-dev"])
    assert submitted(emulator)["guidance_scale"] == 4.5


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/fal-ai/flux/schnell", {"prompt": "x", "negative_prompt": "y"}, ["body", "negative_prompt"]),
        ("/fal-ai/flux/schnell", {"prompt": "x", "guidance_scale": 3.5}, ["body", "guidance_scale"]),
        ("/fal-ai/flux/schnell", {"prompt": "x", "image_size": "landscape_21_9"}, ["body", "image_size"]),
        ("/fal-ai/flux/dev", {"prompt": "x", "num_inference_steps": 51}, ["body", "num_inference_steps"]),
    ],
)
def test_emulator_answers_bad_inputs_with_fastapi_422(emulator, path, body, loc):
    with emulator.client() as client:
        resp = client.post(path, json=body, headers={"Authorization": "Key test-key"})
    assert resp.status_code == 422
    assert [d["loc"] for d in resp.json()["detail"]] == [loc]


def test_emulator_wants_the_key_scheme_not_bearer(emulator):
    with emulator.client() as client:
        resp = client.post("/fal-ai/flux/schnell", json={"prompt": "x"},
                           headers={"Authorization": "Bearer test-key"})
    assert resp.status_code == 401 and resp.json() == {"detail": "Unauthorized"}


def test_validation_error_is_rejected_with_the_field_named(provider):
    broken = SPECS["flux-schnell"].model_copy(update={"options": {"acceleration": "ludicrous"}})
    error = raised(provider, broken, errors.RequestRejected)
    assert error.status == 422 and "body.acceleration" in error.message


def test_queue_walk_polls_status_on_the_app_path_then_fetches_the_result(provider, emulator, sleeps):
    emulator.polls_until_done = 4
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"])
    rid = next(iter(emulator.jobs))
    paths = [r["path"] for r in emulator.requests]
    status = f"/fal-ai/flux/requests/{rid}/status"
    assert paths == ["/fal-ai/flux/schnell", status, status, status, status, f"/fal-ai/flux/requests/{rid}"]
    assert all(r["headers"]["Authorization"] == "Key test-key" for r in emulator.requests)
    assert provider.poll_interval in sleeps


def test_a_request_still_queued_at_the_deadline_is_cancelled_once(provider, emulator):
    emulator.polls_until_done = 50
    provider.poll_interval = 10.0
    with pytest.raises(errors.ProviderTimeout) as info:
        provider.generate(ImageRequest(prompt="x"), SPECS["flux-dev"], deadline=time.monotonic() + 5)
    rid = next(iter(emulator.jobs))
    assert emulator.cancels == [rid] and len(emulator.requests) < 5
    cancel = emulator.requests[-1]
    assert cancel["path"] == f"/fal-ai/flux/requests/{rid}/cancel"  # the app path, without /dev
    assert cancel["headers"]["Authorization"] == "Key test-key"
    assert "cancel sent to the vendor (HTTP 202)" in str(info.value)
    gone = emulator.client().get(f"/fal-ai/flux/requests/{rid}/status", headers=KEY)
    assert gone.status_code == 404


def test_a_completed_request_is_not_cancelled_and_the_emulator_says_so(provider, emulator):
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"], deadline=time.monotonic() + 9)
    assert emulator.cancels == []
    rid = next(iter(emulator.jobs))
    late = emulator.client().put(f"/fal-ai/flux/requests/{rid}/cancel", headers=KEY)
    assert (late.status_code, late.json()) == (400, {"status": "ALREADY_COMPLETED"})


def test_emulator_cancels_only_with_put_and_the_key(provider, emulator):
    emulator.polls_until_done = 50
    client = emulator.client()
    rid = client.post("/fal-ai/flux/schnell", json={"prompt": "x"}, headers=KEY).json()["request_id"]
    url = f"/fal-ai/flux/requests/{rid}/cancel"
    assert client.put(url).status_code == 401
    assert client.post(url, headers=KEY).status_code in (404, 405)
    assert emulator.cancels == []


def test_urls_on_fals_host_are_rewritten_onto_the_override(provider, emulator):
    emulator.advertise_base = "https://queue.fal.run"
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"])
    assert {httpx.URL(r["url"]).host for r in emulator.requests} == {"emulator.test"}


def test_urls_on_a_foreign_host_are_never_followed_with_the_key(provider, emulator):
    emulator.advertise_base = "https://attacker.example"
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"])
    assert {httpx.URL(r["url"]).host for r in emulator.requests} == {"emulator.test"}
    assert len(emulator.requests) == 1 + emulator.polls_until_done + 1


def test_without_override_the_advertised_queue_url_is_used_as_given():
    adapter = FalProvider(ProviderConfig(name="fal", api_key="k"))
    status_url = "https://queue.fal.run/fal-ai/flux/requests/80e7-aa/status"
    submit = httpx.Response(200, json={"request_id": "80e7-aa", "status_url": status_url},
                            request=httpx.Request("POST", "https://queue.fal.run/fal-ai/flux/dev",
                                                  extensions={"ogservice_step": "submit"}))
    try:
        follow = adapter.parse_response(submit, ImageRequest(prompt="x"), SPECS["flux-dev"])
    finally:
        adapter.close()
    assert isinstance(follow, httpx.Request) and str(follow.url) == status_url
    assert follow.headers["Authorization"] == "Key k"


def test_nsfw_flag_is_content_refused(provider, emulator):
    emulator.inject("safety")
    raised(provider, SPECS["flux-schnell"], errors.ContentRefused)


def test_expired_cdn_url_is_a_bad_response(provider, emulator):
    emulator.inject("expired_url")
    with pytest.raises(errors.BadResponse, match="expired"):
        provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"])


def test_rate_limit_has_no_invented_retry_hint(provider, emulator):
    emulator.inject("rate_limit")
    error = raised(provider, SPECS["flux-schnell"], errors.RateLimited)
    assert error.retry_after is None and "concurrent" in error.message


def test_seed_reported_by_fal_is_returned(provider, emulator):
    image = provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell"])
    job = next(iter(emulator.jobs.values()))
    assert image.seed == job["result"]["seed"]


def test_data_uri_results_are_decoded_without_a_download(provider):
    import base64

    from tests.emulators.base import png_bytes

    uri = "data:image/png;base64," + base64.b64encode(png_bytes(64, 32)).decode()
    result = httpx.Response(200, json={"images": [{"url": uri}], "seed": 5, "has_nsfw_concepts": [False]},
                            request=httpx.Request("GET", "https://queue.fal.run/fal-ai/flux/requests/a"))
    image = provider.parse_response(result, ImageRequest(prompt="x"), SPECS["flux-schnell"])
    assert (image.width, image.height, image.seed) == (64, 32, 5)


def test_without_base_url_the_real_fal_queue_is_called():
    built = real_request(FalProvider, ProviderConfig(name="fal", api_key="fal-real"), SPECS["flux-schnell"])
    assert str(built.url) == "https://queue.fal.run/fal-ai/flux/schnell"
    assert built.headers["Authorization"] == "Key fal-real"
