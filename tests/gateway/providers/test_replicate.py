"""Replicate adapter against its emulator: exact inputs sent, strictness, polling, failures, real endpoint."""

from __future__ import annotations

import time

import httpx
import pytest

from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.providers.replicate import ReplicateProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.replicate import ASPECT_SIZES, ReplicateEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

SPECS = fragment_specs("replicate")


@pytest.fixture
def emulator() -> ReplicateEmulator:
    return ReplicateEmulator()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(emulator: ReplicateEmulator, sleeps: list[float]) -> ReplicateProvider:
    adapter = emulated(ReplicateProvider, emulator)
    adapter.sleep = sleeps.append
    return adapter


def sent_input(emulator: ReplicateEmulator) -> dict:
    return emulator.requests[0]["json"]["input"]


@pytest.mark.parametrize(
    ("model_id", "size", "quality", "aspect", "steps", "fmt"),
    [
        ("flux-schnell-replicate", (1200, 630), "standard", "16:9", 4, "png"),
        ("flux-schnell-replicate", (1080, 1920), "draft", "9:16", 2, "webp"),
        ("flux-schnell-replicate", (1024, 1024), "ultra", "1:1", 4, "png"),
        ("flux-dev-replicate", (1500, 1000), "high", "3:2", 40, "png"),
        ("flux-dev-replicate", (2100, 900), "draft", "21:9", 16, "webp"),
    ],
)
def test_inputs_sent_per_size_and_quality(provider, emulator, model_id, size, quality, aspect, steps, fmt):
    req = ImageRequest(prompt="a lighthouse", width=size[0], height=size[1], quality=quality, seed=7)
    image = provider.generate(req, SPECS[model_id])
    assert emulator.requests[0]["path"] == f"/models/{SPECS[model_id].vendor_model}/predictions"
    assert sent_input(emulator) == {
        "prompt": "a lighthouse", "aspect_ratio": aspect, "num_outputs": 1, "output_format": fmt,
        "seed": 7, "num_inference_steps": steps,
    }
    assert (image.width, image.height) == ASPECT_SIZES[aspect]
    assert image.media_type == f"image/{fmt}"
    assert (image.requested, image.produced, image.seed) == (f"{size[0]}x{size[1]}", aspect, 7)


def test_nearest_aspect_is_noted_and_strict_mode_refuses_without_calling(provider, emulator):
    loose = provider.generate(ImageRequest(prompt="x", width=1200, height=630),
                              SPECS["flux-schnell-replicate"])
    assert any("1200x630" in note and "16:9" in note for note in loose.notes)
    emulator.requests.clear()
    with pytest.raises(errors.StrictSizeError):
        provider.generate(ImageRequest(prompt="x", width=1200, height=630, strict=True),
                          SPECS["flux-schnell-replicate"])
    assert emulator.requests == []


def test_strict_mode_accepts_an_exact_vendor_aspect(provider, emulator):
    req = ImageRequest(prompt="x", aspect_ratio="4:5", strict=True)
    image = provider.generate(req, SPECS["flux-dev-replicate"])
    assert sent_input(emulator)["aspect_ratio"] == "4:5" and image.notes == ()


def test_unsupported_options_are_dropped_and_noted(provider, emulator):
    req = ImageRequest(prompt="x", negative_prompt="blurry", guidance=4.0, transparent=True)
    image = provider.generate(req, SPECS["flux-schnell-replicate"])
    assert not {"negative_prompt", "guidance"} & set(sent_input(emulator))
    assert "negative_prompt not supported by black-forest-labs/flux-schnell; dropped" in image.notes
    assert any(note.startswith("guidance not supported") for note in image.notes)
    assert any(note.startswith("transparent not supported") for note in image.notes)


def test_guidance_and_explicit_steps_reach_flux_dev_clamped_to_its_ranges(provider, emulator):
    image = provider.generate(ImageRequest(prompt="x", guidance=12.0, steps=80), SPECS["flux-dev-replicate"])
    assert sent_input(emulator)["guidance"] == 10.0
    assert sent_input(emulator)["num_inference_steps"] == 50
    assert any("clamped" in note for note in image.notes) and any("1-50" in note for note in image.notes)


@pytest.mark.parametrize(
    ("model", "inputs", "field"),
    [
        ("flux-schnell", {"prompt": "x", "foo": 1}, "input.foo"),
        ("flux-schnell", {"prompt": "x", "guidance": 3.5}, "input.guidance"),
        ("flux-schnell", {"prompt": "x", "aspect_ratio": "7:3"}, "input.aspect_ratio"),
        ("flux-schnell", {"prompt": "x", "num_inference_steps": 5}, "input.num_inference_steps"),
    ],
)
def test_emulator_rejects_what_replicate_rejects(emulator, model, inputs, field):
    with emulator.client() as client:
        resp = client.post(f"/models/black-forest-labs/{model}/predictions", json={"input": inputs},
                           headers={"Authorization": "Bearer test-key"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["title"] == "Input validation failed" and body["status"] == 422
    assert [f["field"] for f in body["invalid_fields"]] == [field]
    assert field in body["detail"]


def test_missing_token_is_a_401_problem(emulator):
    with emulator.client() as client:
        resp = client.post("/models/black-forest-labs/flux-schnell/predictions",
                           json={"input": {"prompt": "x"}})
    assert resp.status_code == 401 and resp.json()["title"] == "Unauthenticated"


def test_validation_error_surfaces_vendor_message(provider):
    broken = SPECS["flux-schnell-replicate"].model_copy(update={"options": {"megapixels": "4"}})
    error = raised(provider, broken, errors.RequestRejected)
    assert error.status == 422 and "input.megapixels" in error.message


def test_throttle_reads_the_reset_time_from_the_detail_text(provider, emulator):
    emulator.throttle_seconds = 12
    emulator.inject("rate_limit")
    error = raised(provider, SPECS["flux-schnell-replicate"], errors.RateLimited)
    assert error.retry_after == 12.0
    assert "resets in ~12s" in error.message


def test_polls_through_starting_and_processing_with_the_poll_interval(provider, emulator, sleeps):
    emulator.finishes_within_wait = False
    emulator.polls_until_done = 3
    image = provider.generate(ImageRequest(prompt="x", seed=3), SPECS["flux-dev-replicate"])
    paths = [r["path"] for r in emulator.requests]
    pid = next(iter(emulator.predictions))
    assert paths == [paths[0]] + [f"/predictions/{pid}"] * 3
    assert all(r["headers"]["Authorization"] == "Bearer test-key" for r in emulator.requests)
    assert sleeps and set(sleeps) == {provider.poll_interval}
    assert image.seed == 3


def test_a_prediction_still_running_at_the_deadline_is_cancelled_once(provider, emulator):
    emulator.finishes_within_wait = False
    emulator.polls_until_done = 100
    provider.poll_interval = 10.0
    with pytest.raises(errors.ProviderTimeout) as info:
        provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"],
                          deadline=time.monotonic() + 5)
    pid, prediction = next(iter(emulator.predictions.items()))
    assert emulator.cancels == [pid] and prediction["status"] == "canceled"
    assert emulator.requests[-1]["headers"]["Authorization"] == "Bearer test-key"
    assert "cancel sent to the vendor (HTTP 200)" in str(info.value)


def test_a_prediction_past_the_poll_limit_is_cancelled(provider, emulator):
    emulator.finishes_within_wait = False
    emulator.polls_until_done = 100
    provider.max_steps = 4
    with pytest.raises(errors.ProviderTimeout, match="gave up polling"):
        provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"])
    assert emulator.cancels == list(emulator.predictions)


def test_a_finished_prediction_is_not_cancelled(provider, emulator):
    emulator.finishes_within_wait = False
    deadline = time.monotonic() + 9
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"], deadline=deadline)
    assert emulator.cancels == []


@pytest.mark.parametrize(("seconds_left", "wait"), [(None, 60), (500, 60), (12.5, 11), (2.2, 1), (1.5, None)])
def test_prefer_wait_never_outlasts_the_time_left(provider, emulator, seconds_left, wait):
    deadline = None if seconds_left is None else time.monotonic() + seconds_left
    provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"], deadline=deadline)
    assert emulator.waits == [wait]


@pytest.mark.parametrize("header", ["wait=0", "wait=61", "wait=soon", "later"])
def test_emulator_refuses_a_prefer_wait_out_of_range(emulator, header):
    resp = emulator.client().post(
        "/models/black-forest-labs/flux-schnell/predictions",
        json={"input": {"prompt": "x"}},
        headers={"Authorization": "Bearer test-key", "Prefer": header},
    )
    assert resp.status_code == 400 and "1-60" in resp.json()["detail"]


def test_emulator_cancel_wants_the_token_and_a_known_prediction(emulator):
    client = emulator.client()
    assert client.post("/predictions/abc/cancel").status_code == 401
    token = {"Authorization": "Bearer test-key"}
    assert client.post("/predictions/abc/cancel", headers=token).status_code == 404
    assert emulator.cancels == []


def test_seed_is_read_from_the_logs_when_not_requested(provider, emulator):
    image = provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"])
    logs = next(iter(emulator.predictions.values()))["logs"]
    assert image.seed is not None and f"Using seed: {image.seed}" in logs


def test_expired_output_url_is_a_bad_response(provider, emulator):
    emulator.inject("expired_url")
    with pytest.raises(errors.BadResponse, match="expired"):
        provider.generate(ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"])


def test_nsfw_failure_is_content_refused(provider, emulator):
    emulator.inject("safety")
    error = raised(provider, SPECS["flux-schnell-replicate"], errors.ContentRefused)
    assert "NSFW" in error.message


def test_output_is_fetched_without_the_api_token(provider):
    prediction = {"id": "abc", "status": "succeeded", "output": ["https://replicate.delivery/x/out-0.png"]}
    resp = httpx.Response(201, json=prediction, request=httpx.Request("POST", "https://api.replicate.com/v1/x"))
    follow = provider.parse_response(resp, ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"])
    assert isinstance(follow, httpx.Request)
    assert str(follow.url) == "https://replicate.delivery/x/out-0.png"
    assert "Authorization" not in follow.headers


def test_succeeded_without_output_is_content_refused(provider):
    resp = httpx.Response(200, json={"id": "abc", "status": "succeeded", "output": []},
                          request=httpx.Request("GET", "https://api.replicate.com/v1/predictions/abc"))
    with pytest.raises(errors.ContentRefused):
        provider.parse_response(resp, ImageRequest(prompt="x"), SPECS["flux-schnell-replicate"])


def test_without_base_url_the_real_replicate_api_is_called():
    built = real_request(
        ReplicateProvider, ProviderConfig(name="replicate", api_key="r8_real"), SPECS["flux-dev-replicate"]
    )
    assert str(built.url) == "https://api.replicate.com/v1/models/black-forest-labs/flux-dev/predictions"
    assert built.headers["Authorization"] == "Bearer r8_real"
    assert built.headers["Prefer"].startswith("wait=")
